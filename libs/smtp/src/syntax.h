// SPDX-License-Identifier: Apache-2.0
// Character classes shared by the SMTP parsers (internal, not installed).
#pragma once
#include <string_view>

namespace mail::smtp::detail {

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points
/// above U+10FFFF). ASCII is well-formed UTF-8.
bool utf8_valid(std::string_view s);

inline bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
/// RFC 5322 atext.
bool is_atext(unsigned char c);
/// Control characters other than TAB, and DEL.
inline bool is_ctl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

/// Parses decimal digits into `out`; false on an empty string, a non-digit or
/// an overflow of uint64_t.
bool parse_u64(std::string_view digits, unsigned long long& out);

}  // namespace mail::smtp::detail
