// SPDX-License-Identifier: Apache-2.0
// Tests of BODY[section]<partial> (RFC 3501 §6.4.5) on hand-written
// messages: part numbering of multiparts, of single-part messages and below
// message/rfc822 parts, HEADER / TEXT / MIME / HEADER.FIELDS[.NOT], parts
// that do not exist, partials, and section-spec parsing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/mime/section.h"
#include "test_messages.h"

using namespace mail::mime;

namespace {

struct Want {
  std::string spec;
  std::string data;
};

void expect_sections(const std::string& msg, const std::vector<Want>& wants) {
  Part root = parse_structure(msg);
  for (const auto& w : wants) {
    SCOPED_TRACE(w.spec);
    auto s = parse_section(w.spec);
    ASSERT_TRUE(s.has_value());
    SectionData d = fetch_section(msg, root, *s);
    EXPECT_EQ(d.data(), w.data);
    if (!w.data.empty()) {  // data only ever comes from a section that exists
      EXPECT_TRUE(d.found);
    }
    if (!d.built) {  // views point into the message
      EXPECT_TRUE(d.view.empty() || (d.view.data() >= msg.data() && d.view.data() + d.view.size() <= msg.data() + msg.size()));
    }
  }
}

TEST(MimeSection, NestedParts) {
  test::Composite c;
  const std::string body = c.msg.substr(c.header.size());
  expect_sections(
      c.msg,
      {
          {"", c.msg},
          {"HEADER", c.header},
          {"TEXT", body},
          {"HEADER.FIELDS (From Subject)", "From: a@example.com\r\nSubject: test\r\n\r\n"},
          {"HEADER.FIELDS (SUBJECT from)", "From: a@example.com\r\nSubject: test\r\n\r\n"},
          {"HEADER.FIELDS (X-None)", "\r\n"},
          {"HEADER.FIELDS.NOT (from subject MIME-Version)", "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"},
          {"1", c.alt_body},
          {"1.MIME", "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"},
          {"1.1", "Hello\r\nWorld"},
          {"1.1.MIME", "Content-Type: text/plain; charset=utf-8\r\n\r\n"},
          {"1.2", "<p>Hello</p>"},
          {"1.3", ""},
          {"1.1.1", ""},  // a text part has no subparts
          {"1.HEADER", ""},
          {"1.TEXT", ""},
          {"2", c.inner},
          {"2.MIME", "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=fwd.eml\r\n\r\n"},
          {"2.HEADER", c.inner.substr(0, c.inner.size() - 12)},
          {"2.TEXT", "Inner body\r\n"},
          {"2.HEADER.FIELDS (Subject)", "Subject: inner\r\n\r\n"},
          {"2.HEADER.FIELDS.NOT (Subject From)", "Message-ID: <m1@example.org>\r\n\r\n"},
          {"2.1", "Inner body\r\n"},  // part 1 of a single-part message: its body
          {"2.1.MIME", c.inner.substr(0, c.inner.size() - 12)},
          {"2.2", ""},
          {"2.1.1", ""},
          {"3", c.pdf},
          {"3.HEADER", ""},
          {"4", ""},
          {"4.MIME", ""},
          {"99999.1", ""},
      });
}

TEST(MimeSection, SinglePartAndEncapsulated) {
  expect_sections("Subject: x\r\n\r\nhello\r\n", {
                                                     {"1", "hello\r\n"},
                                                     {"1.MIME", "Subject: x\r\n\r\n"},
                                                     {"TEXT", "hello\r\n"},
                                                     {"2", ""},
                                                     {"1.1", ""},
                                                     {"1.HEADER", ""},
                                                 });
  // No empty line: the header fetch has none either; no body.
  expect_sections("Subject: x\r\nTo: y", {
                                             {"HEADER", "Subject: x\r\nTo: y"},
                                             {"HEADER.FIELDS (to)", "To: y\r\n"},
                                             {"TEXT", ""},
                                             {"1", ""},
                                         });
  // Bare LF: the empty line as written.
  expect_sections("A: 1\nB: 2\n\nbody", {{"HEADER.FIELDS (b)", "B: 2\n\n"}, {"1", "body"}});
  // Folded fields come whole.
  expect_sections("A: 1\r\n 2\r\nB: 3\r\n\r\n", {{"HEADER.FIELDS (a)", "A: 1\r\n 2\r\n\r\n"}});
  // A top-level message/rfc822: part 1 is the encapsulated message.
  const std::string m = "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody";
  expect_sections(m, {
                         {"HEADER", "Content-Type: message/rfc822\r\n\r\n"},
                         {"1", "Subject: in\r\n\r\nbody"},
                         {"1.HEADER", "Subject: in\r\n\r\n"},
                         {"1.TEXT", "body"},
                         {"1.1", "body"},
                         {"1.2", ""},
                     });
  // message/rfc822 whose message is multipart: numbers continue inside it.
  const std::string n =
      "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n"
      "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\nfirst\r\n--i\r\n\r\nsecond\r\n--i--\r\n"
      "\r\n--o--\r\n";
  expect_sections(n, {
                         {"1.1", "first"},
                         {"1.2", "second"},
                         {"1.2.MIME", "\r\n"},
                         {"1.3", ""},
                         {"1.HEADER", "Content-Type: multipart/alternative; boundary=i\r\n\r\n"},
                     });
}

TEST(MimeSection, FoundTellsEmptyFromMissing) {
  const std::string msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b--\r\n";
  Part root = parse_structure(msg);
  auto fetch = [&](const char* spec) { return fetch_section(msg, root, *parse_section(spec)); };
  EXPECT_TRUE(fetch("1").found);  // an empty part
  EXPECT_EQ(fetch("1").data(), "");
  EXPECT_TRUE(fetch("1.MIME").found);
  EXPECT_FALSE(fetch("2").found);
  EXPECT_FALSE(fetch("1.HEADER").found);
  EXPECT_FALSE(fetch("1.TEXT").found);
  EXPECT_TRUE(fetch("HEADER.FIELDS (x)").found);
  EXPECT_TRUE(fetch("TEXT").found);
  EXPECT_TRUE(fetch("").found);
}

TEST(MimeSection, Partial) {
  EXPECT_EQ(partial("hello", 1, 3), "ell");
  EXPECT_EQ(partial("hello", 2), "llo");
  EXPECT_EQ(partial("hello", 0, 100), "hello");
  EXPECT_EQ(partial("hello", 5), "");
  EXPECT_EQ(partial("hello", 1ull << 40, 1), "");
  EXPECT_EQ(partial("hello", 4, 0), "");
}

TEST(MimeSection, ParseSpec) {
  auto s = parse_section("1.2.HEADER.FIELDS (From \"To\")");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(s->text, SectionText::kHeaderFields);
  EXPECT_EQ(s->fields, (std::vector<std::string>{"From", "To"}));
  EXPECT_EQ(parse_section("header.fields.not (a b)")->text, SectionText::kHeaderFieldsNot);
  EXPECT_EQ(parse_section(""), Section{});
  EXPECT_EQ(parse_section("3")->part, std::vector<uint32_t>{3});
  EXPECT_EQ(parse_section("3.mime")->text, SectionText::kMime);
  EXPECT_EQ(parse_section("1.text")->text, SectionText::kText);
  EXPECT_EQ(parse_section("Header")->text, SectionText::kHeader);
  for (const char* bad : {"MIME", "0", "1.0", "1.", ".1", "1..2", "1.2x", "TEXT ", "HEADER.FIELDS", "HEADER.FIELDS ()",
                          "HEADER.FIELDS (a", "HEADER.FIELDS (a  b)", "HEADER.FIELDS (\"a)", "BODY", "4294967296",
                          "HEADER.FIELDS (a) "})
    EXPECT_FALSE(parse_section(bad).has_value()) << bad;
  EXPECT_EQ(parse_section("4294967295")->part, std::vector<uint32_t>{4294967295u});
  Limits l;
  l.max_depth = 2;
  EXPECT_TRUE(parse_section("1.2.3", l).has_value());
  EXPECT_FALSE(parse_section("1.2.3.4", l).has_value());
}

}  // namespace
