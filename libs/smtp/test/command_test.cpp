// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the SMTP command parser on raw command lines.
#include <gtest/gtest.h>

#include "mail/smtp/command.h"

using namespace mail::smtp;

namespace {

Command ok(std::string_view line, const Limits& limits = {}) {
  auto r = parse_command(line, limits);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "'" << line << "' failed: " << e->wire();
    return {};
  }
  return std::get<Command>(r);
}

// "code enhanced" of the error, or "ok".
std::string status(std::string_view line, const Limits& limits = {}) {
  auto r = parse_command(line, limits);
  if (auto* e = std::get_if<ParseError>(&r)) return std::to_string(e->code) + " " + e->enhanced;
  return "ok";
}

}  // namespace

TEST(Command, EveryVerbCaseInsensitive) {
  const std::pair<std::string_view, Verb> cases[] = {
      {"HELO client.example", Verb::kHelo}, {"helo client.example", Verb::kHelo},
      {"EHLO client.example", Verb::kEhlo}, {"eHlO [192.0.2.1]", Verb::kEhlo},
      {"MAIL FROM:<a@b.c>", Verb::kMail},   {"mail from:<a@b.c>", Verb::kMail},
      {"RCPT TO:<a@b.c>", Verb::kRcpt},     {"rcpt to:<a@b.c>", Verb::kRcpt},
      {"DATA", Verb::kData},                {"data", Verb::kData},
      {"BDAT 10", Verb::kBdat},             {"bdat 10 last", Verb::kBdat},
      {"RSET", Verb::kRset},                {"rset", Verb::kRset},
      {"NOOP", Verb::kNoop},                {"noop anything at all", Verb::kNoop},
      {"QUIT", Verb::kQuit},                {"Quit", Verb::kQuit},
      {"VRFY user", Verb::kVrfy},           {"vrfy <u@d>", Verb::kVrfy},
      {"EXPN list", Verb::kExpn},           {"expn list", Verb::kExpn},
      {"HELP", Verb::kHelp},                {"help mail", Verb::kHelp},
      {"STARTTLS", Verb::kStarttls},        {"starttls", Verb::kStarttls},
      {"AUTH PLAIN", Verb::kAuth},          {"auth login", Verb::kAuth},
  };
  for (auto [line, verb] : cases) EXPECT_EQ(ok(line).verb, verb) << line;
  EXPECT_EQ(verb_name(Verb::kStarttls), "STARTTLS");
}

TEST(Command, VerbAndLineErrors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "500 5.5.2"},
      {" MAIL FROM:<a@b.c>", "500 5.5.2"},
      {"FOO bar", "500 5.5.2"},
      {"MAILFROM:<a@b.c>", "500 5.5.2"},
      {"HELOX a", "500 5.5.2"},
      {"STARTTLSX", "500 5.5.2"},
      {"GET / HTTP/1.1", "500 5.5.2"},
      {"NOOP a\rb", "500 5.5.2"},                 // a bare CR in a command line
      {"NOOP a\nb", "500 5.5.2"},
      {std::string_view("NOOP a\0b", 8), "500 5.5.2"},
      {"NOOP \x7f", "500 5.5.2"},
      // Argument rules per verb.
      {"HELO", "501 5.5.4"},
      {"EHLO   ", "501 5.5.4"},
      {"DATA x", "501 5.5.4"},
      {"RSET now", "501 5.5.4"},
      {"QUIT please", "501 5.5.4"},
      {"STARTTLS x", "501 5.5.4"},
      {"VRFY", "501 5.5.4"},
      {"EXPN", "501 5.5.4"},
      {"AUTH", "501 5.5.4"},
      {"AUTH PL@IN", "501 5.5.4"},
      {"AUTH ABCDEFGHIJKLMNOPQRSTU", "501 5.5.4"},  // 21 chars
      {"AUTH PLAIN a b", "501 5.5.4"},
      {"AUTH PLAIN *", "501 5.5.4"},
      {"BDAT", "501 5.5.4"},
      {"BDAT x", "501 5.5.4"},
      {"BDAT -1", "501 5.5.4"},
      {"BDAT 10 FIRST", "501 5.5.4"},
      {"BDAT 99999999999999999999999", "552 5.3.4"},
  };
  for (auto [line, want] : cases) EXPECT_EQ(status(line), want) << line;
}

