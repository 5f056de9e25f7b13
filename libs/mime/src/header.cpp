// SPDX-License-Identifier: Apache-2.0
// Header-section scanner. Trusts nothing: any byte sequence is split into
// lines (LF-terminated, CR before LF dropped from the content) and every line
// is either an empty line (end of header), a continuation (starts with space
// or tab), or the start of a field or invalid entry. Work is linear and the
// only memory is the field vector, bounded by Limits.
#include "mail/mime/header.h"

#include <algorithm>

#include "mail/common/strings.h"

namespace mail::mime {
namespace {

struct Line {
  size_t start;
  size_t content_end;  // before CRLF / LF
  size_t end;          // past the LF, or the end of input
};

Line next_line(std::string_view s, size_t pos) {
  size_t nl = s.find('\n', pos);
  if (nl == std::string_view::npos) return Line{pos, s.size(), s.size()};
  size_t content_end = nl > pos && s[nl - 1] == '\r' ? nl - 1 : nl;
  return Line{pos, content_end, nl + 1};
}

// An empty line: nothing before its line end, and it has one.
bool is_blank(const Line& l) { return l.content_end == l.start && l.end > l.start; }

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// The field name of a line that starts a field, or nullopt for an invalid entry.
std::optional<std::string_view> field_name(std::string_view content) {
  size_t colon = content.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = content.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // obs-optional
  if (name.empty()) return std::nullopt;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return std::nullopt;
  }
  return name;
}

}  // namespace

std::optional<size_t> find_header_end(std::string_view msg) {
  size_t pos = 0;
  while (pos < msg.size()) {
    Line l = next_line(msg, pos);
    if (is_blank(l)) return l.end;
    pos = l.end;
  }
  return std::nullopt;
}

Split split_message(std::string_view msg) {
  auto end = find_header_end(msg);
  if (!end) return Split{msg, {}};
  return Split{msg.substr(0, *end), msg.substr(*end)};
}

std::variant<Header, Error> parse_header(std::string_view input, const Limits& limits) {
  // Look no further than one byte past the limit: a longer header is refused
  // without scanning the rest of a large message.
  const size_t max = limits.max_header_bytes;
  std::string_view s = input.substr(0, max < input.size() ? max + 1 : input.size());
  Header h;
  size_t pos = 0;
  while (pos < s.size()) {
    Line l = next_line(s, pos);
    if (l.end > max) return Error{ErrorKind::kHeaderTooLarge, "header section too large"};
    if (is_blank(l)) {
      h.end = l.end;
      h.complete = true;
      return h;
    }
    std::string_view content = s.substr(l.start, l.content_end - l.start);
    if (is_wsp(s[pos]) && !h.fields.empty()) {
      Field& f = h.fields.back();
      f.length = l.end - f.offset;
      f.value = std::string_view(f.value.data(), static_cast<size_t>(s.data() + l.content_end - f.value.data()));
    } else {
      if (h.fields.size() >= limits.max_fields) return Error{ErrorKind::kTooManyFields, "too many header fields"};
      Field f;
      f.offset = l.start;
      f.length = l.end - l.start;
      auto name = is_wsp(s[pos]) ? std::nullopt : field_name(content);
      if (name) {
        f.name = *name;
        f.value = content.substr(content.find(':') + 1);
      } else {
        f.valid = false;
        f.value = content;
      }
      h.fields.push_back(f);
    }
    pos = l.end;
  }
  h.end = s.size();
  return h;
}

Header parse_header_prefix(std::string_view input, const Limits& limits) {
  auto r = parse_header(input, limits);
  if (auto* h = std::get_if<Header>(&r)) return std::move(*h);
  // Whole lines within the byte limit, and no more field starts than allowed.
  size_t pos = 0, starts = 0, cut = 0;
  while (pos < input.size()) {
    Line l = next_line(input, pos);
    if (l.end > limits.max_header_bytes || l.end == l.content_end) break;  // too long, or no line end
    if (!is_wsp(input[pos]) && ++starts > limits.max_fields) break;
    cut = l.end;
    pos = l.end;
  }
  auto again = parse_header(input.substr(0, cut), limits);
  if (auto* h = std::get_if<Header>(&again)) return std::move(*h);
  return Header{};  // not reached: the prefix is within both limits
}

size_t count_fields(const std::vector<Field>& fields, std::string_view name) {
  return static_cast<size_t>(std::count_if(fields.begin(), fields.end(), [&](const Field& f) {
    return f.valid && common::iequals(f.name, name);
  }));
}

const Field* find_field(const std::vector<Field>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (f.valid && common::iequals(f.name, name)) return &f;
  return nullptr;
}

std::string remove_fields(std::string_view s, std::string_view name) {
  std::string out;
  out.reserve(s.size());
  bool skipping = false;
  size_t pos = 0;
  while (pos < s.size()) {
    Line l = next_line(s, pos);
    if (is_blank(l)) {
      out.append(s.substr(pos));
      return out;
    }
    // Same rule as parse_header: a continuation belongs to the entry before it.
    if (!is_wsp(s[pos])) {
      auto n = field_name(s.substr(l.start, l.content_end - l.start));
      skipping = n && common::iequals(*n, name);
    }
    if (!skipping) out.append(s.substr(pos, l.end - pos));
    pos = l.end;
  }
  return out;
}

std::string unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' && i + 2 < v.size() && v[i + 1] == '\n' && is_wsp(v[i + 2])) {
      ++i;  // skip CR and LF
      continue;
    }
    if (v[i] == '\n' && i + 1 < v.size() && is_wsp(v[i + 1])) continue;
    out.push_back(v[i]);
  }
  return out;
}

std::string field_value(const Field& field) {
  std::string v = unfold(field.value);
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t b = 0;
  while (b < v.size() && is_space(v[b])) ++b;
  size_t e = v.size();
  while (e > b && is_space(v[e - 1])) --e;
  return v.substr(b, e - b);
}

}  // namespace mail::mime
