// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the address-list parser and the ENVELOPE writer on
// raw header text, with the exact IMAP wire form expected (RFC 3501 §7.4.2;
// RFC 5322 §A examples).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/mime/address.h"
#include "mail/mime/content_type.h"
#include "mail/mime/envelope.h"
#include "mail/mime/imap_string.h"

using namespace mail::mime;

namespace {

std::string wire(const std::vector<Address>& list) {
  std::string out;
  append_imap_address_list(out, list);
  return out;
}

struct AddrCase {
  std::string value;
  std::string want;
};

TEST(MimeAddress, Lists) {
  const std::vector<AddrCase> cases = {
      {"John Doe <jdoe@machine.example>", R"((("John Doe" NIL "jdoe" "machine.example")))"},
      {"\"Joe Q. Public\" <john.q.public@example.com>", R"((("Joe Q. Public" NIL "john.q.public" "example.com")))"},
      {"Joe Q. Public <john.q.public@example.com>", R"((("Joe Q. Public" NIL "john.q.public" "example.com")))"},
      {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
       R"((("Mary Smith" NIL "mary" "x.test")(NIL NIL "jdoe" "example.org")("Who?" NIL "one" "y.test")))"},
      {"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
       R"(((NIL NIL "boss" "nil.test")("Giant; \"Big\" Box" NIL "sysservices" "example.net")))"},
      // Groups: start marker with NIL host, end marker with NIL mailbox.
      {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
       R"(((NIL NIL "A Group" NIL)("Ed Jones" NIL "c" "a.test")(NIL NIL "joe" "where.test"))"
       R"(("John" NIL "jdoe" "one.test")(NIL NIL NIL NIL)))"},
      {"Undisclosed recipients:;", R"(((NIL NIL "Undisclosed recipients" NIL)(NIL NIL NIL NIL)))"},
      {"undisclosed-recipients: ;, x@y", R"(((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)(NIL NIL "x" "y")))"},
      {"G: a@b", R"(((NIL NIL "G" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL)))"},  // unterminated group
      // Comments are dropped; a comment names a bare addr-spec.
      {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", R"((("Pete" NIL "pete" "silly.test")))"},
      {"jdoe@example.org (John Doe)", R"((("John Doe" NIL "jdoe" "example.org")))"},
      // Quoted local part kept quoted; obsolete CFWS around dots.
      {"\"john doe\"@example.com", R"(((NIL NIL "\"john doe\"" "example.com")))"},
      {"john . doe @ example . com", R"(((NIL NIL "john.doe" "example.com")))"},
      {"x@[192.0.2.1]", R"(((NIL NIL "x" "[192.0.2.1]")))"},
      // Obsolete route.
      {"Joe <@machine.tld,@other.tld:john@example.com>", R"((("Joe" "@machine.tld,@other.tld" "john" "example.com")))"},
      // Empty elements, missing domain, nothing at all.
      {"a@b,,  , c@d", R"(((NIL NIL "a" "b")(NIL NIL "c" "d")))"},
      {"foo", R"(((NIL NIL "foo" "")))"},
      {"", "NIL"},
      {"  (just a comment) ", "NIL"},
      // Encoded words are not decoded; folding is unfolded.
      {"=?UTF-8?B?w6lsb2k=?=\r\n =?UTF-8?Q?x?= <e@x.test>", R"((("=?UTF-8?B?w6lsb2k=?= =?UTF-8?Q?x?=" NIL "e" "x.test")))"},
      // Broken: unterminated angle, stray '>', '@' in the display name.
      {"Bob <bob@example.com", R"((("Bob" NIL "bob" "example.com")))"},
      {"> a@b", R"(((NIL NIL "a" "b")))"},
      {"bob@x.test <bob@x.test>", R"((("bob@x.test" NIL "bob" "x.test")))"},
      {"<>", R"(((NIL NIL "" "")))"},
      {"\"unterminated <a@b>", R"(((NIL NIL "\"unterminated <a@b>\"" "")))"},
      // 8-bit names are literals.
      {"Jos\xc3\xa9 <j@x>", "((" "{5}\r\nJos\xc3\xa9" " NIL \"j\" \"x\"))"},
  };
  for (const auto& c : cases) EXPECT_EQ(wire(parse_address_list(c.value)), c.want) << testing::PrintToString(c.value);
}

