// SPDX-License-Identifier: Apache-2.0
// Tests of FETCH / UID FETCH parsing on raw wire text (macros, items,
// sections, partials, BINARY, modifiers) and of the response item names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parse_util.h"

using namespace mail::imap;
using mail::imap::test::parse_as;
using mail::imap::test::parse_error;

namespace {

std::vector<std::string> names(const Fetch& f) {
  std::vector<std::string> out;
  for (const auto& item : f.items) out.push_back(response_name(item));
  return out;
}

TEST(ImapFetch, ItemsAndNames) {
  struct Case {
    std::string frame;
    std::vector<std::string> names;
  };
  const std::vector<Case> cases = {
      {"a FETCH 1 ALL", {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}},
      {"a FETCH 1 fast", {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}},
      {"a FETCH 1 FULL", {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}},
      {"a FETCH 1 flags", {"FLAGS"}},
      {"a FETCH 1 (UID RFC822.SIZE BODYSTRUCTURE MODSEQ)", {"UID", "RFC822.SIZE", "BODYSTRUCTURE", "MODSEQ"}},
      {"a FETCH 1 (RFC822 RFC822.HEADER RFC822.TEXT ENVELOPE)", {"RFC822", "RFC822.HEADER", "RFC822.TEXT", "ENVELOPE"}},
      {"a FETCH 1 BODY[]", {"BODY[]"}},
      {"a FETCH 1 body.peek[]", {"BODY[]"}},
      {"a FETCH 1 BODY[TEXT]", {"BODY[TEXT]"}},
      {"a FETCH 1 BODY[1.2.3]", {"BODY[1.2.3]"}},
      {"a FETCH 1 BODY[1.2.MIME]", {"BODY[1.2.MIME]"}},
      {"a FETCH 1 BODY[2.HEADER]", {"BODY[2.HEADER]"}},
      {"a FETCH 1 BODY[4.2.TEXT]<0.2048>", {"BODY[4.2.TEXT]<0>"}},
      {"a FETCH 1 BODY[]<100.5>", {"BODY[]<100>"}},
      {"a FETCH 1 (BODY.PEEK[HEADER.FIELDS (date From \"Subject\")])", {"BODY[HEADER.FIELDS (DATE FROM SUBJECT)]"}},
      {"a FETCH 1 BODY[HEADER.FIELDS.NOT (X-Priority)]", {"BODY[HEADER.FIELDS.NOT (X-PRIORITY)]"}},
      {"a FETCH 1 (BINARY[1] BINARY.PEEK[1.2]<0.10> BINARY.SIZE[3] BINARY[])",
       {"BINARY[1]", "BINARY[1.2]<0>", "BINARY.SIZE[3]", "BINARY[]"}},
      {"a FETCH 1 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])", {"FLAGS", "BODY[HEADER.FIELDS (DATE FROM)]"}},
  };
  for (const auto& c : cases) EXPECT_EQ(names(parse_as<Fetch>(c.frame)), c.names) << c.frame;
}

TEST(ImapFetch, SectionDetails) {
  auto f = parse_as<Fetch>("a UID FETCH 4:* (BODY.PEEK[1.2.HEADER.FIELDS (A B)]<10.20>) (CHANGEDSINCE 12345 VANISHED)");
  EXPECT_TRUE(f.uid);
  EXPECT_EQ(f.set, (SequenceSet{{{4, kStar}}, false}));
  ASSERT_EQ(f.items.size(), 1u);
  const auto& s = std::get<FetchSection>(f.items[0]);
  EXPECT_TRUE(s.peek);
  EXPECT_FALSE(s.binary);
  EXPECT_EQ(s.section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(s.section.text, Section::kHeaderFields);
  EXPECT_EQ(s.section.fields, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(s.partial, (Partial{10, 20}));
  EXPECT_EQ(f.changed_since, 12345u);
  EXPECT_TRUE(f.vanished);
  auto g = parse_as<Fetch>("a FETCH $ (FLAGS) (CHANGEDSINCE 1)");
  EXPECT_TRUE(g.set.saved);
  EXPECT_FALSE(g.vanished);
}

TEST(ImapFetch, Malformed) {
  for (std::string f : {
           "a FETCH", "a FETCH 1", "a FETCH 1 ", "a FETCH 0 FLAGS", "a FETCH 1 FROB", "a FETCH 1 (FLAGS",
           "a FETCH 1 ()", "a FETCH 1 (FLAGS  UID)", "a FETCH 1 BODY[", "a FETCH 1 BODY[HEADER", "a FETCH 1 BODY[MIME]",
           "a FETCH 1 BODY[0]", "a FETCH 1 BODY[1.]", "a FETCH 1 BODY[1..2]", "a FETCH 1 BODY[FOO]",
           "a FETCH 1 BODY[HEADER.FIELDS]", "a FETCH 1 BODY[HEADER.FIELDS ()]", "a FETCH 1 BODY[HEADER.FIELDS (a:b)]",
           "a FETCH 1 BODY[]<1>", "a FETCH 1 BODY[]<1.0>", "a FETCH 1 BODY[]<.5>", "a FETCH 1 BODY.PEEK",
           "a FETCH 1 BINARY[TEXT]", "a FETCH 1 BINARY.SIZE", "a FETCH 1 FLAGS (VANISHED)",
           "a FETCH 1 FLAGS (CHANGEDSINCE 5 VANISHED)", "a UID FETCH 1 FLAGS (VANISHED)",
           "a FETCH 1 FLAGS (CHANGEDSINCE 0)", "a FETCH 1 FLAGS (FROB)", "a FETCH 1,,2 FLAGS", "a FETCH 1:2:3 FLAGS",
           "a FETCH 4294967296 FLAGS", "a FETCH 1 ALL FLAGS", "a FETCH 1 (ALL)", "a FETCH 1 FLAGS UID"}) {
    Error e = parse_error(f);
    EXPECT_EQ(e.kind, ErrorKind::kSyntax) << f << ": " << e.text;
    EXPECT_EQ(e.tag, "a") << f;
  }
}

}  // namespace
