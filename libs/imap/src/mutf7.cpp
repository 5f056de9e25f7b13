// SPDX-License-Identifier: Apache-2.0
// mutf7.cpp: RFC 3501 §5.1.3 modified UTF-7 <-> UTF-8 (see mutf7.h). The
// encoded text is untrusted and decoded strictly; only canonical encodings
// are accepted so that one mailbox has exactly one wire name.
#include "mail/imap/mutf7.h"

#include <cstdint>
#include <vector>

#include "lexer.h"

namespace mail::imap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// One code point from UTF-8 at s[i]; U+FFFD and one byte for anything invalid.
uint32_t next_utf8(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 1) {
    ++i;
    return c;
  }
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xfffd;
  }
  uint32_t cp = c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) {
      ++i;
      return 0xfffd;
    }
    cp = (cp << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++i;
    return 0xfffd;
  }
  i += len;
  return cp;
}

void flush_b64(std::string& out, const std::vector<uint16_t>& units) {
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
}

}  // namespace

std::string mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> units;
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = next_utf8(utf8, i);
    if (cp >= 0x20 && cp <= 0x7e) {
      if (!units.empty()) {
        flush_b64(out, units);
        units.clear();
      }
      if (cp == '&')
        out += "&-";
      else
        out += static_cast<char>(cp);
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<uint16_t>(0xd800 + (cp >> 10)));
      units.push_back(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      units.push_back(static_cast<uint16_t>(cp));
    }
  }
  if (!units.empty()) flush_b64(out, units);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view s) {
  std::string out;
  size_t i = 0;
  bool last_was_encoded = false;
  while (i < s.size()) {
    char c = s[i];
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      last_was_encoded = false;
      continue;
    }
    ++i;
    if (i < s.size() && s[i] == '-') {  // "&-" is "&"
      out += '&';
      ++i;
      last_was_encoded = false;
      continue;
    }
    if (last_was_encoded) return std::nullopt;  // "&..-&..-" should be one run
    uint32_t bits = 0;
    int nbits = 0;
    uint32_t high = 0;  // pending high surrogate
    bool any = false;
    while (true) {
      if (i >= s.size()) return std::nullopt;  // no closing '-'
      if (s[i] == '-') {
        ++i;
        break;
      }
      int v = b64_value(s[i++]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        uint32_t u = (bits >> nbits) & 0xffff;
        bits &= (1u << nbits) - 1;
        any = true;
        if (high) {
          if (u < 0xdc00 || u > 0xdfff) return std::nullopt;
          put_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
          high = 0;
        } else if (u >= 0xd800 && u <= 0xdbff) {
          high = u;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          return std::nullopt;
        } else if ((u >= 0x20 && u <= 0x7e) || u == 0) {
          return std::nullopt;  // printable ASCII must be direct; NUL never
        } else {
          put_utf8(out, u);
        }
      }
    }
    // Leftover: fewer than 6 bits, all zero; every unit complete.
    if (!any || high || nbits >= 6 || bits != 0) return std::nullopt;
    last_was_encoded = true;
  }
  return out;
}

bool is_inbox(std::string_view mailbox) { return detail::iequal(mailbox, "INBOX"); }

}  // namespace mail::imap
