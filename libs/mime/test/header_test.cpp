// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the header-section utilities on raw message text.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "mail/mime/header.h"

using namespace mail::mime;

namespace {

struct EndCase {
  std::string msg;
  std::optional<size_t> want;
};

TEST(MimeHeader, FindHeaderEnd) {
  const std::vector<EndCase> cases = {
      {"", std::nullopt},
      {"\r\n", 2},
      {"\n", 1},
      {"\r\nbody", 2},
      {"A: b\r\n\r\nbody", 8},
      {"A: b\r\n\r\n", 8},
      {"A: b\n\nbody", 6},
      {"A: b\r\nC: d\r\n\r\n\r\n", 14},
      {"A: b\r\n", std::nullopt},
      {"A: b\r\nC: d", std::nullopt},
      {"A: b\r\n\r", std::nullopt},          // incomplete: the empty line has no LF yet
      {"A: b\r\n \r\n\r\n", 11},             // whitespace-only line is a continuation
      {"A: b\r\r\n\r\n", 9},                 // "b\r" is content; then the empty line
      {"A: b\r\n\n", 7},                     // mixed endings
      {"A: b\n\r\n", 7},
      {"A: b\r\rx\r\n\r\n", 11},
  };
  for (const auto& c : cases)
    EXPECT_EQ(find_header_end(c.msg), c.want) << testing::PrintToString(c.msg);
}

TEST(MimeHeader, SplitMessage) {
  auto s = split_message("A: b\r\n\r\nbody\r\n");
  EXPECT_EQ(s.header, "A: b\r\n\r\n");
  EXPECT_EQ(s.body, "body\r\n");
  s = split_message("A: b\r\nno blank line");
  EXPECT_EQ(s.header, "A: b\r\nno blank line");  // documented: all header
  EXPECT_EQ(s.body, "");
  s = split_message("\r\nonly body");
  EXPECT_EQ(s.header, "\r\n");
  EXPECT_EQ(s.body, "only body");
}

struct WantField {
  std::string name;
  std::string value;
  size_t offset;
  size_t length;
  bool valid = true;
};

struct ParseCase {
  std::string what;
  std::string input;
  std::vector<WantField> fields;
  size_t end;
  bool complete;
};

TEST(MimeHeader, ParseHeader) {
  const std::vector<ParseCase> cases = {
      {"empty", "", {}, 0, false},
      {"only blank line", "\r\nbody", {}, 2, true},
      {"one field", "Subject: hi\r\n\r\n", {{"Subject", " hi", 0, 13}}, 15, true},
      {"two fields, body ignored",
       "From: a@b\r\nTo: c@d\r\n\r\nX: not a header\r\n",
       {{"From", " a@b", 0, 11}, {"To", " c@d", 11, 9}},
       22,
       true},
      {"folded",
       "Received: from x\r\n\tby y;\r\n  date\r\nSubject: s\r\n\r\n",
       {{"Received", " from x\r\n\tby y;\r\n  date", 0, 34}, {"Subject", " s", 34, 12}},
       48,
       true},
      {"no final line end, no blank line", "A: 1\r\nB: 2", {{"A", " 1", 0, 6}, {"B", " 2", 6, 4}}, 10, false},
      {"LF only", "A: 1\n b\nC:\n\nbody", {{"A", " 1\n b", 0, 8}, {"C", "", 8, 3}}, 12, true},
      {"empty value and no space", "A:\r\nB:x\r\n\r\n", {{"A", "", 0, 4}, {"B", "x", 4, 5}}, 11, true},
      {"obsolete space before colon", "Subject  : hi\r\n\r\n", {{"Subject", " hi", 0, 15}}, 17, true},
      {"colon in value", "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n",
       {{"Date", " Fri, 21 Nov 1997 09:55:06 -0600", 0, 39}}, 39, false},
      {"mbox From line is invalid",
       "From a@b Mon May  2 16:07:05 2005\r\nTo: x\r\n\r\n",
       {{"", "From a@b Mon May  2 16:07:05 2005", 0, 35, false}, {"To", " x", 35, 7}},
       44,
       true},
      {"line without colon", "garbage\r\nA: 1\r\n", {{"", "garbage", 0, 9, false}, {"A", " 1", 9, 6}}, 15, false},
      {"continuation before any field", " lead\r\n\tmore\r\nA: 1\r\n",
       {{"", " lead\r\n\tmore", 0, 14, false}, {"A", " 1", 14, 6}}, 20, false},
      {"continuation of invalid entry", "junk\r\n cont\r\n", {{"", "junk\r\n cont", 0, 13, false}}, 13, false},
      {"empty name", ": x\r\n", {{"", ": x", 0, 5, false}}, 5, false},
      {"8-bit in name", "Sübject: x\r\n", {{"", "Sübject: x", 0, 13, false}}, 13, false},
      {"control in name", std::string("A\x01: x\r\n"), {{"", "A\x01: x", 0, 7, false}}, 7, false},
      {"8-bit value kept", "Subject: caf\xc3\xa9\r\n", {{"Subject", " caf\xc3\xa9", 0, 16}}, 16, false},
      {"bare CR is data", "A: x\ry\r\n\r\n", {{"A", " x\ry", 0, 8}}, 10, true},
      {"NUL in value", std::string("A: x\0y\r\n", 8), {{"A", std::string(" x\0y", 4), 0, 8}}, 8, false},
      {"whitespace-only continuation", "A: 1\r\n \r\n\r\n", {{"A", " 1\r\n ", 0, 9}}, 11, true},
  };
  for (const auto& c : cases) {
    auto r = parse_header(c.input);
    ASSERT_TRUE(std::holds_alternative<Header>(r)) << c.what;
    const Header& h = std::get<Header>(r);
    EXPECT_EQ(h.end, c.end) << c.what;
    EXPECT_EQ(h.complete, c.complete) << c.what;
    ASSERT_EQ(h.fields.size(), c.fields.size()) << c.what;
    for (size_t i = 0; i < c.fields.size(); ++i) {
      const Field& got = h.fields[i];
      const WantField& want = c.fields[i];
      EXPECT_EQ(got.name, want.name) << c.what << " #" << i;
      EXPECT_EQ(got.value, want.value) << c.what << " #" << i;
      EXPECT_EQ(got.offset, want.offset) << c.what << " #" << i;
      EXPECT_EQ(got.length, want.length) << c.what << " #" << i;
      EXPECT_EQ(got.valid, want.valid) << c.what << " #" << i;
    }
  }
}

TEST(MimeHeader, Limits) {
  Limits small{.max_header_bytes = 16, .max_fields = 2};
  // Exactly at the byte limit: accepted.
  EXPECT_TRUE(std::holds_alternative<Header>(parse_header("A: 1234567890\r\n\r\n", {.max_header_bytes = 17})));
  auto r = parse_header("A: 1234567890\r\n\r\n", {.max_header_bytes = 16});
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_EQ(std::get<Error>(r).kind, ErrorKind::kHeaderTooLarge);
  // A big body after a small header does not count.
  std::string msg = "A: 1\r\n\r\n" + std::string(1000, 'x');
  EXPECT_TRUE(std::holds_alternative<Header>(parse_header(msg, small)));
  // A long line with no end is refused without reading all of it.
  r = parse_header(std::string(100, 'x'), small);
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_EQ(std::get<Error>(r).kind, ErrorKind::kHeaderTooLarge);
  // Field count, invalid entries included.
  EXPECT_TRUE(std::holds_alternative<Header>(parse_header("A:\nB:\n\n", small)));
  r = parse_header("A:\nB:\nC:\n\n", small);
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_EQ(std::get<Error>(r).kind, ErrorKind::kTooManyFields);
  r = parse_header("x\ny\nz\n", small);
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_EQ(std::get<Error>(r).kind, ErrorKind::kTooManyFields);
  // Defaults: 10000 fields fine, 10001 not.
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "X: y\r\n";
  EXPECT_TRUE(std::holds_alternative<Header>(parse_header(many + "\r\n")));
  EXPECT_TRUE(std::holds_alternative<Error>(parse_header(many + "X: y\r\n\r\n")));
  // Defaults: 1 MiB.
  std::string big = "X: " + std::string(1024 * 1024, 'a') + "\r\n\r\n";
  EXPECT_EQ(std::get<Error>(parse_header(big)).kind, ErrorKind::kHeaderTooLarge);
}

TEST(MimeHeader, CountAndFind) {
  const std::string h =
      "Received: from a\r\n by b\r\nreceived: from c\r\nRECEIVED : x\r\nX-Received: no\r\n"
      "From Received: no\r\nDate: today\r\nMessage-ID: <1@x>\r\n\r\nReceived: body\r\n";
  auto r = parse_header(h);
  ASSERT_TRUE(std::holds_alternative<Header>(r));
  const auto& f = std::get<Header>(r).fields;
  EXPECT_EQ(count_fields(f, "Received"), 3u);
  EXPECT_EQ(count_fields(f, "x-received"), 1u);
  EXPECT_EQ(count_fields(f, "Return-Path"), 0u);
  ASSERT_NE(find_field(f, "date"), nullptr);
  EXPECT_EQ(find_field(f, "date")->value, " today");
  ASSERT_NE(find_field(f, "MESSAGE-ID"), nullptr);
  EXPECT_EQ(field_value(*find_field(f, "Message-Id")), "<1@x>");
  EXPECT_EQ(field_value(*find_field(f, "Received")), "from a by b");
  EXPECT_EQ(find_field(f, "Subject"), nullptr);
  EXPECT_EQ(find_field(f, ""), nullptr);  // invalid entries are never found
}

struct RemoveCase {
  std::string input;
  std::string name;
  std::string want;
};

TEST(MimeHeader, RemoveFields) {
  const std::vector<RemoveCase> cases = {
      {"Return-Path: <a@b>\r\nTo: x\r\n\r\nbody", "Return-Path", "To: x\r\n\r\nbody"},
      {"return-path: <a@b>\r\n\tmore\r\nTo: x\r\nRETURN-PATH:<c>\r\n\r\n", "Return-Path", "To: x\r\n\r\n"},
      {"To: x\r\nReturn-Path: <a>", "Return-Path", "To: x\r\n"},
      {"To: x\r\n\r\nReturn-Path: in body\r\n", "Return-Path", "To: x\r\n\r\nReturn-Path: in body\r\n"},
      {"X-Return-Path: k\r\nReturn-Pathx: k\r\n", "Return-Path", "X-Return-Path: k\r\nReturn-Pathx: k\r\n"},
      {" lead\r\nReceived: a\r\n b\r\nTo: x\r\n", "Received", " lead\r\nTo: x\r\n"},
      {"junk\r\n cont\r\nReceived: a\n\tb\nTo: x\n\nReceived: body", "Received",
       "junk\r\n cont\r\nTo: x\n\nReceived: body"},
      {"Subject : s\r\nA: b\r\n", "subject", "A: b\r\n"},
      {"", "Received", ""},
      {"\r\nReceived: x\r\n", "Received", "\r\nReceived: x\r\n"},
  };
  for (const auto& c : cases) {
    std::string got = remove_fields(c.input, c.name);
    EXPECT_EQ(got, c.want) << testing::PrintToString(c.input);
    auto r = parse_header(got);
    ASSERT_TRUE(std::holds_alternative<Header>(r));
    EXPECT_EQ(count_fields(std::get<Header>(r).fields, c.name), 0u);
  }
}

TEST(MimeHeader, Unfold) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {" plain", " plain"},
      {" a\r\n b", " a b"},
      {" a\r\n\tb", " a\tb"},
      {" a\n b", " a b"},
      {" a\r\n b\r\n  c", " a b  c"},
      {" a\r\nb", " a\r\nb"},  // not a fold
      {" a\r\n", " a\r\n"},
      {" a\r", " a\r"},
      {" a\r \r\n x", " a\r  x"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(unfold(in), want) << testing::PrintToString(in);
}

TEST(MimeHeader, ParseHeaderPrefix) {
  // Within the limits: the same as parse_header.
  Header h = parse_header_prefix("A: 1\r\nB: 2\r\n\r\nbody");
  EXPECT_TRUE(h.complete);
  EXPECT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.end, 14u);
  // Too many fields: the first max_fields, continuation lines included.
  Limits l;
  l.max_fields = 2;
  h = parse_header_prefix("A: 1\r\n x\r\nB: 2\r\nC: 3\r\n\r\n", l);
  EXPECT_FALSE(h.complete);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.fields[0].value, " 1\r\n x");
  EXPECT_EQ(h.end, 16u);
  // Too many bytes: whole lines that fit.
  l = Limits{};
  l.max_header_bytes = 12;
  h = parse_header_prefix("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", l);
  EXPECT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.end, 12u);
  l.max_header_bytes = 5;
  h = parse_header_prefix("A: 1\r\nB: 2\r\n\r\n", l);
  EXPECT_TRUE(h.fields.empty());
  EXPECT_EQ(h.end, 0u);
  // A first line longer than the limit and without an end.
  EXPECT_TRUE(parse_header_prefix(std::string(100, 'x'), l).fields.empty());
}

}  // namespace
