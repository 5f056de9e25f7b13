// SPDX-License-Identifier: Apache-2.0
// Character classes and small scanners used by the SMTP parsers. Input is
// untrusted; nothing here allocates or reads outside the given view.
#include "syntax.h"

#include "mail/common/strings.h"

#include <limits>

namespace mail::smtp::detail {

bool utf8_valid(std::string_view s) { return common::utf8_valid(s); }

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
