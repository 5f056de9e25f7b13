// SPDX-License-Identifier: Apache-2.0
// Content-Type / Content-Disposition / Content-Language parsing (RFC 2045
// §5.1, RFC 2183, RFC 3282) with RFC 2231 continuations merged (see
// content_type.h). Trusts nothing: values come straight from a message
// header. Unterminated quotes and comments end at the end of the value,
// junk between parameters is skipped up to the next ';', and parameters
// beyond Limits::max_params are dropped. No diagnostics; the result says
// whether a type was found.
#include "mail/mime/content_type.h"

#include <algorithm>
#include <map>

#include "lex.h"
#include "mail/common/strings.h"

namespace mail::mime {
namespace {

// RFC 2045 token characters: printable US-ASCII except tspecials. 8-bit
// bytes are accepted too, since broken mail has them in parameter names.
bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u == 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

size_t read_token(std::string_view s, size_t pos, std::string& out) {
  while (pos < s.size() && is_token_char(s[pos])) out.push_back(s[pos++]);
  return pos;
}

// A parameter value after '=': a quoted string, or everything up to the next
// ';' with comments removed and surrounding spaces trimmed (tolerates
// unquoted values with spaces, as broken mailers write them).
size_t read_value(std::string_view s, size_t pos, std::string& out) {
  pos = lex::skip_cfws(s, pos);
  if (pos < s.size() && s[pos] == '"') {
    pos = lex::read_quoted(s, pos, out);
    return pos;
  }
  while (pos < s.size() && s[pos] != ';') {
    if (s[pos] == '(') {
      pos = lex::skip_comment(s, pos);
    } else if (s[pos] == '"') {
      pos = lex::read_quoted(s, pos, out);
    } else {
      if (s[pos] != '\r' && s[pos] != '\n') out.push_back(s[pos]);
      ++pos;
    }
  }
  while (!out.empty() && lex::is_space(out.back())) out.pop_back();
  return pos;
}

// RFC 2231 attribute-char: what may stay unencoded in an extended value.
bool is_attribute_char(char c) { return is_token_char(c) && c != '*' && c != '\'' && c != '%'; }

std::string percent_encode(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : v) {
    if (is_attribute_char(c)) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

struct Segment {
  unsigned index;
  bool extended;
  std::string value;
};

// "base*N" or "base*N*" (N: 1-4 digits) → base, N, extended. Other names → false.
bool split_continuation(std::string_view name, std::string& base, unsigned& index, bool& extended) {
  extended = !name.empty() && name.back() == '*';
  std::string_view n = extended ? name.substr(0, name.size() - 1) : name;
  size_t star = n.rfind('*');
  if (star == std::string_view::npos || star == 0) return false;
  std::string_view digits = n.substr(star + 1);
  if (digits.empty() || digits.size() > 4) return false;
  index = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<unsigned>(c - '0');
  }
  base = std::string(n.substr(0, star));
  return true;
}

std::vector<Param> merge_continuations(std::vector<Param> raw) {
  std::map<std::string, std::vector<Segment>> segments;
  std::vector<Param> out;
  for (auto& p : raw) {
    std::string base;
    unsigned index = 0;
    bool extended = false;
    if (!split_continuation(p.name, base, index, extended)) {
      out.push_back(std::move(p));
      continue;
    }
    auto [it, fresh] = segments.try_emplace(base);
    if (fresh) out.push_back(Param{"\x01" + base, {}});  // placeholder, filled below
    auto& segs = it->second;
    bool dup = std::any_of(segs.begin(), segs.end(), [&](const Segment& s) { return s.index == index; });
    if (!dup) segs.push_back(Segment{index, extended, std::move(p.value)});
  }
  for (auto& p : out) {
    if (p.name.empty() || p.name[0] != '\x01') continue;
    std::string base = p.name.substr(1);
    auto& segs = segments[base];
    std::sort(segs.begin(), segs.end(), [](const Segment& a, const Segment& b) { return a.index < b.index; });
    bool any_extended = std::any_of(segs.begin(), segs.end(), [](const Segment& s) { return s.extended; });
    std::string value;
    for (size_t i = 0; i < segs.size(); ++i) {
      const Segment& s = segs[i];
      if (!any_extended || s.extended) {
        value += s.value;
      } else {
        if (i == 0) value += "''";  // no charset'language' prefix to keep
        value += percent_encode(s.value);
      }
    }
    p.name = any_extended ? base + "*" : base;
    p.value = std::move(value);
  }
  return out;
}

// Parameters from pos on: *(";" attribute "=" value).
std::vector<Param> parse_params(std::string_view s, size_t pos, const Limits& limits) {
  std::vector<Param> raw;
  while (pos < s.size()) {
    // Skip to the next ';' (normally right here).
    while (pos < s.size() && s[pos] != ';') {
      if (s[pos] == '(') {
        pos = lex::skip_comment(s, pos);
      } else if (s[pos] == '"') {
        std::string ignored;
        pos = lex::read_quoted(s, pos, ignored);
      } else {
        ++pos;
      }
    }
    if (pos >= s.size()) break;
    pos = lex::skip_cfws(s, pos + 1);
    Param p;
    pos = read_token(s, pos, p.name);
    pos = lex::skip_cfws(s, pos);
    if (p.name.empty() || pos >= s.size() || s[pos] != '=') continue;
    pos = read_value(s, pos + 1, p.value);
    if (raw.size() >= limits.max_params) break;
    p.name = common::ascii_lower(p.name);
    raw.push_back(std::move(p));
  }
  return merge_continuations(std::move(raw));
}

}  // namespace

ContentType parse_content_type(std::string_view s, const Limits& limits) {
  ContentType ct;
  size_t pos = lex::skip_cfws(s, 0);
  std::string type, subtype;
  pos = read_token(s, pos, type);
  pos = lex::skip_cfws(s, pos);
  if (pos < s.size() && s[pos] == '/') {
    pos = lex::skip_cfws(s, pos + 1);
    pos = read_token(s, pos, subtype);
  }
  ct.valid = !type.empty() && !subtype.empty();
  if (ct.valid) {
    ct.type = common::ascii_lower(type);
    ct.subtype = common::ascii_lower(subtype);
  }
  ct.params = parse_params(s, pos, limits);
  return ct;
}

Disposition parse_disposition(std::string_view s, const Limits& limits) {
  Disposition d;
  size_t pos = lex::skip_cfws(s, 0);
  std::string type;
  pos = read_token(s, pos, type);
  d.type = common::ascii_lower(type);
  d.params = parse_params(s, pos, limits);
  return d;
}

std::vector<std::string> parse_language(std::string_view s, const Limits& limits) {
  std::vector<std::string> tags;
  size_t pos = 0;
  while (pos < s.size() && tags.size() < limits.max_params) {
    pos = lex::skip_cfws(s, pos);
    std::string tag;
    while (pos < s.size() && s[pos] != ',' && s[pos] != '(' && !lex::is_space(s[pos])) tag.push_back(s[pos++]);
    if (!tag.empty()) tags.push_back(std::move(tag));
    else if (pos < s.size()) ++pos;  // a ',' or a stray byte: always advance
  }
  return tags;
}

std::string parse_token(std::string_view s) {
  std::string t;
  read_token(s, lex::skip_cfws(s, 0), t);
  return common::ascii_lower(t);
}

const std::string* find_param(const std::vector<Param>& params, std::string_view name) {
  for (const auto& p : params)
    if (p.name == name) return &p.value;
  return nullptr;
}

}  // namespace mail::mime
