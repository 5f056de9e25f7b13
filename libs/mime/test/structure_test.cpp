// SPDX-License-Identifier: Apache-2.0
// Tests of parse_structure() and the BODY / BODYSTRUCTURE writer on
// hand-written messages, with the exact IMAP wire form expected: RFC 3501's
// §7.4.2 example, nested multiparts with message/rfc822, digest defaults,
// broken delimiters, and the limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/mime/structure.h"
#include "test_messages.h"

using namespace mail::mime;

namespace {

// bytes octets in lines lines of 'a', CRLF between them and none at the end
// (the line end before a delimiter belongs to the delimiter).
std::string text_of(size_t bytes, size_t lines) {
  size_t width = (bytes - 2 * (lines - 1)) / lines;
  std::string out;
  for (size_t i = 0; i + 1 < lines; ++i) out += std::string(width, 'a') + "\r\n";
  out += std::string(bytes - out.size(), 'a');
  return out;
}

TEST(MimeStructure, Rfc3501Example) {
  const std::string msg = "From: gray@cac.washington.edu\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: MULTIPART/MIXED; BOUNDARY=\"x\"\r\n\r\n"
                          "--x\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n" +
                          text_of(1152, 23) +
                          "\r\n--x\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
                          "Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
                          "Content-Description: Compiled diff\r\nContent-Transfer-Encoding: BASE64\r\n\r\n" +
                          text_of(4554, 73) + "\r\n--x--\r\n";
  Part root = parse_structure(msg);
  EXPECT_EQ(imap_body_structure(root, false),
            R"((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23))"
            R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>")"
            R"( "Compiled diff" "BASE64" 4554 73) "MIXED"))");
  EXPECT_EQ(imap_body_structure(root, true),
            R"((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL))"
            R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>")"
            R"( "Compiled diff" "BASE64" 4554 73 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "x") NIL NIL NIL))");
  EXPECT_FALSE(root.limited);
}

TEST(MimeStructure, NestedAlternativeAndMessage) {
  mail::mime::test::Composite c;
  Part root = parse_structure(c.msg);
  const std::string jane = R"((("Doe, Jane" NIL "jane" "example.org")))";
  EXPECT_EQ(imap_body_structure(root, true),
            R"(((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 2 NIL NIL NIL NIL))"
            R"(("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL))"
            R"( "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL))"
            R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" )" +
                std::to_string(c.inner.size()) + R"( (NIL "inner" )" + jane + " " + jane + " " + jane +
                R"( NIL NIL NIL NIL "<m1@example.org>"))"
                R"( ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL) 5)"
                R"( NIL ("ATTACHMENT" ("FILENAME" "fwd.eml")) NIL NIL))"
                R"(("APPLICATION" "PDF" ("NAME" "a.pdf") "<c1@x>" "A file" "BASE64" 26)"
                R"( "Q2hlY2sgSW50ZWdyaXR5IQ==" NIL ("en" "de") "http://x/a.pdf"))"
                R"( "MIXED" ("BOUNDARY" "outer") NIL NIL NIL))");
  EXPECT_EQ(imap_body_structure(root, false),
            R"(((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 2))"
            R"(("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1) "ALTERNATIVE"))"
            R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" )" +
                std::to_string(c.inner.size()) + R"( (NIL "inner" )" + jane + " " + jane + " " + jane +
                R"( NIL NIL NIL NIL "<m1@example.org>"))"
                R"( ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1) 5))"
                R"(("APPLICATION" "PDF" ("NAME" "a.pdf") "<c1@x>" "A file" "BASE64" 26) "MIXED"))");

  // Offsets: the views are the pieces the message was built from.
  auto view = [&](size_t off, size_t n) { return std::string_view(c.msg).substr(off, n); };
  EXPECT_EQ(view(root.header_offset, root.header_size), c.header);
  ASSERT_EQ(root.children.size(), 3u);
  const Part& alt = root.children[0];
  EXPECT_EQ(view(alt.body_offset, alt.body_size), c.alt_body);
  EXPECT_EQ(view(alt.children[0].body_offset, alt.children[0].body_size), "Hello\r\nWorld");
  EXPECT_EQ(view(alt.children[1].header_offset, alt.children[1].header_size), "Content-Type: text/html\r\n\r\n");
  const Part& m = root.children[1];
  EXPECT_EQ(view(m.body_offset, m.body_size), c.inner);
  ASSERT_EQ(m.children.size(), 1u);
  EXPECT_EQ(view(m.children[0].body_offset, m.children[0].body_size), "Inner body\r\n");
  ASSERT_TRUE(m.children[0].envelope.has_value());
  EXPECT_EQ(view(root.children[2].body_offset, root.children[2].body_size), c.pdf);
  ASSERT_TRUE(root.envelope.has_value());
  EXPECT_EQ(root.envelope->subject, "test");
}