TEST(MimeAddress, LimitKeepsGroupsBalanced) {
  Limits l;
  l.max_addresses = 2;
  EXPECT_EQ(wire(parse_address_list("a@b, c@d, e@f", l)), R"(((NIL NIL "a" "b")(NIL NIL "c" "d")))");
  EXPECT_EQ(wire(parse_address_list("G: a@b, c@d, e@f;", l)), R"(((NIL NIL "G" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL)))");
  EXPECT_EQ(wire(parse_address_list("a@b, c@d, G: e@f;", l)), R"(((NIL NIL "a" "b")(NIL NIL "c" "d")))");
}

TEST(MimeImapString, QuotedOrLiteral) {
  EXPECT_EQ(imap_string(""), "\"\"");
  EXPECT_EQ(imap_string("a \"b\" \\c"), R"("a \"b\" \\c")");
  EXPECT_EQ(imap_string("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(imap_string(std::string("a\0b", 3)), std::string("{3}\r\na\0b", 8));
  EXPECT_EQ(imap_string("\xff"), "{1}\r\n\xff");
  EXPECT_EQ(imap_string(std::string(1025, 'x')), "{1025}\r\n" + std::string(1025, 'x'));
}

TEST(MimeEnvelope, Rfc3501Example) {
  const std::string msg =
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
      "From: Terry Gray <gray@cac.washington.edu>\r\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
      "To: imap@cac.washington.edu\r\n"
      "cc: minutes@CNRI.Reston.VA.US,\r\n"
      "    John Klensin <KLENSIN@MIT.EDU>\r\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
      "\r\n"
      "body\r\n";
  EXPECT_EQ(imap_envelope(parse_envelope(msg)),
            R"x(("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes")x"
            R"( (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")))"
            R"( (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")))"
            R"( ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL)"
            R"( "<B27397-0100000@cac.washington.edu>"))");
}

struct EnvCase {
  std::string header;
  std::string want;
};

