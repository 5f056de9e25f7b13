// SPDX-License-Identifier: Apache-2.0
// BODY[section] data and section-spec parsing (see section.h). Trusts the
// tree (it comes from parse_structure() over the same message: offsets are
// within it) and nothing in the section-spec, which comes from a client:
// numbers are bounded, unknown keywords refused. No diagnostics.
#include "mail/mime/section.h"

#include <algorithm>
#include <cassert>

#include "mail/common/strings.h"

namespace mail::mime {
namespace {

// The empty line that ends a header section, or "" when it has none.
std::string_view blank_line(std::string_view h) {
  if (h.ends_with("\r\n") && (h.size() == 2 || h[h.size() - 3] == '\n')) return h.substr(h.size() - 2);
  if (h.ends_with("\n") && (h.size() == 1 || h[h.size() - 2] == '\n')) return h.substr(h.size() - 1);
  return {};
}

std::string filter_header(std::string_view header, const std::vector<std::string>& names, bool keep_matching,
                          const Limits& limits) {
  Header h = parse_header_prefix(header, limits);
  std::string out;
  for (const auto& f : h.fields) {
    bool match = f.valid && std::any_of(names.begin(), names.end(),
                                        [&](const std::string& n) { return common::iequals(n, f.name); });
    if (match != keep_matching) continue;
    std::string_view bytes = header.substr(f.offset, f.length);
    out.append(bytes);
    if (!bytes.ends_with('\n')) out += "\r\n";  // last line of a header without an end
  }
  out.append(blank_line(header));
  return out;
}

SectionExtent header_extent(const Part& p) { return SectionExtent{p.header_offset, p.header_size, true, false}; }
SectionExtent body_extent(const Part& p) { return SectionExtent{p.body_offset, p.body_size, true, false}; }

// HEADER, TEXT, HEADER.FIELDS[.NOT] of the message whose top is top.
SectionExtent message_extent(const Part& top, SectionText text) {
  switch (text) {
    case SectionText::kHeader: return header_extent(top);
    case SectionText::kText: return body_extent(top);
    case SectionText::kHeaderFields:
    case SectionText::kHeaderFieldsNot: {
      SectionExtent e = header_extent(top);
      e.filtered = true;
      return e;
    }
    default: return {};
  }
}

}  // namespace

const Part* find_part(const Part& root, std::span<const uint32_t> path) {
  const Part* cur = &root;
  bool at_message = true;  // cur is the top of a message, not yet a numbered part
  for (uint32_t n : path) {
    if (!at_message && cur->is_message()) {
      if (cur->children.empty()) return nullptr;
      cur = &cur->children.front();
      at_message = true;
    }
    if (cur->is_multipart()) {
      if (n == 0 || n > cur->children.size()) return nullptr;
      cur = &cur->children[n - 1];
    } else if (!at_message || n != 1) {
      return nullptr;
    }
    at_message = false;
  }
  return cur;
}

SectionExtent section_extent(const Part& root, const Section& s, size_t message_size) {
  if (s.part.empty()) {
    if (s.text == SectionText::kNone) return SectionExtent{0, message_size, true, false};
    return message_extent(root, s.text);  // kMime has no extent here
  }
  const Part* p = find_part(root, s.part);
  if (!p) return {};
  switch (s.text) {
    case SectionText::kNone: return body_extent(*p);
    case SectionText::kMime: return header_extent(*p);
    default:
      if (p->is_message() && !p->children.empty()) return message_extent(p->children.front(), s.text);
      return {};
  }
}

SectionData section_data(std::string_view bytes, const SectionExtent& e, const Section& s, const Limits& limits) {
  SectionData d;
  d.found = e.found;
  if (!e.found) return d;
  if (e.filtered) d.built = filter_header(bytes, s.fields, s.text == SectionText::kHeaderFields, limits);
  else d.view = bytes;
  return d;
}

SectionExtent partial_extent(const SectionExtent& e, uint64_t origin, std::optional<uint64_t> count) {
  if (e.filtered) return e;
  SectionExtent out = e;
  if (origin >= e.size) {
    out.offset += e.size;
    out.size = 0;
    return out;
  }
  out.offset += static_cast<size_t>(origin);
  out.size = e.size - static_cast<size_t>(origin);
  if (count && *count < out.size) out.size = static_cast<size_t>(*count);
  return out;
}

SectionData fetch_section(std::string_view msg, const Part& root, const Section& s, const Limits& limits) {
  assert(root.body_offset + root.body_size <= msg.size());
  const SectionExtent e = section_extent(root, s, msg.size());
  return section_data(msg.substr(e.offset, e.size), e, s, limits);
}

std::string_view partial(std::string_view data, uint64_t origin, std::optional<uint64_t> count) {
  if (origin >= data.size()) return {};
  std::string_view rest = data.substr(static_cast<size_t>(origin));
  if (count && *count < rest.size()) rest = rest.substr(0, static_cast<size_t>(*count));
  return rest;
}

std::optional<Section> parse_section(std::string_view spec, const Limits& limits) {
  Section s;
  size_t pos = 0;
  // section-part: nz-number *("." nz-number)
  while (pos < spec.size() && spec[pos] >= '1' && spec[pos] <= '9') {
    uint64_t n = 0;
    while (pos < spec.size() && spec[pos] >= '0' && spec[pos] <= '9') {
      n = n * 10 + static_cast<uint64_t>(spec[pos++] - '0');
      if (n > UINT32_MAX) return std::nullopt;
    }
    if (s.part.size() >= limits.max_depth + 1) return std::nullopt;
    s.part.push_back(static_cast<uint32_t>(n));
    if (pos == spec.size()) return s;
    if (spec[pos] != '.') return std::nullopt;
    ++pos;
    if (pos == spec.size()) return std::nullopt;
  }
  std::string_view rest = spec.substr(pos);
  std::string_view keyword = rest.substr(0, rest.find(' '));
  std::string upper = common::ascii_upper(keyword);
  if (upper.empty() && s.part.empty()) return s;
  if (upper == "HEADER") s.text = SectionText::kHeader;
  else if (upper == "TEXT") s.text = SectionText::kText;
  else if (upper == "MIME" && !s.part.empty()) s.text = SectionText::kMime;
  else if (upper == "HEADER.FIELDS") s.text = SectionText::kHeaderFields;
  else if (upper == "HEADER.FIELDS.NOT") s.text = SectionText::kHeaderFieldsNot;
  else return std::nullopt;
  rest.remove_prefix(keyword.size());
  if (s.text != SectionText::kHeaderFields && s.text != SectionText::kHeaderFieldsNot)
    return rest.empty() ? std::optional<Section>(s) : std::nullopt;
  // SP header-list: "(" header-fld-name *(SP header-fld-name) ")", names astrings.
  if (!rest.starts_with(" (") || !rest.ends_with(")")) return std::nullopt;
  std::string_view list = rest.substr(2, rest.size() - 3);
  size_t i = 0;
  while (i <= list.size()) {
    std::string name;
    if (i < list.size() && list[i] == '"') {
      for (++i; i < list.size() && list[i] != '"'; ++i) {
        if (list[i] == '\\' && i + 1 < list.size()) ++i;
        name.push_back(list[i]);
      }
      if (i >= list.size()) return std::nullopt;
      ++i;
    } else {
      while (i < list.size() && list[i] != ' ') {
        auto u = static_cast<unsigned char>(list[i]);
        if (u <= 32 || u >= 127 || std::string_view("(){%*\"\\]").find(list[i]) != std::string_view::npos)
          return std::nullopt;
        name.push_back(list[i++]);
      }
    }
    if (name.empty() || s.fields.size() >= limits.max_fields) return std::nullopt;
    s.fields.push_back(std::move(name));
    if (i == list.size()) break;
    if (list[i] != ' ') return std::nullopt;
    ++i;
  }
  return s;
}

}  // namespace mail::mime
