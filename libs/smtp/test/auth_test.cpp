// SPDX-License-Identifier: Apache-2.0
// AUTH tests: argument parsing, PLAIN decoding (RFC 4616), SASL responses,
// and whole PLAIN/LOGIN exchanges as a session would drive them.
#include <gtest/gtest.h>

#include "mail/common/base64.h"
#include "mail/smtp/auth.h"

using namespace mail::smtp;
using mail::common::base64_encode;

namespace {

std::string b64(std::string_view raw) { return base64_encode(raw); }
std::string nul(std::string_view a, std::string_view b, std::string_view c) {
  std::string s(a);
  s += '\0';
  s += b;
  s += '\0';
  s += c;
  return s;
}

}  // namespace

TEST(Auth, ParseArgs) {
  auto r = parse_auth_args("plain AHVAZABw");
  ASSERT_TRUE(std::holds_alternative<AuthRequest>(r));
  EXPECT_EQ(std::get<AuthRequest>(r).mechanism, "PLAIN");
  EXPECT_EQ(std::get<AuthRequest>(r).initial_response, "AHVAZABw");
  r = parse_auth_args("LOGIN");
  EXPECT_FALSE(std::get<AuthRequest>(r).initial_response);
  r = parse_auth_args("PLAIN =");
  EXPECT_EQ(std::get<AuthRequest>(r).initial_response, "");
  r = parse_auth_args("  CRAM-MD5  ");
  EXPECT_EQ(std::get<AuthRequest>(r).mechanism, "CRAM-MD5");
  for (std::string_view bad : {"", "   ", "PLAIN x y", "PLAIN *", "PLAIN a!b", "P.LAIN", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse_auth_args(bad))) << bad;
}

TEST(Auth, DecodePlain) {
  auto c = decode_plain(b64(nul("", "user@example.com", "secret")));
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (Credentials{"", "user@example.com", "secret"}));
  c = decode_plain(b64(nul("admin", "user", "p a s s")));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "admin");
  EXPECT_EQ(c->password, "p a s s");
  EXPECT_EQ(decode_plain("AHRlc3QAdGVzdA==")->authcid, "test");  // "\0test\0test"
  EXPECT_TRUE(decode_plain(b64(nul("", "\xc3\xa9l\xc3\xa8ve", "mot de passe"))));

  const std::string bad[] = {
      b64("usersecret"),                      // no NUL
      b64(std::string("user\0secret", 11)),   // one NUL
      b64(nul("", "", "secret")),             // empty authcid
      b64(nul("", "user", "")),               // empty password
      b64(nul("", "user", std::string("se\0cret", 7))),  // a third NUL
      b64(std::string("\0\0\0", 3)),
      b64(nul("", "\xff", "secret")),         // authcid not UTF-8
      b64(nul("\xc0\x80", "user", "secret")), // authzid not UTF-8 (overlong NUL)
      "",                                      // empty
      "AHVzZXIAcGFzcw",                        // bad padding
      "AHVzZXIAcGFzcw==\n",                    // trailing junk
      "!!!!",
  };
  for (const auto& b : bad) EXPECT_FALSE(decode_plain(b)) << b;
}

