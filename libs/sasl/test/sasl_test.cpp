// SPDX-License-Identifier: Apache-2.0
// sasl_test: PLAIN messages and response lines table by table (RFC 4616
// field rules, strict base64, "*", limits, UTF-8 identities, password bytes),
// then whole PLAIN and LOGIN exchanges with and without an initial response
// ("=" included), as SMTP, POP3 and IMAP sessions drive them.
#include "mail/sasl/sasl.h"

#include <gtest/gtest.h>

#include "mail/common/base64.h"

using namespace mail::sasl;
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

TEST(Sasl, Mechanisms) {
  EXPECT_EQ(find_mechanism("PLAIN"), Mechanism::kPlain);
  EXPECT_EQ(find_mechanism("plain"), Mechanism::kPlain);
  EXPECT_EQ(find_mechanism("Login"), Mechanism::kLogin);
  for (std::string_view other : {"", "CRAM-MD5", "PLAINX", "XOAUTH2", "PLAI"}) EXPECT_FALSE(find_mechanism(other)) << other;
  EXPECT_EQ(mechanism_name(Mechanism::kPlain), "PLAIN");
  EXPECT_EQ(mechanism_name(Mechanism::kLogin), "LOGIN");
  EXPECT_EQ(mechanism_names(), (std::vector<std::string_view>{"PLAIN", "LOGIN"}));
  EXPECT_EQ(error_name(Error::kAuthzidMismatch), "authzid_mismatch");
}

TEST(Sasl, PlainMessages) {
  const std::string big(1025, 'u');
  struct Case {
    std::string message;
    std::variant<Credentials, Error> want;
  };
  const Case cases[] = {
      {nul("", "user@example.com", "secret"), Credentials{"", "user@example.com", "secret"}},
      {nul("user", "user", "pass"), Credentials{"user", "user", "pass"}},
      {nul("User@Example.COM", "user@example.com", "p"), Credentials{"User@Example.COM", "user@example.com", "p"}},
      {nul("", "user", "p a s s"), Credentials{"", "user", "p a s s"}},
      {nul("", "\xc3\xa9l\xc3\xa8ve", "mot de passe"), Credentials{"", "\xc3\xa9l\xc3\xa8ve", "mot de passe"}},
      // The password is bytes: not UTF-8, control characters, anything but NUL.
      {nul("", "user", "\xff\xfe\x01\r\n"), Credentials{"", "user", "\xff\xfe\x01\r\n"}},
      {std::string(1024, 'a') + nul("", "", "").substr(0, 0) + std::string("\0", 1) + std::string(1024, 'a') +
           std::string("\0", 1) + std::string(1024, 'p'),
       Credentials{std::string(1024, 'a'), std::string(1024, 'a'), std::string(1024, 'p')}},
      {"usersecret", Error::kMalformed},                          // no NUL
      {std::string("user\0secret", 11), Error::kMalformed},       // one NUL
      {nul("", "", "secret"), Error::kMalformed},                 // empty authcid
      {nul("", "user", ""), Error::kMalformed},                   // empty password
      {nul("", "user", std::string("se\0cret", 7)), Error::kMalformed},  // a third NUL
      {std::string("\0\0\0", 3), Error::kMalformed},
      {"", Error::kMalformed},
      {nul("", "\xff", "secret"), Error::kNotUtf8},               // authcid not UTF-8
      {nul("\xc0\x80", "user", "secret"), Error::kNotUtf8},       // authzid: overlong NUL
      {nul("", "\xed\xa0\x80", "secret"), Error::kNotUtf8},       // a surrogate
      {nul("", big, "p"), Error::kFieldTooLong},
      {nul(big, "u", "p"), Error::kFieldTooLong},
      {nul("", "u", big), Error::kFieldTooLong},
      {std::string(4000, '\0'), Error::kFieldTooLong},            // bounded before splitting
      {nul("admin@example.com", "user@example.com", "secret"), Error::kAuthzidMismatch},
      {nul("admin", "user", "secret"), Error::kAuthzidMismatch},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_plain(c.message), c.want) << b64(c.message).substr(0, 60);
}

TEST(Sasl, AuthzidMatches) {
  EXPECT_TRUE(authzid_matches("", "u"));
  EXPECT_TRUE(authzid_matches("u", "u"));
  EXPECT_TRUE(authzid_matches("Demo@Example.Test", "demo@example.test"));
  EXPECT_FALSE(authzid_matches("a", "b")) << "two non-addresses do not match by normalizing to nothing";
  EXPECT_FALSE(authzid_matches("other@example.test", "demo@example.test"));
}

TEST(Sasl, ResponseLines) {
  Limits small;
  small.max_response = 8;
  struct Case {
    std::string line;
    Limits limits;
    std::variant<std::string, Error> want;
  };
  const Case cases[] = {
      {"dXNlcg==", {}, std::string("user")},
      {"", {}, std::string()},
      {"*", {}, Error::kCancelled},
      {"**", {}, Error::kBadBase64},
      {"dXNlcg", {}, Error::kBadBase64},       // missing padding
      {" dXNlcg==", {}, Error::kBadBase64},    // no whitespace skipped
      {"dGV zdA==", {}, Error::kBadBase64},
      {"dXNlcg==\n", {}, Error::kBadBase64},
      {"dXNlcR==", {}, Error::kBadBase64},     // non-zero pad bits
      {"!!!!", {}, Error::kBadBase64},
      {"dXNlcg==", small, std::string("user")},
      {"dXNlcnM=dXNl", small, Error::kTooLong},
      {std::string(12289, 'A'), {}, Error::kTooLong},
      {"*", small, Error::kCancelled},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_response(c.line, c.limits), c.want) << c.line.substr(0, 40);
}

