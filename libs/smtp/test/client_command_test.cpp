// SPDX-License-Identifier: Apache-2.0
// Client command formatting tests: exact wire text for every command, path
// quoting, the RFC 5321 length limits, SMTPUTF8, DSN parameters, AUTH PLAIN,
// and refusal of CR, LF and NUL anywhere. Where a line is accepted, the
// server-side parser must read it back to the same address.
#include <gtest/gtest.h>

#include "mail/common/base64.h"
#include "mail/smtp/client_command.h"
#include "mail/smtp/command.h"

using namespace mail::smtp;

namespace {

std::string ok(const Formatted& f) {
  if (auto* e = std::get_if<FormatError>(&f)) return "!" + std::string(format_error_name(*e));
  return std::get<std::string>(f);
}

TEST(ClientCommand, SimpleCommands) {
  EXPECT_EQ(ok(format_ehlo("client.example")), "EHLO client.example\r\n");
  EXPECT_EQ(ok(format_helo("client.example")), "HELO client.example\r\n");
  EXPECT_EQ(ok(format_ehlo("[192.0.2.1]")), "EHLO [192.0.2.1]\r\n");
  EXPECT_EQ(ok(format_ehlo("[IPv6:2001:db8::1]")), "EHLO [IPv6:2001:db8::1]\r\n");
  EXPECT_EQ(ok(format_ehlo("localhost")), "EHLO localhost\r\n");
  EXPECT_EQ(kData, "DATA\r\n");
  EXPECT_EQ(kRset, "RSET\r\n");
  EXPECT_EQ(kQuit, "QUIT\r\n");
  EXPECT_EQ(kNoop, "NOOP\r\n");
  EXPECT_EQ(kStarttls, "STARTTLS\r\n");
  EXPECT_EQ(format_bdat(0, true), "BDAT 0 LAST\r\n");
  EXPECT_EQ(format_bdat(65536, false), "BDAT 65536\r\n");
}

TEST(ClientCommand, BadGreetingNames) {
  EXPECT_EQ(ok(format_ehlo("")), "!bad_domain");
  EXPECT_EQ(ok(format_ehlo("a b")), "!bad_domain");
  EXPECT_EQ(ok(format_ehlo("a..b")), "!bad_domain");
  EXPECT_EQ(ok(format_ehlo("[]")), "!bad_domain");
  EXPECT_EQ(ok(format_ehlo("client\r\nMAIL FROM:<x@y>")), "!control");
  EXPECT_EQ(ok(format_helo("client\n")), "!control");
  EXPECT_EQ(ok(format_ehlo(std::string_view("a\0b", 3))), "!control");
  EXPECT_EQ(ok(format_ehlo("b\xc3\xbc" "cher.example")), "!needs_smtputf8");
  EXPECT_EQ(ok(format_ehlo(std::string(256, 'a'))), "!domain_too_long");
  EXPECT_EQ(ok(format_ehlo(std::string(64, 'a') + ".example")), "!bad_domain");  // label over 63
}

TEST(ClientCommand, Mail) {
  EXPECT_EQ(ok(format_mail("alice@example.org")), "MAIL FROM:<alice@example.org>\r\n");
  EXPECT_EQ(ok(format_mail("")), "MAIL FROM:<>\r\n");
  MailParams p;
  p.size = 12345;
  p.body = BodyType::k8BitMime;
  p.smtputf8 = true;
  EXPECT_EQ(ok(format_mail("j\xc3\xb6rg@b\xc3\xbc" "cher.example", p)),
            "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc" "cher.example> SIZE=12345 BODY=8BITMIME SMTPUTF8\r\n");
  p = {};
  p.body = BodyType::k7Bit;
  EXPECT_EQ(ok(format_mail("", p)), "MAIL FROM:<> BODY=7BIT\r\n");
  p = {};
  p.size = 0;
  EXPECT_EQ(ok(format_mail("a@b", p)), "MAIL FROM:<a@b> SIZE=0\r\n");
}

TEST(ClientCommand, Rcpt) {
  EXPECT_EQ(ok(format_rcpt("bob@example.net")), "RCPT TO:<bob@example.net>\r\n");
  EXPECT_EQ(ok(format_rcpt("Postmaster")), "RCPT TO:<Postmaster>\r\n");
  EXPECT_EQ(ok(format_rcpt("")), "!bad_address");
  RcptParams p;
  p.notify_failure = true;
  p.notify_delay = true;
  p.orcpt = "bob+tag=1@example.net";
  EXPECT_EQ(ok(format_rcpt("bob@example.net", p)),
            "RCPT TO:<bob@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob+2Btag+3D1@example.net\r\n");
  p = {};
  p.notify_never = true;
  EXPECT_EQ(ok(format_rcpt("b@c", p)), "RCPT TO:<b@c> NOTIFY=NEVER\r\n");
  p.notify_success = true;
  EXPECT_EQ(ok(format_rcpt("b@c", p)), "!bad_argument");
  p = {};
  p.notify_success = true;
  p.notify_failure = true;
  p.notify_delay = true;
  EXPECT_EQ(ok(format_rcpt("b@c", p)), "RCPT TO:<b@c> NOTIFY=SUCCESS,FAILURE,DELAY\r\n");
  p = {};
  p.orcpt = "a b@c";
  EXPECT_EQ(ok(format_rcpt("b@c", p)), "RCPT TO:<b@c> ORCPT=rfc822;a+20b@c\r\n");
  p.orcpt = "a\r\nb@c";
  EXPECT_EQ(ok(format_rcpt("b@c", p)), "!control");
  p.orcpt = "\xc3\xa9@c";
  EXPECT_EQ(ok(format_rcpt("b@c", p)), "!bad_argument");
  // Non-ASCII needs SMTPUTF8.
  EXPECT_EQ(ok(format_rcpt("\xc3\xa9@example")), "!needs_smtputf8");
  p = {};
  p.smtputf8 = true;
  EXPECT_EQ(ok(format_rcpt("\xc3\xa9@example", p)), "RCPT TO:<\xc3\xa9@example>\r\n");
  EXPECT_EQ(ok(format_rcpt("\xc3@example", p)), "!needs_smtputf8");  // not UTF-8 at all
}

TEST(ClientCommand, QuotingLocalParts) {
  const struct {
    std::string_view address, want;
  } cases[] = {
      {"first.last@example.org", "first.last@example.org"},
      {"a+b=c!#$%&'*/?^_`{|}~-@example.org", "a+b=c!#$%&'*/?^_`{|}~-@example.org"},
      {"john doe@example.org", "\"john doe\"@example.org"},
      {".lead@example.org", "\".lead\"@example.org"},
      {"trail.@example.org", "\"trail.\"@example.org"},
      {"two..dots@example.org", "\"two..dots\"@example.org"},
      {"a\"b@example.org", "\"a\\\"b\"@example.org"},
      {"a\\b@example.org", "\"a\\\\b\"@example.org"},
      {"a@b@example.org", "\"a@b\"@example.org"},
      {"(comment)x@example.org", "\"(comment)x\"@example.org"},
      // Already quoted (as the server-side parser keeps it): passed on.
      {"\"john doe\"@example.org", "\"john doe\"@example.org"},
      {"\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org"},
      {"user@[192.0.2.7]", "user@[192.0.2.7]"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ok(format_path(c.address, false)), c.want) << c.address;
    // What we send, our own server parser reads back as the same path.
    auto line = ok(format_rcpt(c.address));
    ASSERT_EQ(line.substr(0, 8), "RCPT TO:") << line;
    auto parsed = parse_command(std::string_view(line).substr(0, line.size() - 2));
    ASSERT_TRUE(std::holds_alternative<Command>(parsed)) << line;
    EXPECT_EQ(std::get<Command>(parsed).address, c.want) << line;
  }
}

TEST(ClientCommand, BadAddresses) {
  const struct {
    std::string_view address, want;
  } cases[] = {
      {"nodomain", "!bad_address"},
      {"@example.org", "!bad_address"},
      {"user@", "!bad_address"},
      {"user@exa mple.org", "!bad_domain"},
      {"user@-", "!bad_domain"},
      {"user@a..b", "!bad_domain"},
      {"user@[1.2.3.4", "!bad_domain"},
      {"user@[a]b]", "!bad_domain"},
      {"user\r\n@example.org", "!control"},
      {"user@example.org\r\nRCPT TO:<evil@example>", "!control"},
      {"us\ter@example.org", "!control"},
      {std::string_view("us\0er@example.org", 17), "!control"},
      {"us\x7f" "er@example.org", "!control"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ok(format_mail(c.address)), c.want) << c.address;
    EXPECT_EQ(ok(format_rcpt(c.address)), c.want) << c.address;
  }
}

TEST(ClientCommand, LengthLimits) {
  const std::string domain = "example.org";
  EXPECT_EQ(ok(format_path(std::string(64, 'a') + "@" + domain, false)), std::string(64, 'a') + "@" + domain);
  EXPECT_EQ(ok(format_path(std::string(65, 'a') + "@" + domain, false)), "!local_too_long");
  // Quoting counts: 62 characters with a space become 64 with the quotes.
  EXPECT_EQ(ok(format_path(std::string(61, 'a') + " @" + domain, false)).size(), 64 + 1 + domain.size());
  EXPECT_EQ(ok(format_path(std::string(62, 'a') + " @" + domain, false)), "!local_too_long");
  // Domain: 255 octets at most, in labels of up to 63.
  std::string d255;
  while (d255.size() + 64 <= 255) d255 += std::string(63, 'd') + ".";
  d255 += std::string(255 - d255.size(), 'e');
  ASSERT_EQ(d255.size(), 255u);
  EXPECT_EQ(ok(format_path("a@" + d255, false)), "!path_too_long");  // 1 + 1 + 255 + 2 = 259 > 256
  EXPECT_EQ(ok(format_path("a@" + d255 + "e", false)), "!domain_too_long");
  // Path: 256 octets with the brackets.
  std::string d252 = d255.substr(0, 252);
  EXPECT_EQ(ok(format_path("a@" + d252, false)), "a@" + d252);  // 1 + 1 + 252 + 2 = 256
  std::string d253 = d255.substr(0, 253);
  EXPECT_EQ(ok(format_path("a@" + d253, false)), "!path_too_long");
}

TEST(ClientCommand, AuthPlain) {
  auto line = ok(format_auth_plain("", "alice", "s3cret"));
  ASSERT_TRUE(line.starts_with("AUTH PLAIN ")) << line;
  ASSERT_TRUE(line.ends_with("\r\n"));
  auto decoded = mail::common::base64_decode(line.substr(11, line.size() - 13));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, std::string("\0alice\0s3cret", 13));
  EXPECT_EQ(ok(format_auth_plain("", "alice", "s3cret")), "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n");
  EXPECT_EQ(ok(format_auth_plain("admin", "alice", "pw")).substr(0, 11), "AUTH PLAIN ");
  EXPECT_EQ(ok(format_auth_plain("", "", "pw")), "!bad_argument");
  EXPECT_EQ(ok(format_auth_plain("", "alice", "")), "!bad_argument");
  EXPECT_EQ(ok(format_auth_plain("", std::string_view("al\0ice", 6), "pw")), "!control");
  EXPECT_EQ(ok(format_auth_plain("", "alice", "p\r\nw")), "!control");
  EXPECT_EQ(ok(format_auth_plain("x\n", "alice", "pw")), "!control");
  EXPECT_EQ(ok(format_auth_plain("", "alice", std::string(9300, 'p'))), "!too_long");
}

TEST(ClientCommand, ErrorNames) {
  for (auto e : {FormatError::kControl, FormatError::kBadAddress, FormatError::kLocalTooLong,
                 FormatError::kDomainTooLong, FormatError::kPathTooLong, FormatError::kBadDomain,
                 FormatError::kNeedsSmtpUtf8, FormatError::kBadArgument, FormatError::kTooLong})
    EXPECT_NE(format_error_name(e), "unknown");
}

}  // namespace
