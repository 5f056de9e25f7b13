// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for libs/mime: any bytes as a message.
// Header utilities: fields tile the header exactly, find_header_end and
// parse_header agree, remove_fields removes every occurrence and keeps the
// body, and unfold leaves no fold. MIME tree (default and small limits):
// parts tile their parents' byte ranges and keep the limits, ENVELOPE and
// BODY/BODYSTRUCTURE output is well-formed IMAP, every section of every part
// lies in the message (MIME and body sections are exactly the part's bytes),
// the tree's stored form decodes to the same tree, and the field and
// section-spec parsers take the input too. Invariant
// failures abort, so the replay gtest fails on them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime/address.h"
#include "mail/mime/content_type.h"
#include "mail/mime/envelope.h"
#include "mail/mime/header.h"
#include "mail/mime/imap_string.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"

namespace {

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz_mime: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

using namespace mail::mime;

void check_header(std::string_view msg, const Header& h) {
  auto end = find_header_end(msg);
  FUZZ_CHECK(h.complete == end.has_value());
  FUZZ_CHECK(h.end == (end ? *end : msg.size()));
  size_t pos = 0;
  for (const auto& f : h.fields) {
    FUZZ_CHECK(f.offset == pos && f.length > 0 && f.offset + f.length <= msg.size());
    const char* begin = msg.data() + f.offset;
    FUZZ_CHECK(f.value.data() >= begin && f.value.data() + f.value.size() <= begin + f.length);
    FUZZ_CHECK(f.valid != f.name.empty());
    if (f.valid) {
      FUZZ_CHECK(f.name.data() == begin);
      std::string u = unfold(f.value);
      FUZZ_CHECK(u.find("\n ") == std::string::npos && u.find("\n\t") == std::string::npos);
      (void)field_value(f);
    }
    pos += f.length;
  }
  // What follows the fields is the empty line ("\r\n" or "\n") or nothing.
  FUZZ_CHECK(h.end >= pos && h.end - pos <= 2);
  FUZZ_CHECK(h.complete == (h.end > pos));
}

void check_remove(std::string_view msg, std::string_view name, const Header& h) {
  std::string out = remove_fields(msg, name);
  size_t removed = 0;
  for (const auto& f : h.fields)
    if (count_fields(std::vector<Field>{f}, name) == 1) removed += f.length;
  FUZZ_CHECK(out.size() == msg.size() - removed);
  FUZZ_CHECK(split_message(out).body == split_message(msg).body);
  auto r = parse_header(out);
  FUZZ_CHECK(std::holds_alternative<Header>(r));  // smaller than msg, which parsed
  const auto& h2 = std::get<Header>(r);
  FUZZ_CHECK(count_fields(h2.fields, name) == 0);
  FUZZ_CHECK(h2.fields.size() == h.fields.size() - count_fields(h.fields, name));
}

// One IMAP list of NIL, numbers, quoted strings, literals and lists.
bool well_formed(std::string_view s) {
  size_t i = 0;
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '(') {
      ++depth;
      ++i;
    } else if (c == ')') {
      if (--depth < 0) return false;
      ++i;
      if (depth == 0) return i == s.size();
    } else if (depth == 0) {
      return false;
    } else if (c == ' ') {
      ++i;
    } else if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        if (u == '\r' || u == '\n' || u == 0 || u >= 0x80) return false;
        if (s[i] == '\\' && (++i >= s.size() || (s[i] != '"' && s[i] != '\\'))) return false;
      }
      if (i++ >= s.size()) return false;
    } else if (c == '{') {
      size_t n = 0, k = i + 1;
      for (; k < s.size() && s[k] >= '0' && s[k] <= '9'; ++k) n = n * 10 + static_cast<size_t>(s[k] - '0');
      if (k == i + 1 || s.substr(k, 3) != "}\r\n" || k + 3 + n > s.size()) return false;
      i = k + 3 + n;
    } else if (s.substr(i, 3) == "NIL") {
      i += 3;
    } else if (c >= '0' && c <= '9') {
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
      return false;
    }
  }
  return false;
}

struct TreeCount {
  size_t parts = 0;
  size_t depth = 0;
};

void check_part(const Part& p, size_t lo, size_t hi, size_t depth, TreeCount& n) {
  ++n.parts;
  if (depth > n.depth) n.depth = depth;
  FUZZ_CHECK(p.header_offset >= lo && p.header_offset + p.header_size == p.body_offset);
  FUZZ_CHECK(p.body_offset + p.body_size <= hi && p.body_lines <= p.body_size);
  size_t pos = p.body_offset, end = p.body_offset + p.body_size;
  if (p.is_multipart()) FUZZ_CHECK(!p.children.empty() || p.limited);
  if (p.is_message()) {
    FUZZ_CHECK(p.children.size() <= 1);
    if (!p.children.empty()) {
      const Part& c = p.children.front();
      FUZZ_CHECK(c.header_offset == p.body_offset && c.body_offset + c.body_size == end && c.envelope);
    }
  }
  if (!p.is_multipart() && !p.is_message()) FUZZ_CHECK(p.children.empty());
  for (const auto& c : p.children) {
    check_part(c, pos, end, depth + 1, n);
    pos = c.body_offset + c.body_size;
  }
}