TEST(Command, Arguments) {
  EXPECT_EQ(ok("EHLO  mx.example.org  ").argument, "mx.example.org");
  EXPECT_EQ(ok("HELO my host").argument, "my host");  // Postfix takes the whole text
  EXPECT_EQ(ok("NOOP").argument, "");
  EXPECT_EQ(ok("DATA   ").argument, "");
  auto bdat = ok("BDAT 1234 LAST");
  EXPECT_EQ(bdat.chunk_size, 1234u);
  EXPECT_TRUE(bdat.last_chunk);
  EXPECT_FALSE(ok("BDAT 0").last_chunk);
  EXPECT_EQ(ok("BDAT 18446744073709551615").chunk_size, 18446744073709551615ull);
  auto auth = ok("AUTH plain AHVzZXIAcGFzcw==");
  EXPECT_EQ(auth.mechanism, "PLAIN");
  EXPECT_EQ(auth.initial_response, "AHVzZXIAcGFzcw==");
  EXPECT_EQ(ok("AUTH PLAIN =").initial_response, "");
  EXPECT_FALSE(ok("AUTH LOGIN").initial_response.has_value());
  EXPECT_EQ(ok("AUTH SCRAM-SHA-256").mechanism, "SCRAM-SHA-256");
}

TEST(Command, MailPaths) {
  struct Case {
    std::string_view line;
    std::string_view address;
    bool is_null;
  };
  const Case cases[] = {
      {"MAIL FROM:<user@example.com>", "user@example.com", false},
      {"MAIL FROM:<>", "", true},
      {"MAIL FROM: <user@example.com>", "user@example.com", false},   // Postfix leniency
      {"MAIL FROM:  <>", "", true},
      {"MAIL FROM:user@example.com", "user@example.com", false},      // bare address
      {"MAIL FROM:user@example.com SIZE=10", "user@example.com", false},
      {"MAIL FROM:<@relay.example,@r2.example:user@example.com>", "user@example.com", false},
      {"MAIL FROM:<@relay.example:user@example.com>", "user@example.com", false},
      {"MAIL FROM:<\"john doe\"@example.com>", "\"john doe\"@example.com", false},
      {"MAIL FROM:<\"a>b\"@example.com>", "\"a>b\"@example.com", false},
      {"MAIL FROM:<\"q\\\"uote\"@example.com>", "\"q\\\"uote\"@example.com", false},
      {"MAIL FROM:<user@[192.0.2.1]>", "user@[192.0.2.1]", false},
      {"MAIL FROM:<user@[IPv6:2001:db8::1]>", "user@[IPv6:2001:db8::1]", false},
      {"MAIL FROM:<a.b+tag@sub.example.co.uk>", "a.b+tag@sub.example.co.uk", false},
      {"MAIL FROM:<a..b@example.jp>", "a..b@example.jp", false},
      {"MAIL FROM:<user@example.com.>", "user@example.com.", false},
      {"MAIL FROM:<!#$%&'*+-/=?^_`{|}~@example.com>", "!#$%&'*+-/=?^_`{|}~@example.com", false},
      {"mail from:<User@Example.COM>", "User@Example.COM", false},
  };
  for (const auto& c : cases) {
    auto cmd = ok(c.line);
    EXPECT_EQ(cmd.address, c.address) << c.line;
    EXPECT_EQ(cmd.is_null, c.is_null) << c.line;
  }
}

