// SPDX-License-Identifier: Apache-2.0
// Internal UTF-8 helpers shared by the charset, header-decoding and search
// text code (charset.cpp, encoded_word.cpp, fold_case.cpp, body_text.cpp):
// decode one strict UTF-8 sequence (RFC 3629: no overlong forms, surrogates
// or code points above U+10FFFF), encode a code point, and the two repairs
// the decoders use for bytes that are not UTF-8. Trusts nothing: any bytes
// in, every call looks at most 4 bytes ahead. No diagnostics.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mail::mime::utf8 {

/// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

inline bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

/// The length (1..4) of the valid UTF-8 sequence starting at s[pos], with
/// its code point in cp; 0 when the bytes there do not start one (pos must
/// be < s.size()).
inline size_t decode(std::string_view s, size_t pos, char32_t& cp) {
  auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n;
  char32_t v;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;  // continuation byte, overlong lead (C0, C1) or a lead above U+10FFFF
  }
  if (s.size() - pos < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[pos + k]);
    if (!is_continuation(cc)) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000)) return 0;  // overlong
  if (v >= 0xD800 && v <= 0xDFFF) return 0;                        // surrogate
  if (v > 0x10FFFF) return 0;
  cp = v;
  return n;
}

/// Appends the UTF-8 form of cp (which must be a Unicode scalar value).
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// Appends s with every byte that does not start a valid sequence replaced
/// by U+FFFD (one per byte). At most 3 bytes out per byte in.
inline void append_replacing(std::string& out, std::string_view s) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    size_t n = decode(s, i, cp);
    if (n == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

/// Appends s with valid UTF-8 sequences kept and every other byte taken as
/// ISO-8859-1 (U+0080..U+00FF). At most 2 bytes out per byte in.
inline void append_or_latin1(std::string& out, std::string_view s) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    size_t n = decode(s, i, cp);
    if (n == 0) {
      append(out, static_cast<unsigned char>(s[i]));
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

}  // namespace mail::mime::utf8
