// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the POP3 command parser on raw wire lines.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "mail/pop3/command.h"

using namespace mail::pop3;

namespace {

struct Good {
  std::string line;
  Command want;
};

Command cmd(Verb v) {
  Command c;
  c.verb = v;
  return c;
}
Command with_msg(Verb v, size_t n) {
  Command c = cmd(v);
  c.msg = n;
  return c;
}

TEST(Pop3Command, AcceptsValidCommands) {
  Command user = cmd(Verb::kUser);
  user.user = "alice@example.test";
  Command pass = cmd(Verb::kPass);
  pass.password = "my secret  pass ";
  Command apop = cmd(Verb::kApop);
  apop.user = "mrose";
  apop.digest = "c4c9334bac560ecc979e58001b3e22fb";
  Command top = with_msg(Verb::kTop, 1);
  top.lines = 10;
  Command top0 = with_msg(Verb::kTop, 7);
  top0.lines = 0;
  Command auth_list = cmd(Verb::kAuth);
  Command auth_plain = cmd(Verb::kAuth);
  auth_plain.mechanism = "PLAIN";
  Command auth_ir = auth_plain;
  auth_ir.initial_response = "AGFsaWNlAHNlY3JldA==";
  Command auth_empty_ir = auth_plain;
  auth_empty_ir.initial_response = "=";
  Command big = with_msg(Verb::kRetr, std::numeric_limits<size_t>::max());

  const std::vector<Good> cases = {
      {"USER alice@example.test", user},
      {"user alice@example.test", user},
      {"PASS my secret  pass ", pass},
      {"pass my secret  pass ", pass},
      {"APOP mrose c4c9334bac560ecc979e58001b3e22fb", apop},
      {"APOP mrose C4C9334BAC560ECC979E58001B3E22FB", apop},
      {"QUIT", cmd(Verb::kQuit)},
      {"quit", cmd(Verb::kQuit)},
      {"STAT", cmd(Verb::kStat)},
      {"LIST", cmd(Verb::kList)},
      {"LIST 2", with_msg(Verb::kList, 2)},
      {"LiSt 0002", with_msg(Verb::kList, 2)},
      {"RETR 1", with_msg(Verb::kRetr, 1)},
      {"RETR " + std::to_string(std::numeric_limits<size_t>::max()), big},
      {"DELE 3", with_msg(Verb::kDele, 3)},
      {"NOOP", cmd(Verb::kNoop)},
      {"RSET", cmd(Verb::kRset)},
      {"TOP 1 10", top},
      {"top 7 0", top0},
      {"UIDL", cmd(Verb::kUidl)},
      {"UIDL 5", with_msg(Verb::kUidl, 5)},
      {"CAPA", cmd(Verb::kCapa)},
      {"STLS", cmd(Verb::kStls)},
      {"UTF8", cmd(Verb::kUtf8)},
      {"AUTH", auth_list},
      {"AUTH plain", auth_plain},
      {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", auth_ir},
      {"AUTH PLAIN =", auth_empty_ir},
  };
  for (const auto& c : cases) {
    auto r = parse_command(c.line);
    ASSERT_TRUE(std::holds_alternative<Command>(r)) << c.line << ": " << std::get<Error>(r).text;
    EXPECT_EQ(std::get<Command>(r), c.want) << c.line;
  }
}

struct Bad {
  std::string line;
  ErrorKind kind;
};

TEST(Pop3Command, RejectsMalformedCommands) {
  const std::string overflow = "RETR 18446744073709551616";  // 2^64
  const std::vector<Bad> cases = {
      {"", ErrorKind::kUnknownCommand},
      {"HELO x", ErrorKind::kUnknownCommand},
      {"LAST", ErrorKind::kUnknownCommand},
      {"RETRX 1", ErrorKind::kUnknownCommand},
      {" RETR 1", ErrorKind::kUnknownCommand},
      {"USER", ErrorKind::kSyntax},
      {"USER ", ErrorKind::kSyntax},
      {"USER a b", ErrorKind::kSyntax},
      {"USER  a", ErrorKind::kSyntax},
      {"PASS", ErrorKind::kSyntax},
      {"PASS ", ErrorKind::kSyntax},
      {"APOP mrose", ErrorKind::kSyntax},
      {"APOP mrose c4c9334bac560ecc979e58001b3e22f", ErrorKind::kSyntax},
      {"APOP mrose c4c9334bac560ecc979e58001b3e22fg", ErrorKind::kSyntax},
      {"QUIT now", ErrorKind::kSyntax},
      {"STAT ", ErrorKind::kSyntax},
      {"NOOP 1", ErrorKind::kSyntax},
      {"LIST 1 2", ErrorKind::kSyntax},
      {"LIST 1 ", ErrorKind::kSyntax},
      {"LIST  1", ErrorKind::kSyntax},
      {"LIST 0", ErrorKind::kBadNumber},
      {"LIST -1", ErrorKind::kBadNumber},
      {"LIST +1", ErrorKind::kBadNumber},
      {"LIST 1a", ErrorKind::kBadNumber},
      {"LIST x", ErrorKind::kBadNumber},
      {"RETR", ErrorKind::kSyntax},
      {"RETR 0", ErrorKind::kBadNumber},
      {overflow, ErrorKind::kBadNumber},
      {"RETR 99999999999999999999999999", ErrorKind::kBadNumber},
      {"DELE", ErrorKind::kSyntax},
      {"DELE 1 2", ErrorKind::kSyntax},
      {"TOP 1", ErrorKind::kSyntax},
      {"TOP 0 1", ErrorKind::kBadNumber},
      {"TOP 1 -1", ErrorKind::kBadNumber},
      {"TOP 1 1 1", ErrorKind::kSyntax},
      {"UIDL 1 2", ErrorKind::kSyntax},
      {"CAPA x", ErrorKind::kSyntax},
      {"STLS x", ErrorKind::kSyntax},
      {"AUTH PLAIN a b", ErrorKind::kSyntax},
      {"AUTH PLAIN abc", ErrorKind::kSyntax},  // not base64 (length)
      {"AUTH PLAIN ab=c", ErrorKind::kSyntax},
      {"AUTH PLAIN a!==", ErrorKind::kSyntax},
      {std::string("USER a\rb"), ErrorKind::kSyntax},
      {std::string("USER a\0b", 8), ErrorKind::kSyntax},
      {std::string("PASS a\tb"), ErrorKind::kSyntax},
      {std::string("NOOP\x7f"), ErrorKind::kUnknownCommand},
      {"USER " + std::string(250, 'a'), ErrorKind::kLineTooLong},
      {"PASS " + std::string(249, 'a'), ErrorKind::kLineTooLong},  // 254 + CRLF > 255
      {"AUTH PLAIN " + std::string(12280, 'A'), ErrorKind::kLineTooLong},
      {std::string(100000, 'X'), ErrorKind::kLineTooLong},
  };
  for (const auto& c : cases) {
    auto r = parse_command(c.line);
    ASSERT_TRUE(std::holds_alternative<Error>(r)) << "accepted: " << c.line.substr(0, 60);
    const auto& e = std::get<Error>(r);
    EXPECT_EQ(e.kind, c.kind) << c.line.substr(0, 60) << " → " << e.text;
    EXPECT_FALSE(e.text.empty());
    EXPECT_EQ(e.text.find_first_of("\r\n"), std::string::npos);
  }
}

TEST(Pop3Command, LineLimitsAreExact) {
  // 253 octets + CRLF = 255: the largest command RFC 2449 allows.
  std::string at_limit = "PASS " + std::string(248, 'p');
  ASSERT_EQ(at_limit.size(), 253u);
  EXPECT_TRUE(std::holds_alternative<Command>(parse_command(at_limit)));
  EXPECT_TRUE(std::holds_alternative<Error>(parse_command(at_limit + "p")));

  // AUTH uses the larger bound; a long initial response is accepted.
  std::string ir(12000, 'A');
  auto r = parse_command("AUTH XOAUTH2 " + ir);
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).initial_response, ir);

  Limits small{.max_line = 10, .max_auth_line = 20};
  EXPECT_TRUE(std::holds_alternative<Command>(parse_command("LIST 123", small)));
  EXPECT_TRUE(std::holds_alternative<Error>(parse_command("LIST 1234", small)));
  EXPECT_TRUE(std::holds_alternative<Command>(parse_command("AUTH PLAIN AAAA", small)));
}

TEST(Pop3Command, VerbNames) {
  EXPECT_EQ(verb_name(Verb::kRetr), "RETR");
  EXPECT_EQ(verb_name(Verb::kTop), "TOP");
  EXPECT_EQ(verb_name(Verb::kUtf8), "UTF8");
}

}  // namespace