TEST(Command, MalformedPaths) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"MAIL", "501 5.5.4"},
      {"MAIL FROM", "501 5.5.4"},
      {"MAIL FROM:", "501 5.5.4"},
      {"MAIL FROM:   ", "501 5.5.4"},
      {"MAIL TO:<a@b.c>", "501 5.5.4"},
      {"MAIL FROM :<a@b.c>", "501 5.5.4"},
      {"MAIL FROM:<a@b.c>SIZE=1", "501 5.5.4"},
      {"MAIL FROM:<a@b.c", "501 5.1.7"},
      {"MAIL FROM:a@b.c>", "501 5.1.7"},
      {"MAIL FROM:<<a@b.c>>", "501 5.1.7"},
      {"MAIL FROM:<a b@c.d>", "501 5.1.7"},
      {"MAIL FROM:<a@b c.d>", "501 5.1.7"},
      {"MAIL FROM:<a\t@b.c>", "501 5.1.7"},
      {"MAIL FROM:<user>", "501 5.1.7"},                 // no domain
      {"MAIL FROM:<postmaster>", "501 5.1.7"},           // only recipients may omit it
      {"MAIL FROM:<@b.c>", "501 5.1.7"},
      {"MAIL FROM:<a@>", "501 5.1.7"},
      {"MAIL FROM:<a@b..c>", "501 5.1.7"},
      {"MAIL FROM:<a@.b.c>", "501 5.1.7"},
      {"MAIL FROM:<a@b@c>", "501 5.1.7"},
      {"MAIL FROM:<a@b_c.d>", "501 5.1.7"},
      {"MAIL FROM:<a@[]>", "501 5.1.7"},
      {"MAIL FROM:<a@[1.2.3.4>", "501 5.1.7"},
      {"MAIL FROM:<a(b)@c.d>", "501 5.1.7"},
      {"MAIL FROM:<a,b@c.d>", "501 5.1.7"},
      {"MAIL FROM:<\"open@c.d>", "501 5.1.7"},
      {"MAIL FROM:<\"a\"b@c.d>", "501 5.1.7"},
      {"MAIL FROM:<@relay:>", "501 5.1.7"},
      {"MAIL FROM:<@relay,user@c.d>", "501 5.1.7"},
      {"MAIL FROM:<@:user@c.d>", "501 5.1.7"},
      {"MAIL FROM:<\xff@c.d> SMTPUTF8", "501 5.1.7"},        // not UTF-8
      {"MAIL FROM:<\xc0\xaf@c.d> SMTPUTF8", "501 5.1.7"},    // overlong
      {"MAIL FROM:<\xc3\xa9@c.d>", "553 5.6.7"},             // UTF-8 without SMTPUTF8
      {"RCPT", "501 5.5.4"},
      {"RCPT TO", "501 5.5.4"},
      {"RCPT FROM:<a@b.c>", "501 5.5.4"},
      {"RCPT TO:<>", "501 5.1.3"},
      {"RCPT TO:<a b@c.d>", "501 5.1.3"},
      {"RCPT TO:<user>", "501 5.1.3"},
      {"RCPT TO:<a@b.c", "501 5.1.3"},
      {"RCPT TO:<postmaster@>", "501 5.1.3"},
  };
  for (auto [line, want] : cases) EXPECT_EQ(status(line), want) << line;
}

TEST(Command, PathLength) {
  const std::string local(64, 'a');
  std::string domain;
  while (domain.size() < 180) domain += "abcdefghi.";
  domain += "example";
  const std::string addr = local + "@" + domain;  // 64 + 1 + 187 = 252, 254 with brackets
  EXPECT_EQ(ok("MAIL FROM:<" + addr + ">").address, addr);
  EXPECT_EQ(status("MAIL FROM:<" + addr + "xxx>"), "501 5.1.7");
  EXPECT_EQ(status("RCPT TO:<" + addr + "xxx>"), "501 5.1.3");
  EXPECT_EQ(status("MAIL FROM:<a@" + std::string(64, 'b') + ".example>"), "501 5.1.7");  // label > 63
  Limits big;
  big.max_path = 1000;
  EXPECT_EQ(status("MAIL FROM:<" + addr + "xxx>", big), "ok");
}

TEST(Command, Recipients) {
  auto pm = ok("RCPT TO:<postmaster>");
  EXPECT_TRUE(pm.is_postmaster);
  EXPECT_EQ(pm.address, "postmaster");
  EXPECT_TRUE(ok("RCPT TO:<PostMaster>").is_postmaster);
  EXPECT_TRUE(ok("rcpt to: postmaster").is_postmaster);
  EXPECT_FALSE(ok("RCPT TO:<postmaster@example.com>").is_postmaster);
  EXPECT_EQ(ok("RCPT TO:<@hop.example:u@d.example>").address, "u@d.example");
  auto utf = ok("RCPT TO:<\xc3\xa9l\xc3\xa8ve@\xc3\xa9"
                  "cole.example>");
  EXPECT_TRUE(utf.utf8_address);  // the session checks it against MAIL's SMTPUTF8
  EXPECT_FALSE(ok("RCPT TO:<u@d.example>").utf8_address);
}

TEST(Command, MailParams) {
  auto cmd = ok("MAIL FROM:<a@b.c> size=1000 body=8bitmime AUTH=<> SMTPUTF8");
  EXPECT_EQ(cmd.size, 1000u);
  EXPECT_EQ(cmd.body, BodyType::k8BitMime);
  EXPECT_TRUE(cmd.smtputf8);
  ASSERT_EQ(cmd.params.size(), 4u);
  EXPECT_EQ(cmd.params[0], (Param{"SIZE", "1000"}));
  EXPECT_EQ(cmd.params[2], (Param{"AUTH", "<>"}));
  EXPECT_EQ(cmd.params[3], (Param{"SMTPUTF8", std::nullopt}));
  EXPECT_EQ(ok("MAIL FROM:<a@b.c> BODY=7BIT").body, BodyType::k7Bit);
  EXPECT_EQ(ok("MAIL FROM:<a@b.c>").body, BodyType::kUnspecified);
  EXPECT_FALSE(ok("MAIL FROM:<a@b.c>").size.has_value());
  EXPECT_EQ(ok("MAIL FROM:<a@b.c>   SIZE=0  ").size, 0u);
  EXPECT_EQ(ok("MAIL FROM:<\xc3\xa9@b.c> SMTPUTF8").address, "\xc3\xa9@b.c");
  EXPECT_EQ(ok("MAIL FROM:<a@b.c> SIZE=26214400").size, 26214400u);  // exactly the limit
}

