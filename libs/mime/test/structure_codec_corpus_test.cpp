// SPDX-License-Identifier: Apache-2.0
// The stored form of MIME trees over every file of the shared real-world
// corpus (shared/corpus/mail-gem via corpus_files.h), as stored and in CRLF
// form, with the default and with small limits: encode → decode gives the
// same tree; the tree of trace lines + message computed from the message's
// tree (parse_structure_prefixed, as the mda does for each recipient) is
// the tree of the concatenation; and every section of every part, with and
// without a partial, is the same when read through its extent (as FETCH
// reads a stored message) as from the whole message.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "corpus_files.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"

using namespace mail::mime;
namespace fs = std::filesystem;

namespace {

using mail::mime::test::corpus_dir;
using mail::mime::test::read_file;
using mail::mime::test::to_crlf;

// Every numbered part's path (RFC 3501 numbering), the root's {} first.
void paths_of(const Part& top, std::vector<uint32_t> path, std::vector<std::vector<uint32_t>>& out) {
  const size_t n = top.is_multipart() ? top.children.size() : 1;
  for (size_t i = 0; i < n; ++i) {
    auto p = path;
    p.push_back(static_cast<uint32_t>(i + 1));
    out.push_back(p);
    const Part& part = top.is_multipart() ? top.children[i] : top;
    if (part.is_multipart()) paths_of(part, p, out);
    else if (&part != &top && part.is_message() && !part.children.empty()) paths_of(part.children.front(), p, out);
  }
}

void check_extents(std::string_view msg, const Part& root, const Limits& limits) {
  std::vector<std::vector<uint32_t>> paths = {{}};
  paths_of(root, {}, paths);
  const std::vector<std::string> names = {"From", "content-type"};
  for (const auto& path : paths) {
    for (auto text : {SectionText::kNone, SectionText::kHeader, SectionText::kHeaderFields,
                      SectionText::kHeaderFieldsNot, SectionText::kText, SectionText::kMime}) {
      const Section s{path, text, names};
      const SectionExtent e = section_extent(root, s, msg.size());
      ASSERT_LE(e.offset + e.size, msg.size());
      const SectionData want = fetch_section(msg, root, s, limits);
      const SectionData got = section_data(msg.substr(e.offset, e.size), e, s, limits);
      ASSERT_EQ(got.data(), want.data()) << testing::PrintToString(path);
      ASSERT_EQ(got.found, want.found);
      const uint64_t origin = want.data().size() / 3;
      const SectionExtent pe = partial_extent(e, origin, 100);
      const SectionData pd = section_data(msg.substr(pe.offset, pe.size), pe, s, limits);
      ASSERT_EQ(pe.filtered ? partial(pd.data(), origin, 100) : pd.data(), partial(want.data(), origin, 100));
    }
  }
}

TEST(MimeStructureCodecCorpus, RoundTripPrefixAndExtents) {
  const fs::path dir = corpus_dir();
  ASSERT_TRUE(fs::is_directory(dir)) << "corpus not found at " << dir << " (set MAIL_CORPUS_DIR)";
  const Limits small = mail::mime::test::small_limits();
  const std::vector<std::string> prefixes = {
      "Return-Path: <sender@example.net>\r\nDelivered-To: user@example.test\r\n",
      "Return-Path: <>\r\n",
      "Content-Type: text/plain\r\n",  // changes the root: parsed whole
  };
  size_t files = 0, bytes_in = 0, bytes_out = 0, shifted = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    SCOPED_TRACE(fs::relative(entry.path(), dir).string());
    const std::string raw = read_file(entry.path());
    const std::string crlf = to_crlf(raw);
    for (const std::string* msg : {&crlf, &raw}) {
      for (const Limits* limits : std::initializer_list<const Limits*>{nullptr, &small}) {  // nullptr: the defaults
        const Limits l = limits ? *limits : Limits{};
        const Part tree = parse_structure(*msg, l);
        const std::string bytes = encode_structure(tree);
        auto back = decode_structure(bytes, l);
        ASSERT_TRUE(std::holds_alternative<Part>(back)) << std::get<DecodeError>(back).text;
        ASSERT_EQ(std::get<Part>(back), tree);
        if (msg == &crlf && !limits) {
          bytes_in += msg->size();
          bytes_out += bytes.size();
          check_extents(*msg, std::get<Part>(back), l);
        }
        for (const auto& prefix : prefixes) {
          const Part p = parse_structure_prefixed(prefix, *msg, tree, l);
          ASSERT_EQ(p, parse_structure(prefix + *msg, l)) << prefix;
          shifted += p.children.size();
        }
      }
    }
  }
  EXPECT_GE(files, 100u);
  EXPECT_GT(shifted, 0u);
  // The stored form is a fraction of the mail it describes, though these
  // are small messages whose envelope is much of their header.
  EXPECT_LT(bytes_out * 4, bytes_in) << bytes_out << " bytes of structure for " << bytes_in << " of mail";
}

}  // namespace
