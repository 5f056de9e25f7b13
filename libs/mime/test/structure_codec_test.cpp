// SPDX-License-Identifier: Apache-2.0
// The byte form of MIME trees (structure_codec.h) on hand-written trees:
// round trips of every field (envelopes with groups and NILs, parameters,
// dispositions, languages, nested message/rfc822), the exact bytes of a
// small tree (so the format cannot change without a version bump), and
// refusal of corrupt input: every truncation, every single-byte change,
// other versions, trailing bytes, offsets that do not nest, children where
// none can be, and the limits. Also parse_structure_prefixed() on trace
// prefixes and on prefixes that change the root, and section extents.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"
#include "test_messages.h"

using namespace mail::mime;

namespace {

Part decoded(std::string_view bytes, const Limits& limits = {}) {
  auto r = decode_structure(bytes, limits);
  if (auto* e = std::get_if<DecodeError>(&r)) {
    ADD_FAILURE() << "decode failed at " << e->offset << ": " << e->text;
    return {};
  }
  return std::get<Part>(std::move(r));
}

DecodeError::Kind refused(std::string_view bytes, const Limits& limits = {}) {
  auto r = decode_structure(bytes, limits);
  if (std::holds_alternative<Part>(r)) {
    ADD_FAILURE() << "decoded corrupt input";
    return DecodeError::Kind::kInvalid;
  }
  return std::get<DecodeError>(r).kind;
}

TEST(MimeStructureCodec, RoundTripsTheCompositeMessage) {
  test::Composite c;
  Part root = parse_structure(c.msg);
  ASSERT_EQ(root.children.size(), 3u);
  const std::string bytes = encode_structure(root);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kStructureFormat);
  Part back = decoded(bytes);
  EXPECT_EQ(back, root);
  EXPECT_EQ(imap_body_structure(back, true), imap_body_structure(root, true));
  EXPECT_EQ(encode_structure(back), bytes);
  // Much smaller than the message it describes, though every field is there.
  EXPECT_LT(bytes.size(), c.msg.size());
}

TEST(MimeStructureCodec, RoundTripsEveryField) {
  Part root;
  root.header_offset = 0;
  root.header_size = 40;
  root.body_offset = 40;
  root.body_size = 500;
  root.type = "multipart";
  root.subtype = "mixed";
  root.params = {{"boundary", "b"}, {"name*", "utf-8''%41"}};
  root.id = "<id@x>";
  root.description = "";
  root.md5 = "abc";
  root.location = "http://x/";
  root.disposition = Disposition{"inline", {{"filename", "a b.txt"}}};
  root.language = {"en", "de-CH"};
  root.limited = true;
  Envelope e;
  e.date = "Mon, 1 Jan 2024 00:00:00 +0000";
  e.subject = std::string("8bit \xc3\xa9 and \"quotes\"\r\n");
  e.from = {Address{"A", std::nullopt, "a", "x.test"}};
  e.sender = {Address{std::nullopt, "@r1,@r2", "s", "y.test"}};
  e.reply_to = e.from;
  e.to = {Address{std::nullopt, std::nullopt, "group", std::nullopt}, Address{"M", std::nullopt, "m", "z"},
          Address{}};
  e.message_id = "<m@x>";
  root.envelope = e;
  Part text;
  text.header_offset = 45;
  text.header_size = 10;
  text.body_offset = 55;
  text.body_size = 20;
  text.body_lines = 2;
  text.params = {{"charset", "us-ascii"}};
  text.encoding = "quoted-printable";
  Part msg;
  msg.header_offset = 80;
  msg.header_size = 30;
  msg.body_offset = 110;
  msg.body_size = 300;
  msg.body_lines = 9;
  msg.type = "message";
  msg.subtype = "rfc822";
  Part inner;
  inner.header_offset = 110;
  inner.header_size = 100;
  inner.body_offset = 210;
  inner.body_size = 200;
  inner.body_lines = 4;
  inner.envelope = Envelope{};
  msg.children = {inner};
  root.children = {text, msg};
  const std::string bytes = encode_structure(root);
  Part back = decoded(bytes);
  EXPECT_EQ(back, root);
  ASSERT_TRUE(back.envelope);
  EXPECT_EQ(back.envelope->reply_to, back.envelope->from);
  EXPECT_EQ(back.envelope->sender, e.sender);
  EXPECT_EQ(back.children[1].children[0].envelope, Envelope{});
}

// The format is what older rows hold: a change to it needs a new version.
TEST(MimeStructureCodec, ExactBytesOfVersionOne) {
  Part root = parse_structure("Subject: x\r\n\r\nhi\r\n");
  const std::string bytes = encode_structure(root);
  const std::string want = std::string("\x01\x80\x01\x00\x0e\x04\x01", 7) + "\x04text\x05plain" +
                           "\x01\x07" "charset\x08us-ascii" + std::string("\x00", 1) +  // languages
                           "\x32\x01x" + std::string("\x00\x00\x00\x00", 4) +  // envelope: Subject, no addresses
                           std::string("\x00", 1);                                // children
  EXPECT_EQ(bytes, want);
  EXPECT_EQ(decoded(bytes), root);
}

