// SPDX-License-Identifier: Apache-2.0
// Character classes and small scanners used by the SMTP parsers. Input is
// untrusted; nothing here allocates or reads outside the given view.
#include "syntax.h"

#include "mail/common/strings.h"

#include <limits>

namespace mail::smtp::detail {

bool utf8_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (c0, c1) or > U+10FFFF lead
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;  // overlong
    if (cp >= 0xd800 && cp <= 0xdfff) return false;                       // surrogate
    if (cp > 0x10ffff) return false;
    i += n + 1;
  }
  return true;
}

bool is_atext(unsigned char c) { return common::is_atext(c); }

bool parse_u64(std::string_view digits, unsigned long long& out) {
  if (digits.empty()) return false;
  unsigned long long v = 0;
  constexpr unsigned long long kMax = std::numeric_limits<unsigned long long>::max();
  for (char ch : digits) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!is_digit(c)) return false;
    unsigned d = c - '0';
    if (v > (kMax - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace mail::smtp::detail