TEST(Sasl, PlainExchange) {
  Exchange x(Mechanism::kPlain);
  EXPECT_FALSE(x.in_progress());
  // Initial response: done at once.
  EXPECT_EQ(x.start(b64(nul("", "u", "p"))), Step(Credentials{"", "u", "p"}));
  EXPECT_FALSE(x.in_progress());
  // None: an empty challenge, then the response.
  EXPECT_EQ(x.start(std::nullopt), Step(Challenge{""}));
  EXPECT_TRUE(x.in_progress());
  EXPECT_EQ(x.respond(b64(nul("", "u", "p"))), Step(Credentials{"", "u", "p"}));
  EXPECT_EQ(x.respond("dXNlcg=="), Step(Error::kNotInProgress));
  // "=" and "" are an empty initial response: not a PLAIN message.
  EXPECT_EQ(x.start("="), Step(Error::kMalformed));
  EXPECT_EQ(x.start(""), Step(Error::kMalformed));
  // Bad base64 as initial response, and "*" there (not a response).
  EXPECT_EQ(x.start("AHVz!"), Step(Error::kBadBase64));
  EXPECT_EQ(x.start("*"), Step(Error::kBadBase64));
  // Cancel, then nothing is in progress.
  x.start(std::nullopt);
  EXPECT_EQ(x.respond("*"), Step(Error::kCancelled));
  EXPECT_FALSE(x.in_progress());
  x.start(std::nullopt);
  EXPECT_EQ(x.respond(b64("no nuls")), Step(Error::kMalformed));
  EXPECT_EQ(x.start(b64(nul("someone@else", "u@x", "p"))), Step(Error::kAuthzidMismatch));
  // Limits apply to the initial response too.
  Limits limits;
  limits.max_response = 16;
  Exchange small(Mechanism::kPlain, limits);
  EXPECT_EQ(small.start(b64(nul("", "user", "a long password"))), Step(Error::kTooLong));
}

TEST(Sasl, LoginExchange) {
  Exchange x(Mechanism::kLogin);
  EXPECT_EQ(x.start(std::nullopt), Step(Challenge{"VXNlcm5hbWU6"}));
  EXPECT_EQ(x.respond(b64("user@example.com")), Step(Challenge{"UGFzc3dvcmQ6"}));
  EXPECT_EQ(x.respond(b64("hunter2")), Step(Credentials{"", "user@example.com", "hunter2"}));
  EXPECT_EQ(b64("Username:"), kLoginUsernamePrompt);
  EXPECT_EQ(b64("Password:"), kLoginPasswordPrompt);

  // The user name as initial response (Outlook does this).
  EXPECT_EQ(x.start(b64("u")), Step(Challenge{"UGFzc3dvcmQ6"}));
  EXPECT_EQ(x.respond(b64("p\xff")), Step(Credentials{"", "u", "p\xff"}));
  // "=": an empty user name.
  EXPECT_EQ(x.start("="), Step(Error::kMalformed));

  struct Case {
    std::string user, password;
    Error want;
  };
  const Case bad[] = {
      {"", "p", Error::kMalformed},
      {std::string("u\0v", 3), "p", Error::kMalformed},
      {"\xff", "p", Error::kNotUtf8},
      {std::string(1025, 'u'), "p", Error::kFieldTooLong},
      {"u", "", Error::kMalformed},
      {"u", std::string("p\0q", 3), Error::kMalformed},
      {"u", std::string(1025, 'p'), Error::kFieldTooLong},
  };
  for (const auto& c : bad) {
    x.start(std::nullopt);
    Step s = x.respond(b64(c.user));
    if (std::holds_alternative<Challenge>(s)) s = x.respond(b64(c.password));
    EXPECT_EQ(s, Step(c.want)) << c.user.substr(0, 10) << " / " << c.password.substr(0, 10);
    EXPECT_FALSE(x.in_progress());
  }
  // Cancel at either prompt.
  x.start(std::nullopt);
  EXPECT_EQ(x.respond("*"), Step(Error::kCancelled));
  x.start(std::nullopt);
  x.respond(b64("u"));
  EXPECT_EQ(x.respond("*"), Step(Error::kCancelled));
  EXPECT_EQ(x.respond(b64("p")), Step(Error::kNotInProgress));
  // Overlong line.
  Limits limits;
  limits.max_response = 16;
  Exchange small(Mechanism::kLogin, limits);
  small.start(std::nullopt);
  EXPECT_EQ(small.respond(b64(std::string(30, 'u'))), Step(Error::kTooLong));
}

TEST(Sasl, WipeClearsThePassword) {
  Credentials c{"", "u", "secret"};
  c.wipe();
  EXPECT_TRUE(c.password.empty());
  EXPECT_EQ(c.authcid, "u");
}