TEST(Auth, SaslResponseLines) {
  EXPECT_EQ(std::get<std::string>(decode_sasl_response("dXNlcg==")), "user");
  EXPECT_EQ(std::get<std::string>(decode_sasl_response("")), "");
  auto e = std::get<ParseError>(decode_sasl_response("*"));
  EXPECT_EQ(e.wire(), "501 5.0.0 Authentication cancelled\r\n");
  EXPECT_EQ(std::get<ParseError>(decode_sasl_response("dXNlcg")).enhanced, "5.5.2");
  EXPECT_EQ(std::get<ParseError>(decode_sasl_response(" dXNlcg==")).enhanced, "5.5.2");
  Limits limits;
  limits.max_auth_line = 8;
  EXPECT_TRUE(std::holds_alternative<std::string>(decode_sasl_response("dXNlcg==", limits)));
  EXPECT_EQ(std::get<ParseError>(decode_sasl_response("dXNlcnM=dXNl", limits)).wire(),
            "500 5.5.6 Authentication exchange line is too long\r\n");
  EXPECT_EQ(format_challenge(""), "334 \r\n");
  EXPECT_EQ(format_challenge("Username:"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(format_challenge("Password:"), "334 " + std::string(kLoginPasswordPrompt) + "\r\n");
}

TEST(Auth, PlainExchange) {
  SaslExchange x;
  // With an initial response: done at once.
  auto s = x.start({"PLAIN", b64(nul("", "u", "p"))});
  ASSERT_EQ(s.kind, SaslStep::kDone);
  EXPECT_EQ(s.credentials, (Credentials{"", "u", "p"}));
  // Without: an empty challenge, then the response.
  s = x.start({"PLAIN", std::nullopt});
  ASSERT_EQ(s.kind, SaslStep::kChallenge);
  EXPECT_EQ(s.reply, "334 \r\n");
  s = x.step(b64(nul("", "u", "p")));
  ASSERT_EQ(s.kind, SaslStep::kDone);
  EXPECT_EQ(s.credentials.authcid, "u");
  // "=" (empty initial response) is not a valid PLAIN message.
  EXPECT_EQ(x.start({"PLAIN", ""}).kind, SaslStep::kFailed);
  // Cancel.
  x.start({"PLAIN", std::nullopt});
  s = x.step("*");
  EXPECT_EQ(s.kind, SaslStep::kFailed);
  EXPECT_EQ(s.reply, "501 5.0.0 Authentication cancelled\r\n");
  // Nothing in progress after a failure.
  EXPECT_EQ(x.step("dXNlcg==").reply.substr(0, 9), "503 5.5.1");
  // Malformed message and bad base64.
  x.start({"PLAIN", std::nullopt});
  EXPECT_EQ(x.step(b64("no nuls")).reply.substr(0, 9), "501 5.5.2");
  EXPECT_EQ(x.start({"PLAIN", "AHVz!"}).reply.substr(0, 9), "501 5.5.2");
  // Unknown mechanism.
  EXPECT_EQ(x.start({"CRAM-MD5", std::nullopt}).reply, "504 5.5.4 Unrecognized authentication type\r\n");
}

TEST(Auth, LoginExchange) {
  SaslExchange x;
  auto s = x.start({"LOGIN", std::nullopt});
  ASSERT_EQ(s.kind, SaslStep::kChallenge);
  EXPECT_EQ(s.reply, "334 VXNlcm5hbWU6\r\n");
  s = x.step(b64("user@example.com"));
  ASSERT_EQ(s.kind, SaslStep::kChallenge);
  EXPECT_EQ(s.reply, "334 UGFzc3dvcmQ6\r\n");
  s = x.step(b64("hunter2"));
  ASSERT_EQ(s.kind, SaslStep::kDone);
  EXPECT_EQ(s.credentials, (Credentials{"", "user@example.com", "hunter2"}));

  // The user name as initial response (Outlook does this).
  s = x.start({"LOGIN", b64("u")});
  ASSERT_EQ(s.kind, SaslStep::kChallenge);
  EXPECT_EQ(s.reply, "334 UGFzc3dvcmQ6\r\n");
  s = x.step(b64("p"));
  EXPECT_EQ(s.credentials.authcid, "u");

  // Cancel at the password prompt.
  x.start({"LOGIN", std::nullopt});
  x.step(b64("u"));
  EXPECT_EQ(x.step("*").reply, "501 5.0.0 Authentication cancelled\r\n");
  // Empty user or password, NUL inside.
  x.start({"LOGIN", std::nullopt});
  EXPECT_EQ(x.step("").kind, SaslStep::kFailed);
  x.start({"LOGIN", std::nullopt});
  x.step(b64("u"));
  EXPECT_EQ(x.step("").kind, SaslStep::kFailed);
  x.start({"LOGIN", std::nullopt});
  EXPECT_EQ(x.step(b64(std::string("u\0v", 3))).kind, SaslStep::kFailed);
  // Overlong response line.
  Limits limits;
  limits.max_auth_line = 16;
  SaslExchange small(limits);
  small.start({"LOGIN", std::nullopt});
  EXPECT_EQ(small.step(b64(std::string(30, 'u'))).reply.substr(0, 9), "500 5.5.6");
}
