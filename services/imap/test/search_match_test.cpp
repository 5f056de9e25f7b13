// SPDX-License-Identifier: Apache-2.0
// The pure SEARCH matcher and SORT keys (search_match.h) on programs parsed
// from wire text: three-valued levels (what can be decided without the
// header or body), encoded-word and charset decoding, base64 bodies,
// SENT* dates as written, OLDER/YOUNGER, and the SORT keys of RFC 5256
// and RFC 5957.
#include <gtest/gtest.h>

#include "mail/imap/command.h"
#include "mail/mime/header.h"
#include "search_match.h"

namespace mail::imapd {
namespace {

constexpr int64_t kNow = 1736157600;  // 2025-01-06 10:00:00 UTC

// A program from "SEARCH <args>"; sets resolve against a view of 10 messages.
SearchProgram program(const std::string& args) {
  auto parsed = imap::parse_command("t SEARCH " + args);
  const auto* cmd = std::get_if<imap::Command>(&parsed);
  EXPECT_TRUE(cmd) << args;
  const auto& s = std::get<imap::Search>(cmd->body);
  auto p = SearchProgram::compile(
      s.key, s.charset, [](const imap::SearchSet& set) { return imap::resolve(set.set, 10); }, kNow);
  EXPECT_TRUE(std::holds_alternative<SearchProgram>(p)) << args;
  return std::get<SearchProgram>(std::move(p));
}

struct Msg {
  std::string text;
  store::MessageMeta meta;
  SearchMessage m;
  explicit Msg(std::string t, int flags = 0, int64_t internal = kNow) : text(std::move(t)) {
    meta.size = text.size();
    meta.internal_date = internal;
    m.seq = 4;
    m.uid = 40;
    m.modseq = 9;
    m.flags = flags;
    m.meta = &meta;
    m.header = std::string_view(text).substr(0, mime::find_header_end(text).value_or(text.size()));
    m.message = text;
  }
};

// A literal holding `s` (for needles with 8-bit bytes).
std::string lit(const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; }

Tri at(const std::string& args, Msg& msg, SearchLevel level) {
  SearchMessage copy = msg.m;  // fresh caches each time
  return program(args).match(copy, level);
}

TEST(SearchMatch, DecidesAtTheCheapestLevel) {
  Msg seen("Subject: x\r\n\r\nbody\r\n", store::kSeen);
  Msg unseen("Subject: x\r\n\r\nbody\r\n", 0);
  EXPECT_EQ(at("SEEN BODY body", unseen, SearchLevel::kIndex), Tri::kFalse);
  EXPECT_EQ(at("SEEN BODY body", seen, SearchLevel::kIndex), Tri::kUnknown);
  EXPECT_EQ(at("SEEN BODY body", seen, SearchLevel::kHeader), Tri::kUnknown);
  EXPECT_EQ(at("SEEN BODY body", seen, SearchLevel::kBody), Tri::kTrue);
  EXPECT_EQ(at("OR SEEN SUBJECT x", seen, SearchLevel::kIndex), Tri::kTrue);
  EXPECT_EQ(at("OR SEEN SUBJECT x", unseen, SearchLevel::kMeta), Tri::kUnknown);
  EXPECT_EQ(at("OR SEEN SUBJECT x", unseen, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("NOT LARGER 5", seen, SearchLevel::kIndex), Tri::kUnknown);
  EXPECT_EQ(at("NOT LARGER 5", seen, SearchLevel::kMeta), Tri::kFalse);
  EXPECT_EQ(program("SEEN").level(), SearchLevel::kIndex);
  EXPECT_EQ(program("OR SEEN SENTON 1-Jan-2020").level(), SearchLevel::kFields);
  EXPECT_EQ(program("HEADER X-Foo a").level(), SearchLevel::kHeader);
  EXPECT_EQ(program("OR FROM a HEADER subject b").level(), SearchLevel::kFields);
  EXPECT_TRUE(program("OR FROM a LARGER 5").needs(SearchLevel::kMeta));
  EXPECT_FALSE(program("OR FROM a SEEN").needs(SearchLevel::kMeta));
  EXPECT_TRUE(program("OR FROM a SEEN").needs(SearchLevel::kFields));
  EXPECT_FALSE(program("NOT TEXT x").needs(SearchLevel::kHeader)) << "TEXT is a body key (that reads the header too)";
  EXPECT_EQ(program("NOT TEXT x").level(), SearchLevel::kBody);
  EXPECT_EQ(at("4 MODSEQ 9", seen, SearchLevel::kIndex), Tri::kUnknown) << "MODSEQs come with the meta";
  EXPECT_EQ(at("4 MODSEQ 9", seen, SearchLevel::kMeta), Tri::kTrue);
  EXPECT_EQ(at("5:*", seen, SearchLevel::kIndex), Tri::kFalse);
  EXPECT_TRUE(program("MODSEQ 1").uses_modseq());
  EXPECT_FALSE(program("ALL").uses_modseq());
}

TEST(SearchMatch, DecodesHeadersAndBodies) {
  Msg m("From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.test>\r\n"
        "Subject: =?ISO-8859-1?B?R3L832U=?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "xZp3aWF0IMOXIMSMZXNrw6kgUMWZw61sacWhIQ==\r\n");  // "Świat × České Příliš!"
  EXPECT_EQ(at("CHARSET UTF-8 FROM " + lit("MÜLLER"), m, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("CHARSET UTF-8 FROM " + lit("jürgen"), m, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("CHARSET UTF-8 SUBJECT " + lit("grüß"), m, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("CHARSET UTF-8 BODY " + lit("české příliš"), m, SearchLevel::kBody), Tri::kTrue);
  EXPECT_EQ(at("BODY xZp3", m, SearchLevel::kBody), Tri::kFalse) << "the decoded text, not the base64";
  EXPECT_EQ(at("CHARSET UTF-8 TEXT " + lit("müller"), m, SearchLevel::kBody), Tri::kTrue) << "TEXT covers the header";
  EXPECT_EQ(at("HEADER content-transfer-encoding BASE64", m, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("HEADER X-Missing \"\"", m, SearchLevel::kHeader), Tri::kFalse);
  // ISO-8859-1 needle: "Grüß" as Latin-1 bytes.
  EXPECT_EQ(at("CHARSET ISO-8859-1 SUBJECT {4}\r\nGr\xfc\xdf", m, SearchLevel::kHeader), Tri::kTrue);
}

TEST(SearchMatch, DatesAndAges) {
  // Sent late on the 5th in California: the 6th in UTC, the 5th as written.
  Msg m("Date: Sun, 5 Jan 2025 23:30:00 -0800\r\n\r\nx\r\n", 0, kNow - 3600);
  EXPECT_EQ(at("SENTON 5-Jan-2025", m, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("SENTBEFORE 6-Jan-2025", m, SearchLevel::kHeader), Tri::kTrue);
  EXPECT_EQ(at("SENTSINCE 6-Jan-2025", m, SearchLevel::kHeader), Tri::kFalse);
  EXPECT_EQ(at("ON 6-Jan-2025", m, SearchLevel::kMeta), Tri::kTrue) << "INTERNALDATE's UTC day";
  EXPECT_EQ(at("SINCE 6-Jan-2025 BEFORE 7-Jan-2025", m, SearchLevel::kMeta), Tri::kTrue);
  EXPECT_EQ(at("YOUNGER 7200", m, SearchLevel::kMeta), Tri::kTrue);
  EXPECT_EQ(at("OLDER 1800", m, SearchLevel::kMeta), Tri::kTrue);
  EXPECT_EQ(at("OLDER 7200", m, SearchLevel::kMeta), Tri::kFalse);
  Msg undated("Subject: none\r\n\r\nx\r\n");
  EXPECT_EQ(at("SENTSINCE 1-Jan-1970", undated, SearchLevel::kHeader), Tri::kFalse);
  EXPECT_EQ(at("NOT SENTSINCE 1-Jan-1970", undated, SearchLevel::kHeader), Tri::kTrue);
}

TEST(SearchMatch, UnknownCharsetIsRefused) {
  auto parsed = imap::parse_command("t SEARCH CHARSET X-BOGUS ALL");
  const auto& s = std::get<imap::Search>(std::get<imap::Command>(parsed).body);
  auto p = SearchProgram::compile(s.key, s.charset, [](const imap::SearchSet&) { return imap::ResolvedSet{}; }, kNow);
  EXPECT_TRUE(std::holds_alternative<SearchError>(p));
  EXPECT_TRUE(search_charset_ok("utf-8"));
  EXPECT_TRUE(search_charset_ok("KOI8-R"));
  EXPECT_FALSE(search_charset_ok("X-BOGUS"));
}

TEST(SortKeys, Rfc5256AndRfc5957Keys) {
  store::MessageMeta meta;
  meta.internal_date = 1000;
  meta.size = 77;
  const std::string h =
      "From: \"Zed Example\" <Zed@Example.test>\r\nTo: undisclosed:;, =?UTF-8?Q?=C3=85sa?= <asa@example.test>\r\n"
      "Cc: \"Quoted Local\"@example.test\r\nSubject: Re: [list] Fwd: Hello World (fwd)\r\n"
      "Date: Thu, 1 Jan 1970 01:00:00 +0100\r\n\r\n";
  const SortKeys k = sort_keys(meta, h);
  EXPECT_EQ(k.from, "zed");
  EXPECT_EQ(k.to, "asa");
  EXPECT_EQ(k.display_from, "zed example");
  EXPECT_EQ(k.display_to, "\xc3\xa5sa") << "decoded and folded (Å → å)";
  EXPECT_EQ(k.cc, "quoted local");
  EXPECT_EQ(k.subject, "hello world");
  EXPECT_EQ(k.date, 0);
  EXPECT_EQ(k.arrival, 1000);
  EXPECT_EQ(k.size, 77u);
  const SortKeys bare = sort_keys(meta, "Subject: x\r\n\r\n");
  EXPECT_EQ(bare.date, 1000) << "no Date: falls back to INTERNALDATE";
  EXPECT_EQ(bare.display_from, "");

  using C = imap::SortCriterion;
  SortKeys a, b;
  a.subject = "apple";
  b.subject = "banana";
  a.size = b.size = 5;
  EXPECT_TRUE(sort_before({{C::kSubject, false}}, a, 2, b, 1));
  EXPECT_FALSE(sort_before({{C::kSubject, true}}, a, 2, b, 1));
  EXPECT_TRUE(sort_before({{C::kSize, true}}, a, 1, b, 2)) << "ties keep sequence order, even reversed";
  EXPECT_FALSE(sort_needs_header({{C::kSize, false}, {C::kArrival, true}}));
  EXPECT_TRUE(sort_needs_header({{C::kSize, false}, {C::kDate, false}}));
}

}  // namespace
}  // namespace mail::imapd