TEST(MimeStructureCodec, EveryTruncationAndByteChangeIsRefusedOrValid) {
  test::Composite c;
  Part root = parse_structure(c.msg);
  const std::string bytes = encode_structure(root);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode_structure(bytes.substr(0, n));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(r)) << "prefix of " << n << " bytes decoded";
  }
  // A changed byte either is refused or gives a tree that passes the same
  // checks (a different length, a letter of a type...): never a crash.
  size_t refusals = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int delta : {1, 0x40, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] + delta);
      auto r = decode_structure(bad);
      if (std::holds_alternative<DecodeError>(r)) {
        ++refusals;
        continue;
      }
      const Part& p = std::get<Part>(r);
      EXPECT_EQ(decoded(encode_structure(p)), p);
      (void)imap_body_structure(p, true);
    }
  }
  EXPECT_GT(refusals, bytes.size());
}

TEST(MimeStructureCodec, RefusesVersionsTrailingBytesAndBadNumbers) {
  const std::string good = encode_structure(parse_structure("Subject: x\r\n\r\nhi\r\n"));
  EXPECT_EQ(refused(""), DecodeError::Kind::kVersion);
  std::string v2 = good;
  v2[0] = 2;
  EXPECT_EQ(refused(v2), DecodeError::Kind::kVersion);
  EXPECT_EQ(refused(std::string_view("\x00", 1)), DecodeError::Kind::kVersion);
  EXPECT_EQ(refused(good + "x"), DecodeError::Kind::kInvalid);
  // A varint of eleven bytes, and one past 2^64.
  EXPECT_EQ(refused("\x01\x80" + std::string(10, '\xff') + "\x01"), DecodeError::Kind::kInvalid);
  EXPECT_EQ(refused(std::string("\x01\x00", 2) + std::string(9, '\xff') + "\x02"), DecodeError::Kind::kInvalid);
  // Unknown part flags.
  std::string flags = good;
  ASSERT_EQ(flags.substr(1, 2), "\x80\x01");  // the envelope flag
  flags[2] = '\x03';                          // and bit 8, which means nothing
  EXPECT_EQ(refused(flags), DecodeError::Kind::kInvalid);
  // A string longer than what is left.
  EXPECT_EQ(refused(std::string("\x01\x00\x00\x00\x00\x00\x7f", 7) + "text"), DecodeError::Kind::kTruncated);
}

TEST(MimeStructureCodec, RefusesOffsetsThatDoNotNest) {
  Part root = parse_structure(test::Composite{}.msg);
  {
    Part bad = root;
    bad.children[1].body_size += bad.body_size;  // past its parent's end
    EXPECT_EQ(refused(encode_structure(bad)), DecodeError::Kind::kInvalid);
  }
  {
    Part bad = root;
    bad.children[2].header_offset = bad.children[1].header_offset;  // before its sibling's end
    bad.children[2].body_offset = bad.children[2].header_offset + bad.children[2].header_size;
    EXPECT_EQ(refused(encode_structure(bad)), DecodeError::Kind::kInvalid);
  }
  {
    Part bad = root;
    bad.children[0].children[0].body_lines = bad.children[0].children[0].body_size + 1;
    EXPECT_EQ(refused(encode_structure(bad)), DecodeError::Kind::kInvalid);
  }
  {
    Part bad = root;
    bad.children[2].children.push_back(Part{});  // application/pdf with a child
    bad.children[2].children[0].header_offset = bad.children[2].body_offset;
    bad.children[2].children[0].body_offset = bad.children[2].body_offset;
    EXPECT_EQ(refused(encode_structure(bad)), DecodeError::Kind::kInvalid);
  }
  {
    Part bad = root;  // a message/rfc822 with two messages
    bad.children[1].children.push_back(bad.children[1].children[0]);
    bad.children[1].children[1].header_offset = bad.children[1].body_offset + bad.children[1].body_size;
    bad.children[1].children[1].header_size = 0;
    bad.children[1].children[1].body_offset = bad.children[1].children[1].header_offset;
    bad.children[1].children[1].body_size = 0;
    bad.children[1].children[1].body_lines = 0;
    EXPECT_EQ(refused(encode_structure(bad)), DecodeError::Kind::kInvalid);
  }
}

TEST(MimeStructureCodec, KeepsTheParsersLimits) {
  Part root = parse_structure(test::Composite{}.msg);
  const std::string bytes = encode_structure(root);
  Limits shallow;
  shallow.max_depth = 1;  // the tree goes two deep
  EXPECT_EQ(refused(bytes, shallow), DecodeError::Kind::kLimit);
  Limits few;
  few.max_parts = 5;  // it has 7
  EXPECT_EQ(refused(bytes, few), DecodeError::Kind::kLimit);
  Limits params;
  params.max_params = 0;  // one over is allowed for the charset the parser adds
  EXPECT_EQ(refused(bytes, params), DecodeError::Kind::kLimit);
  Limits addresses;
  addresses.max_addresses = 1;  // and a group's end marker
  const std::string to = "To: a@x.test, b@x.test, c@x.test\r\n\r\n";
  EXPECT_EQ(refused(encode_structure(parse_structure(to)), addresses), DecodeError::Kind::kLimit);
  // The same limits for parsing and decoding always agree.
  for (const Limits& l : {shallow, few, params, addresses}) {
    for (const std::string& m : {test::Composite{}.msg, to}) {
      const Part t = parse_structure(m, l);
      EXPECT_EQ(decoded(encode_structure(t), l), t);
    }
  }
}