struct Numbered {
  std::vector<uint32_t> path;
  const Part* part;
};

void number_part(const Part& p, const std::vector<uint32_t>& path, std::vector<Numbered>& out);

void number_message(const Part& top, const std::vector<uint32_t>& path, std::vector<Numbered>& out) {
  size_t n = top.is_multipart() ? top.children.size() : 1;
  for (size_t i = 0; i < n; ++i) {
    auto p = path;
    p.push_back(static_cast<uint32_t>(i + 1));
    number_part(top.is_multipart() ? top.children[i] : top, p, out);
  }
}

void number_part(const Part& p, const std::vector<uint32_t>& path, std::vector<Numbered>& out) {
  out.push_back(Numbered{path, &p});
  if (p.is_multipart()) number_message(p, path, out);
  else if (p.is_message() && !p.children.empty()) number_message(p.children.front(), path, out);
}

void check_structure(std::string_view msg, const Limits& limits) {
  Part root = parse_structure(msg, limits);
  FUZZ_CHECK(root.header_offset == 0 && root.body_offset + root.body_size == msg.size() && root.envelope);
  TreeCount n;
  check_part(root, 0, msg.size(), 0, n);
  FUZZ_CHECK(n.parts <= limits.max_parts && n.depth <= limits.max_depth);
  auto stored = decode_structure(encode_structure(root), limits);  // what a store keeps for FETCH
  FUZZ_CHECK(std::holds_alternative<Part>(stored) && std::get<Part>(stored) == root);
  FUZZ_CHECK(well_formed(imap_envelope(*root.envelope)));
  FUZZ_CHECK(well_formed(imap_body_structure(root, false)));
  FUZZ_CHECK(well_formed(imap_body_structure(root, true)));

  std::vector<Numbered> parts;
  number_message(root, {}, parts);
  const std::vector<std::string> names = {"Subject", "content-type"};
  for (const auto& np : parts) {
    FUZZ_CHECK(find_part(root, np.path) == np.part);
    for (auto text : {SectionText::kNone, SectionText::kHeader, SectionText::kHeaderFields,
                      SectionText::kHeaderFieldsNot, SectionText::kText, SectionText::kMime}) {
      SectionData d = fetch_section(msg, root, Section{np.path, text, names}, limits);
      if (!d.built) FUZZ_CHECK(d.view.empty() || (d.view.data() >= msg.data() && d.view.data() + d.view.size() <= msg.data() + msg.size()));
      const Part& p = *np.part;
      if (text == SectionText::kNone) FUZZ_CHECK(d.data() == msg.substr(p.body_offset, p.body_size));
      if (text == SectionText::kMime) FUZZ_CHECK(d.data() == msg.substr(p.header_offset, p.header_size));
      FUZZ_CHECK(partial(d.data(), 1, 3).size() <= 3);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view msg(reinterpret_cast<const char*>(bytes), size);
  auto split = split_message(msg);
  FUZZ_CHECK(split.header.size() + split.body.size() == msg.size());

  auto small = parse_header(msg, Limits{64, 4, 998});
  if (auto* e = std::get_if<Error>(&small)) FUZZ_CHECK(!e->text.empty());
  else FUZZ_CHECK(std::get<Header>(small).end <= 64 && std::get<Header>(small).fields.size() <= 4);

  Limits tight;
  tight.max_header_bytes = 128;
  tight.max_fields = 6;
  tight.max_depth = 3;
  tight.max_parts = 6;
  tight.max_boundary = 8;
  tight.max_params = 2;
  tight.max_addresses = 3;
  check_structure(msg, Limits{});
  check_structure(msg, tight);
  FUZZ_CHECK(well_formed("(" + imap_string(msg) + ")"));
  std::string list;
  append_imap_address_list(list, parse_address_list(msg, tight));
  FUZZ_CHECK(list == "NIL" || well_formed(list));
  FUZZ_CHECK(parse_content_type(msg, tight).params.size() <= tight.max_params);
  (void)parse_disposition(msg, tight);
  (void)parse_language(msg, tight);
  if (auto s = parse_section(msg.substr(0, 200), tight)) FUZZ_CHECK(s->part.size() <= tight.max_depth + 1);

  auto r = parse_header(msg);
  if (std::holds_alternative<Error>(r)) return 0;  // only limits fail; inputs here are small
  const Header& h = std::get<Header>(r);
  check_header(msg, h);
  check_remove(msg, "Received", h);
  for (const auto& f : h.fields) {
    if (f.valid) {
      check_remove(msg, f.name, h);
      break;
    }
  }
  return 0;
}