TEST(MimeEnvelope, Fields) {
  const std::vector<EnvCase> cases = {
      {"", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"},
      {"X: y\r\n\r\nbody", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"},
      // Sender / Reply-To default to From, also when present but empty.
      {"From: a@b\r\nSender:\r\nReply-To: \r\n\r\n",
       R"((NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL))"},
      {"From: a@b\nSender: s@b\nReply-To: r@b\nBcc: x@y\n\n",
       R"((NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "s" "b")) ((NIL NIL "r" "b")) NIL NIL ((NIL NIL "x" "y")) NIL NIL))"},
      // Raw values: folded subject unfolded, encoded words kept, empty subject "".
      {"Subject: =?ISO-8859-1?Q?a?=\r\n =?ISO-8859-1?Q?b?=\r\n\r\n",
       R"((NIL "=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=" NIL NIL NIL NIL NIL NIL NIL NIL))"},
      {"Subject:\r\n\r\n", R"((NIL "" NIL NIL NIL NIL NIL NIL NIL NIL))"},
      {"Subject: caf\xc3\xa9\r\n\r\n", "(NIL {5}\r\ncaf\xc3\xa9 NIL NIL NIL NIL NIL NIL NIL NIL)"},
      {"Subject: say \"hi\"\r\n\r\n", R"((NIL "say \"hi\"" NIL NIL NIL NIL NIL NIL NIL NIL))"},
      // First of repeated fields; In-Reply-To and Message-ID raw.
      {"Subject: one\r\nSubject: two\r\nIn-Reply-To: <a@b> <c@d>\r\nMessage-ID:  <x@y> \r\n\r\n",
       R"((NIL "one" NIL NIL NIL NIL NIL NIL "<a@b> <c@d>" "<x@y>"))"},
      // Header without an empty line (the whole input is header).
      {"To: Group:;", R"((NIL NIL NIL NIL NIL ((NIL NIL "Group" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL))"},
  };
  for (const auto& c : cases) EXPECT_EQ(imap_envelope(parse_envelope(c.header)), c.want) << testing::PrintToString(c.header);
}

TEST(MimeEnvelope, OverLimitUsesFieldsThatFit) {
  Limits l;
  l.max_fields = 2;
  EXPECT_EQ(imap_envelope(parse_envelope("Subject: s\r\nFrom: a@b\r\nTo: c@d\r\n\r\n", l)),
            R"((NIL "s" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL))");
  l = Limits{};
  l.max_header_bytes = 21;  // Subject and To fit; From would end at 32
  EXPECT_EQ(imap_envelope(parse_envelope("Subject: s\r\nTo: c@d\r\nFrom: a@b\r\n\r\n", l)),
            R"((NIL "s" NIL NIL NIL ((NIL NIL "c" "d")) NIL NIL NIL NIL))");
}

struct CtCase {
  std::string value;
  bool valid;
  std::string type, subtype;
  std::vector<Param> params;
};

TEST(MimeContentType, Values) {
  const std::vector<CtCase> cases = {
      {"text/plain", true, "text", "plain", {}},
      {"TEXT/PLAIN; CHARSET=US-ASCII", true, "text", "plain", {{"charset", "US-ASCII"}}},
      {" text / html ; charset = \"utf-8\" (comment) ; format=flowed", true, "text", "html",
       {{"charset", "utf-8"}, {"format", "flowed"}}},
      {"multipart/mixed;\r\n\tboundary=\"----=_Part_0\"", true, "multipart", "mixed", {{"boundary", "----=_Part_0"}}},
      {"application/octet-stream; name=my file.pdf", true, "application", "octet-stream", {{"name", "my file.pdf"}}},
      {"text", false, "", "", {}},
      {"", false, "", "", {}},
      {"/plain; a=b", false, "", "", {{"a", "b"}}},
      {"text/plain; junk; a=\"q\\\"x\"; =v; b", true, "text", "plain", {{"a", "q\"x"}}},
      {"text/plain; a=\"unterminated", true, "text", "plain", {{"a", "unterminated"}}},
      // RFC 2231: continuations merged in index order, encoded values kept encoded.
      {"application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20;"
       " title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
       true, "application", "x-stuff",
       {{"title*", "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!"}}},
      {"message/external-body; access-type=URL; URL*1=\"cross.com\"; URL*0=\"ftp://\"", true, "message",
       "external-body", {{"access-type", "URL"}, {"url", "ftp://cross.com"}}},
      {"application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", true, "application",
       "x-stuff", {{"title*", "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"}}},
      {"a/b; n*0=x; n*1*=%41; n*0=dup", true, "a", "b", {{"n*", "''x%41"}}},
  };
  for (const auto& c : cases) {
    auto ct = parse_content_type(c.value);
    SCOPED_TRACE(testing::PrintToString(c.value));
    EXPECT_EQ(ct.valid, c.valid);
    EXPECT_EQ(ct.type, c.type);
    EXPECT_EQ(ct.subtype, c.subtype);
    EXPECT_EQ(ct.params, c.params);
  }
  Limits l;
  l.max_params = 2;
  EXPECT_EQ(parse_content_type("a/b; x=1; y=2; z=3", l).params.size(), 2u);
}

TEST(MimeContentType, DispositionLanguageToken) {
  auto d = parse_disposition("Attachment; filename=\"genome.jpeg\";\r\n modification-date=\"Wed, 12 Feb 1997\"");
  EXPECT_EQ(d.type, "attachment");
  EXPECT_EQ(d.params, (std::vector<Param>{{"filename", "genome.jpeg"}, {"modification-date", "Wed, 12 Feb 1997"}}));
  EXPECT_EQ(parse_disposition("; filename=x").type, "");
  EXPECT_EQ(parse_language("en, fr (French)\r\n ,,de-CH"), (std::vector<std::string>{"en", "fr", "de-CH"}));
  EXPECT_TRUE(parse_language(" ").empty());
  EXPECT_EQ(parse_token(" (comment) Base64 "), "base64");
  EXPECT_EQ(parse_token("7-bit"), "7-bit");
  EXPECT_EQ(parse_token(";"), "");
}

}  // namespace