struct Case {
  std::string name;
  std::string msg;
  std::string body;  // BODY (non-extensible)
};

TEST(MimeStructure, Table) {
  const std::string plain = R"("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" )";
  const std::vector<Case> cases = {
      {"simple", "Subject: x\r\n\r\nhello\r\n", "(" + plain + "7 1)"},
      {"bare LF", "Subject: x\n\nhello\nworld", "(" + plain + "11 2)"},
      {"no body", "Subject: x", "(" + plain + "0 0)"},
      {"empty", "", "(" + plain + "0 0)"},
      {"invalid type", "Content-Type: garbage\r\n\r\nx", "(" + plain + "1 1)"},
      {"RFC 2231 charset is a charset", "Content-Type: text/plain; charset*=utf-8''\r\n\r\n",
       R"(("TEXT" "PLAIN" ("CHARSET*" "utf-8''") NIL NIL "7BIT" 0 0))"},
      {"text without charset", "Content-Type: text/html\r\n\r\nx", R"(("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 1 1))"},
      {"non-text has no lines", "Content-Type: image/png; name=a.png\r\nContent-Transfer-Encoding: Base64\r\n\r\niVBO\r\n",
       R"(("IMAGE" "PNG" ("NAME" "a.png") NIL NIL "BASE64" 6))"},
      {"digest defaults",
       "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nFrom: x@y\r\nSubject: one\r\n\r\nbody1\r\n"
       "--d\r\nContent-Type: text/plain\r\n\r\nnot a message\r\n--d--\r\n",
       R"((("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 32 (NIL "one" ((NIL NIL "x" "y")) ((NIL NIL "x" "y")))"
       R"( ((NIL NIL "x" "y")) NIL NIL NIL NIL NIL) ()" + plain + "5 1) 4)(" + plain + R"(13 1) "DIGEST"))"},
      {"digest default is only for direct children",
       "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\nContent-Type: multipart/mixed; boundary=e\r\n\r\n"
       "--e\r\n\r\nx\r\n--e--\r\n--d--\r\n",
       "(((" + plain + R"(1 1) "MIXED") "DIGEST"))"},
      {"missing close delimiter", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n",
       "((" + plain + "3 1)(" + plain + R"(5 1) "MIXED"))"},
      {"boundary never appears", "Content-Type: multipart/mixed; boundary=zz\r\n\r\nhello\r\n",
       "((" + plain + R"(7 1) "MIXED"))"},
      {"no boundary parameter", "Content-Type: multipart/mixed\r\n\r\nhello", "((" + plain + R"(5 1) "MIXED"))"},
      {"only a close delimiter", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
       "((" + plain + R"(7 1) "MIXED"))"},
      {"padding, LF, similar boundary, preamble, epilogue",
       "Content-Type: multipart/mixed; boundary=b\n\npre\n--b \t\nContent-Type: text/plain\n\nx\n--b2\n--b-- \nepi\n",
       "((" + plain + R"(6 2) "MIXED"))"},
      {"empty parts", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\n--b--",
       "((" + plain + "0 0)(" + plain + R"(0 0) "MIXED"))"},
      {"part without empty line is all header",
       "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n--b--\r\n",
       R"((("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0) "MIXED"))"},
      {"encoded message/rfc822 is opaque",
       "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp4\r\n",
       R"(("MESSAGE" "RFC822" NIL NIL NIL "BASE64" 22 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ()" + plain +
           "0 0) 1)"},
      {"top-level message/rfc822", "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody",
       R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 19 (NIL "in" NIL NIL NIL NIL NIL NIL NIL NIL) ()" + plain +
           "4 1) 3)"},
      {"quoted strings and literals in values",
       "Content-Type: text/plain; name=\"a \\\"b\\\" \\\\ c\"\r\nContent-Description: caf\xc3\xa9\r\n\r\n",
       "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\" \"NAME\" \"a \\\"b\\\" \\\\ c\") NIL {5}\r\ncaf\xc3\xa9 \"7BIT\" 0 0)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Part p = parse_structure(c.msg);
    EXPECT_EQ(imap_body_structure(p, false), c.body);
    EXPECT_EQ(p.body_offset + p.body_size, c.msg.size());
  }
}

TEST(MimeStructure, ExtensionData) {
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=b\r\nContent-Disposition: inline\r\n"
      "Content-Language: fr\r\nContent-Location: cid:x\r\n\r\n"
      "--b\r\nContent-Type: text/plain; name*0=\"long\"; name*1=\"name.txt\"\r\n"
      "Content-Disposition: attachment;\r\n filename*=utf-8''%C3%A9.txt\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
      "x\r\n--b--\r\n";
  EXPECT_EQ(imap_body_structure(parse_structure(msg), true),
            R"((("TEXT" "PLAIN" ("CHARSET" "us-ascii" "NAME" "longname.txt") NIL NIL "8BIT" 1 1 NIL)"
            R"( ("ATTACHMENT" ("FILENAME*" "utf-8''%C3%A9.txt")) NIL NIL) "MIXED" ("BOUNDARY" "b") ("INLINE" NIL) "fr")"
            R"( "cid:x"))");
}

