// SPDX-License-Identifier: Apache-2.0
// Strict base64 encoder and decoder (RFC 4648). The decoder reads untrusted
// network input (SASL) and rejects anything that is not canonical base64.
#include "mail/common/base64.h"

#include <array>
#include <cstdint>

namespace mail::common {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kTable = make_table();

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int8_t a = kTable[static_cast<unsigned char>(text[i])];
    int8_t b = kTable[static_cast<unsigned char>(text[i + 1])];
    if (a == kInvalid || b == kInvalid) return std::nullopt;
    // Padding may appear only in the last quantum, as "x===" never, "xx==" or "xxx=".
    if (last && text[i + 2] == '=') {
      if (text[i + 3] != '=') return std::nullopt;
      if ((b & 0x0f) != 0) return std::nullopt;  // non-canonical pad bits
      out += static_cast<char>((a << 2) | (b >> 4));
      break;
    }
    int8_t c = kTable[static_cast<unsigned char>(text[i + 2])];
    if (c == kInvalid) return std::nullopt;
    if (last && text[i + 3] == '=') {
      if ((c & 0x03) != 0) return std::nullopt;
      out += static_cast<char>((a << 2) | (b >> 4));
      out += static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
      break;
    }
    int8_t d = kTable[static_cast<unsigned char>(text[i + 3])];
    if (d == kInvalid) return std::nullopt;
    out += static_cast<char>((a << 2) | (b >> 4));
    out += static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
    out += static_cast<char>(((c & 0x03) << 6) | d);
  }
  return out;
}

}  // namespace mail::common
