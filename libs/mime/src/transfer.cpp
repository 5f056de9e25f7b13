// SPDX-License-Identifier: Apache-2.0
// Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8; see decode.h),
// tolerant as readers of real mail must be: base64 skips whatever is not in
// its alphabet, quoted-printable keeps an "=" it cannot read. Trusts
// nothing: one linear pass over the input (each run of spaces is looked at
// at most twice), output never longer than the input. No diagnostics.
#include <array>
#include <cstdint>

#include "mail/common/strings.h"
#include "mail/mime/decode.h"

namespace mail::mime {
namespace {

constexpr std::array<int8_t, 256> make_base64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kBase64 = make_base64_table();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Length of the line end at s[i] (CRLF or LF), 0 when there is none.
size_t line_end_at(std::string_view s, size_t i) {
  if (i < s.size() && s[i] == '\n') return 1;
  if (i + 1 < s.size() && s[i] == '\r' && s[i + 1] == '\n') return 2;
  return 0;
}

}  // namespace

std::string decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int n = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = kBase64[static_cast<unsigned char>(c)];
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++n == 4) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>(acc >> 8));
      out.push_back(static_cast<char>(acc));
      acc = 0;
      n = 0;
    }
  }
  if (n == 2) {
    out.push_back(static_cast<char>(acc >> 4));
  } else if (n == 3) {
    out.push_back(static_cast<char>(acc >> 10));
    out.push_back(static_cast<char>(acc >> 2));
  }
  return out;
}

std::string decode_quoted_printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '=') {
      size_t j = i + 1;
      while (j < s.size() && is_wsp(s[j])) ++j;
      if (j == s.size()) break;  // soft line break at the very end
      if (size_t le = line_end_at(s, j)) {
        i = j + le;  // soft line break, transport padding included
        continue;
      }
      if (i + 2 < s.size()) {
        int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          i += 3;
          continue;
        }
      }
      out.push_back('=');  // not an escape: kept as written
      ++i;
    } else if (is_wsp(c)) {
      size_t j = i;
      while (j < s.size() && is_wsp(s[j])) ++j;
      if (j < s.size() && !line_end_at(s, j)) out.append(s.substr(i, j - i));  // trailing spaces are dropped
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

std::string decode_transfer(std::string_view body, const std::optional<std::string>& encoding) {
  if (encoding && common::iequals(*encoding, "base64")) return decode_base64(body);
  if (encoding && common::iequals(*encoding, "quoted-printable")) return decode_quoted_printable(body);
  return std::string(body);
}

}  // namespace mail::mime
