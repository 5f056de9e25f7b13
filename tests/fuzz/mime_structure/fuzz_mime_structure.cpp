// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the stored form of MIME trees (libs/mime
// structure_codec.h): any bytes as what a store row holds. Decoding never
// crashes; a tree it accepts nests (every part inside its parent's body,
// siblings in order, body_offset = header_offset + header_size), keeps the
// limits, encodes back to bytes that decode to the same tree, writes BODY
// and BODYSTRUCTURE, and every section extent of every part lies inside the
// message the root covers, so FETCH can read and slice with it safely.
// Small limits are tried too. Invariant failures abort, so the replay gtest
// fails on them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"

namespace {

#define FUZZ_CHECK(cond)                                                                            \
  do {                                                                                              \
    if (!(cond)) {                                                                                  \
      std::fprintf(stderr, "fuzz_mime_structure: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                                 \
    }                                                                                               \
  } while (0)

using namespace mail::mime;

struct Count {
  size_t parts = 0;
  size_t depth = 0;
};

void check_part(const Part& p, size_t lo, size_t hi, size_t depth, Count& n) {
  ++n.parts;
  if (depth > n.depth) n.depth = depth;
  FUZZ_CHECK(p.header_offset >= lo && p.header_offset + p.header_size == p.body_offset);
  FUZZ_CHECK(p.body_offset + p.body_size <= hi && p.body_lines <= p.body_size);
  if (!p.children.empty()) FUZZ_CHECK(p.is_multipart() || (p.is_message() && p.children.size() == 1));
  size_t pos = p.body_offset;
  for (const auto& c : p.children) {
    check_part(c, pos, p.body_offset + p.body_size, depth + 1, n);
    pos = c.body_offset + c.body_size;
  }
}

void paths_of(const Part& top, std::vector<uint32_t> path, std::vector<std::vector<uint32_t>>& out, size_t max) {
  const size_t n = top.is_multipart() ? top.children.size() : 1;
  for (size_t i = 0; i < n && out.size() < max; ++i) {
    auto p = path;
    p.push_back(static_cast<uint32_t>(i + 1));
    out.push_back(p);
    const Part& part = top.is_multipart() ? top.children[i] : top;
    if (part.is_multipart()) paths_of(part, p, out, max);
    else if (&part != &top && part.is_message() && !part.children.empty()) paths_of(part.children.front(), p, out, max);
  }
}

void check_tree(const Part& root, const Limits& limits) {
  Count n;
  const size_t end = root.body_offset + root.body_size;
  check_part(root, 0, end, 0, n);
  FUZZ_CHECK(n.parts <= limits.max_parts && n.depth <= limits.max_depth);
  auto again = decode_structure(encode_structure(root), limits);
  FUZZ_CHECK(std::holds_alternative<Part>(again) && std::get<Part>(again) == root);
  (void)imap_body_structure(root, false);
  (void)imap_body_structure(root, true);
  std::vector<std::vector<uint32_t>> paths = {{}, {1, 1, 1}, {0}, {UINT32_MAX}};
  paths_of(root, {}, paths, 200);
  // A message of the size the root covers (when small), to slice for real.
  const std::string msg = end <= (1u << 20) ? std::string(end, 'x') : std::string();
  for (const auto& path : paths) {
    for (auto text : {SectionText::kNone, SectionText::kHeader, SectionText::kHeaderFields,
                      SectionText::kHeaderFieldsNot, SectionText::kText, SectionText::kMime}) {
      const Section s{path, text, {"Subject"}};
      const SectionExtent e = section_extent(root, s, end);
      FUZZ_CHECK(e.offset <= end && e.size <= end - e.offset);
      const SectionExtent pe = partial_extent(e, 3, 5);
      FUZZ_CHECK(pe.offset >= e.offset && pe.offset + pe.size <= e.offset + e.size);
      if (!msg.empty() || end == 0) {
        const SectionData d = fetch_section(msg, root, s, limits);
        FUZZ_CHECK(d.found == e.found);
        if (!e.filtered) FUZZ_CHECK(d.data().size() == e.size);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(bytes), size);
  Limits tight;
  tight.max_depth = 3;
  tight.max_parts = 6;
  tight.max_params = 2;
  tight.max_addresses = 3;
  for (const Limits& limits : {Limits{}, tight}) {
    auto r = decode_structure(in, limits);
    if (auto* e = std::get_if<DecodeError>(&r)) {
      FUZZ_CHECK(e->offset <= size && !e->text.empty());
      continue;
    }
    check_tree(std::get<Part>(r), limits);
  }
  // As a message too: its tree's stored form decodes to it.
  const Part tree = parse_structure(in, tight);
  auto back = decode_structure(encode_structure(tree), tight);
  FUZZ_CHECK(std::holds_alternative<Part>(back) && std::get<Part>(back) == tree);
  return 0;
}