TEST(MimeStructurePrefixed, TraceLinesShiftTheTree) {
  test::Composite c;
  const Part tree = parse_structure(c.msg);
  const std::string prefix = "Return-Path: <s@x.test>\r\nDelivered-To: u@y.test\r\n";
  const Part shifted = parse_structure_prefixed(prefix, c.msg, tree);
  EXPECT_EQ(shifted, parse_structure(prefix + c.msg));
  EXPECT_EQ(shifted.children[1].header_offset, tree.children[1].header_offset + prefix.size());
  EXPECT_EQ(parse_structure_prefixed("", c.msg, tree), tree);
}

TEST(MimeStructurePrefixed, PrefixesThatChangeTheRootAreParsedWhole) {
  test::Composite c;
  const Part tree = parse_structure(c.msg);
  for (const std::string& prefix :
       {std::string("Content-Type: text/plain\r\n"),                 // the first Content-Type wins
        std::string("Content-Transfer-Encoding: base64\r\n"),
        std::string("X-Trace: none"),                                  // no line end: joins the next line
        std::string("Received: x\r\n\r\n"),                            // an empty line: a new header end
        std::string("\r\n"), std::string(" folded\r\n")}) {
    SCOPED_TRACE(prefix);
    EXPECT_EQ(parse_structure_prefixed(prefix, c.msg, tree), parse_structure(prefix + c.msg));
  }
  // Over the header limit with the prefix only.
  Limits small;
  small.max_header_bytes = c.header.size() + 10;
  const Part t = parse_structure(c.msg, small);
  const std::string prefix = "Return-Path: <s@x.test>\r\n";
  EXPECT_EQ(parse_structure_prefixed(prefix, c.msg, t, small), parse_structure(prefix + c.msg, small));
  // Messages without a body, or that start with their empty line.
  for (const std::string& m : {std::string("Subject: x\r\n"), std::string("\r\nbody\r\n"), std::string("\nbody\n"),
                              std::string(""), std::string("Subject: x")}) {
    SCOPED_TRACE(m);
    for (const std::string& prefix : {std::string("Return-Path: <>\r\n"), std::string("X: y")})
      EXPECT_EQ(parse_structure_prefixed(prefix, m, parse_structure(m)), parse_structure(prefix + m));
  }
}

TEST(MimeSectionExtent, ExtentsGiveTheSectionsOfFetchSection) {
  test::Composite c;
  const Part root = parse_structure(c.msg);
  const std::vector<std::vector<uint32_t>> paths = {{}, {1}, {1, 1}, {1, 2}, {2}, {2, 1}, {3}, {4}, {2, 1, 1}};
  for (const auto& path : paths) {
    for (auto text : {SectionText::kNone, SectionText::kHeader, SectionText::kHeaderFields,
                      SectionText::kHeaderFieldsNot, SectionText::kText, SectionText::kMime}) {
      const Section s{path, text, {"Subject", "FROM"}};
      SCOPED_TRACE(testing::PrintToString(path) + " " + std::to_string(static_cast<int>(text)));
      const SectionExtent e = section_extent(root, s, c.msg.size());
      ASSERT_LE(e.offset + e.size, c.msg.size());
      const SectionData whole = fetch_section(c.msg, root, s);
      const SectionData part = section_data(std::string_view(c.msg).substr(e.offset, e.size), e, s);
      EXPECT_EQ(part.found, whole.found);
      EXPECT_EQ(part.data(), whole.data());
      for (uint64_t origin : {0u, 1u, 7u, 100000u}) {
        for (std::optional<uint64_t> count : {std::optional<uint64_t>{}, std::optional<uint64_t>{3}}) {
          const SectionExtent pe = partial_extent(e, origin, count);
          ASSERT_LE(pe.offset + pe.size, c.msg.size());
          const SectionData pd = section_data(std::string_view(c.msg).substr(pe.offset, pe.size), pe, s);
          const std::string_view want = partial(whole.data(), origin, count);
          EXPECT_EQ(pe.filtered ? partial(pd.data(), origin, count) : pd.data(), want);
          if (!pe.filtered) {
            EXPECT_LE(pe.size, count.value_or(pe.size));
          }
        }
      }
    }
  }
  // BODY[] is the whole message, whatever the tree.
  EXPECT_EQ(section_extent(Part{}, Section{}, 1234), (SectionExtent{0, 1234, true, false}));
}

}  // namespace