TEST(Command, BadParams) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"MAIL FROM:<a@b.c> SIZE=26214401", "552 5.3.4"},               // over the limit
      {"MAIL FROM:<a@b.c> SIZE=18446744073709551615", "552 5.3.4"},   // UINT64_MAX
      {"MAIL FROM:<a@b.c> SIZE=18446744073709551616", "552 5.3.4"},   // overflows
      {"MAIL FROM:<a@b.c> SIZE=999999999999999999999999999999", "552 5.3.4"},
      {"MAIL FROM:<a@b.c> SIZE=", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SIZE", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SIZE=12k", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SIZE=-1", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SIZE=+1", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SIZE=1 SIZE=2", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> BODY=BINARYMIME", "555 5.5.4"},
      {"MAIL FROM:<a@b.c> BODY=", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> BODY", "555 5.5.4"},
      {"MAIL FROM:<a@b.c> SMTPUTF8=yes", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> AUTH", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> RET=HDRS", "555 5.5.4"},
      {"MAIL FROM:<a@b.c> ENVID=x", "555 5.5.4"},
      {"MAIL FROM:<a@b.c> X-FOO", "555 5.5.4"},
      {"MAIL FROM:<a@b.c> =x", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> -X=1", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SI_ZE=1", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> SIZE=1=2", "501 5.5.4"},
      {"MAIL FROM:<a@b.c> FOO=\xff", "501 5.5.4"},
      {"MAIL FROM:<a@b.c>\tSIZE=1", "501 5.5.4"},
      {"RCPT TO:<a@b.c> NOTIFY=NEVER", "555 5.5.4"},
      {"RCPT TO:<a@b.c> ORCPT=rfc822;a@b.c", "555 5.5.4"},
      {"RCPT TO:<a@b.c> X", "555 5.5.4"},
  };
  for (auto [line, want] : cases) EXPECT_EQ(status(line), want) << line;
  // The reply names the unsupported keyword (validated, so safe to echo).
  auto r = parse_command("MAIL FROM:<a@b.c> x-foo=1");
  EXPECT_EQ(std::get<ParseError>(r).wire(), "555 5.5.4 Unsupported parameter X-FOO\r\n");
}

TEST(Command, SizeLimitIsConfigurable) {
  Limits small;
  small.max_message_size = 1000;
  EXPECT_EQ(status("MAIL FROM:<a@b.c> SIZE=1000", small), "ok");
  EXPECT_EQ(status("MAIL FROM:<a@b.c> SIZE=1001", small), "552 5.3.4");
}

TEST(Command, OverlongLines) {
  Limits limits;
  limits.max_command_line = 64;
  limits.max_auth_line = 128;
  const std::string noop = "NOOP " + std::string(59, 'x');  // 64
  EXPECT_EQ(status(noop, limits), "ok");
  EXPECT_EQ(status(noop + "x", limits), "500 5.5.2");
  EXPECT_EQ(status("MAIL FROM:<" + std::string(60, 'a') + "@b.c>", limits), "500 5.5.2");
  // AUTH lines get the larger SASL bound.
  const std::string auth = "AUTH PLAIN " + std::string(116, 'A');  // 127
  EXPECT_EQ(status(auth, limits), "ok");
  EXPECT_EQ(status(auth + "AA", limits), "500 5.5.6");
  EXPECT_EQ(status(std::string(200, 'A'), limits), "500 5.5.2");
  EXPECT_EQ(command_read_limit(limits), 128u);
  EXPECT_EQ(line_too_long_error().wire(), "500 5.5.2 Error: line too long\r\n");
  // Defaults: 2048 for commands.
  EXPECT_EQ(status("NOOP " + std::string(2043, 'x')), "ok");
  EXPECT_EQ(status("NOOP " + std::string(2044, 'x')), "500 5.5.2");
}

TEST(Command, ErrorsAreReadyReplies) {
  auto r = parse_command("FOO");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).wire(), "500 5.5.2 Error: command not recognized\r\n");
  r = parse_command("MAIL FROM:<a b@c>");
  EXPECT_EQ(std::get<ParseError>(r).wire(), "501 5.1.7 Bad sender address syntax\r\n");
  r = parse_command("RCPT TO:<a b@c>");
  EXPECT_EQ(std::get<ParseError>(r).wire(), "501 5.1.3 Bad recipient address syntax\r\n");
}