TEST(MimeStructure, DepthLimit) {
  const std::string msg = "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"
                          "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--\r\n";
  Limits l;
  l.max_depth = 1;
  Part p = parse_structure(msg, l);
  EXPECT_FALSE(p.limited);
  ASSERT_EQ(p.children.size(), 1u);
  EXPECT_TRUE(p.children[0].limited);
  EXPECT_TRUE(p.children[0].children.empty());
  EXPECT_EQ(imap_body_structure(p, false),
            R"(((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0) "ALTERNATIVE") "MIXED"))");
  l.max_depth = 0;
  p = parse_structure(msg, l);
  EXPECT_TRUE(p.limited);
  EXPECT_TRUE(p.children.empty());
  l.max_depth = 2;
  EXPECT_EQ(parse_structure(msg, l).children[0].children.size(), 1u);
}

TEST(MimeStructure, PartsLimit) {
  std::string msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 5; ++i) msg += "--b\r\n\r\npart\r\n";
  msg += "--b--\r\n";
  Limits l;
  l.max_parts = 3;
  Part p = parse_structure(msg, l);
  EXPECT_EQ(p.children.size(), 2u);
  EXPECT_TRUE(p.limited);
  EXPECT_EQ(parse_structure(msg).children.size(), 5u);
  // The last child stops at the next delimiter even when it is not parsed.
  EXPECT_EQ(p.children[1].body_size, 4u);
}

TEST(MimeStructure, BoundaryAndHeaderLimits) {
  const std::string b(80, 'q');
  const std::string msg = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n\r\nx\r\n--" + b + "--\r\n";
  EXPECT_EQ(parse_structure(msg).children.size(), 1u);
  EXPECT_EQ(parse_structure(msg).children[0].body_size, 1u);
  Limits l;
  l.max_boundary = 70;
  Part p = parse_structure(msg, l);
  ASSERT_EQ(p.children.size(), 1u);
  EXPECT_EQ(p.children[0].header_size, 0u);  // the whole body, as one
  EXPECT_EQ(p.children[0].body_size, p.body_size);

  // A part header over max_header_bytes: the fields before the limit count,
  // the header still ends at its empty line.
  const std::string big = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\nX: " +
                          std::string(200, 'x') + "\r\nContent-ID: <late>\r\n\r\nbody\r\n--b--\r\n";
  l = Limits{};
  l.max_header_bytes = 100;
  p = parse_structure(big, l);
  ASSERT_EQ(p.children.size(), 1u);
  const Part& c = p.children[0];
  EXPECT_TRUE(c.limited);
  EXPECT_EQ(c.subtype, "html");
  EXPECT_FALSE(c.id.has_value());
  EXPECT_EQ(std::string_view(big).substr(c.body_offset, c.body_size), "body");
}

}  // namespace

namespace {

// Inputs built to be slow for a naive parser: each must finish quickly (the
// CTest timeout catches a regression) and keep the limits.
TEST(MimeStructure, PathologicalInputs) {
  // 2000 nested multiparts, each with its own boundary.
  std::string deep;
  for (int i = 0; i < 2000; ++i)
    deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  Part p = parse_structure(deep);
  size_t depth = 0;
  for (const Part* q = &p; !q->children.empty(); q = &q->children.front()) ++depth;
  EXPECT_EQ(depth, Limits{}.max_depth);

  // 5000 nested message/rfc822 parts.
  std::string msgs;
  for (int i = 0; i < 5000; ++i) msgs += "Content-Type: message/rfc822\r\n\r\n";
  p = parse_structure(msgs);
  EXPECT_GT(imap_body_structure(p, true).size(), 0u);

  // 50000 empty parts: max_parts stops at 10000.
  std::string many = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 50000; ++i) many += "--x\r\n";
  p = parse_structure(many);
  EXPECT_EQ(p.children.size(), Limits{}.max_parts - 1);
  EXPECT_TRUE(p.limited);

  // Address lists and parameters of a megabyte.
  std::string from = "From: ";
  for (int i = 0; i < 300000; ++i) from += "@:";
  p = parse_structure(from + "\r\n\r\n");
  EXPECT_LE(p.envelope->from.size(), Limits{}.max_addresses);
  std::string ct = "Content-Type: text/plain";
  for (int i = 0; i < 100000; ++i) ct += "; a*" + std::to_string(i % 10000) + "*=x";
  p = parse_structure(ct + "\r\n\r\n");
  EXPECT_LE(p.params.size(), Limits{}.max_params + 1);
}

}  // namespace
