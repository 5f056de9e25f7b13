// SPDX-License-Identifier: Apache-2.0
// ASCII helpers and address normalization (the one normalizer every service uses,
// so that UNIQUE keys in the directory and lookups from the edges agree).
#include "mail/common/strings.h"

#include <openssl/rand.h>

#include <cctype>
#include <optional>
#include <stdexcept>

namespace mail::common {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_atext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string normalize_domain(std::string_view domain) {
  std::string d = ascii_lower(trim(domain));
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.size() > 253) return {};
  size_t label = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(d[i]);
    if (c == '.') {
      if (label == 0) return {};
      label = 0;
      continue;
    }
    // Letters, digits, hyphen; bytes >= 0x80 are kept for UTF-8 domains (SMTPUTF8),
    // and '[' ']' ':' for address literals.
    if (!(std::isalnum(c) || c == '-' || c == '[' || c == ']' || c == ':' || c >= 0x80)) return {};
    if (++label > 63) return {};
  }
  if (label == 0) return {};
  return d;
}

namespace {

// "alice" -> alice and "a\.b" -> a.b when what is quoted is a plain
// dot-atom (RFC 5321 4.1.2: the same mailbox, so Postfix unquotes it too);
// nullopt when the quotes are needed and the local part stays as written.
std::optional<std::string> unquoted_local(std::string_view local) {
  if (local.size() < 2 || local.front() != '"' || local.back() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < local.size(); ++i) {
    char ch = local[i];
    if (ch == '\\') {
      if (i + 2 >= local.size()) return std::nullopt;
      ch = local[++i];
    }
    out += ch;
  }
  if (out.empty() || out.front() == '.' || out.back() == '.' || out.find("..") != std::string::npos) return std::nullopt;
  for (char ch : out)
    if (ch != '.' && !is_atext(static_cast<unsigned char>(ch))) return std::nullopt;
  return out;
}

}  // namespace

std::string normalize_address(std::string_view address) {
  std::string_view a = trim(address);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  if (a.empty() || a.size() > 320) return {};
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return {};
  std::string_view local = a.substr(0, at);
  const auto plain = unquoted_local(local);
  if (plain) local = *plain;
  if (local.size() > 64) return {};
  for (char ch : local) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return {};
  }
  std::string domain = normalize_domain(a.substr(at + 1));
  if (domain.empty()) return {};
  return ascii_lower(local) + "@" + domain;
}

std::string_view address_domain(std::string_view normalized) {
  size_t at = normalized.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : normalized.substr(at + 1);
}

std::string_view address_local(std::string_view normalized) {
  size_t at = normalized.rfind('@');
  return at == std::string_view::npos ? normalized : normalized.substr(0, at);
}

size_t utf8_decode(std::string_view s, size_t pos, char32_t& cp) {
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n;
  char32_t v;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    v = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;  // continuation byte, overlong lead (c0, c1) or > U+10FFFF lead
  }
  if (s.size() - pos < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[pos + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3f);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000)) return 0;  // overlong
  if (v >= 0xd800 && v <= 0xdfff) return 0;                        // surrogate
  if (v > 0x10ffff) return 0;
  cp = v;
  return n;
}

bool utf8_valid(std::string_view s) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_decode(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace mail::common
