// SPDX-License-Identifier: Apache-2.0
// EHLO capability tests on raw wire replies from real-world-shaped servers:
// known extensions, SIZE values, AUTH in both forms, unknown and malformed
// lines, and non-250 replies.
#include <gtest/gtest.h>

#include "mail/smtp/ehlo.h"

using namespace mail::smtp;

namespace {

Capabilities caps_of(std::string_view wire) {
  auto r = parse_reply(wire);
  EXPECT_TRUE(std::holds_alternative<ServerReply>(r)) << wire;
  if (!std::holds_alternative<ServerReply>(r)) return {};
  auto c = parse_ehlo(std::get<ServerReply>(r));
  EXPECT_TRUE(std::holds_alternative<Capabilities>(c)) << wire;
  if (!std::holds_alternative<Capabilities>(c)) return {};
  return std::get<Capabilities>(std::move(c));
}

TEST(Ehlo, PostfixLikeReply) {
  auto c = caps_of(
      "250-mx.example.org Hello client.example [192.0.2.1]\r\n"
      "250-PIPELINING\r\n"
      "250-SIZE 10240000\r\n"
      "250-VRFY\r\n"
      "250-ETRN\r\n"
      "250-STARTTLS\r\n"
      "250-AUTH PLAIN LOGIN\r\n"
      "250-AUTH=PLAIN LOGIN\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-8BITMIME\r\n"
      "250-DSN\r\n"
      "250-SMTPUTF8\r\n"
      "250 CHUNKING\r\n");
  EXPECT_EQ(c.domain, "mx.example.org");
  EXPECT_EQ(c.greeting, "Hello client.example [192.0.2.1]");
  EXPECT_TRUE(c.pipelining && c.starttls && c.enhanced_status_codes && c.eightbitmime && c.dsn && c.smtputf8 &&
              c.chunking);
  EXPECT_TRUE(c.size);
  EXPECT_EQ(c.max_size, 10240000u);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"PLAIN", "LOGIN"}));
  EXPECT_TRUE(c.has_auth("plain"));
  EXPECT_FALSE(c.has_auth("CRAM-MD5"));
  EXPECT_TRUE(c.has("vrfy"));
  EXPECT_TRUE(c.has("ETRN"));
  EXPECT_FALSE(c.has("XCLIENT"));
  EXPECT_EQ(c.extensions.size(), 12u);
  ASSERT_NE(c.find("size"), nullptr);
  EXPECT_EQ(c.find("size")->params, std::vector<std::string>{"10240000"});
}

TEST(Ehlo, MinimalReplyHasNothing) {
  auto c = caps_of("250 mx.example\r\n");
  EXPECT_EQ(c.domain, "mx.example");
  EXPECT_EQ(c.greeting, "");
  EXPECT_FALSE(c.size || c.pipelining || c.eightbitmime || c.smtputf8 || c.starttls || c.enhanced_status_codes ||
               c.chunking || c.dsn);
  EXPECT_TRUE(c.auth.empty());
  EXPECT_TRUE(c.extensions.empty());
}

TEST(Ehlo, SizeValues) {
  const struct {
    std::string_view line;
    bool size;
    uint64_t max;
  } cases[] = {
      {"250 SIZE\r\n", true, 0},
      {"250 SIZE 0\r\n", true, 0},
      {"250 size 52428800\r\n", true, 52428800},
      {"250 SIZE 18446744073709551615\r\n", true, 18446744073709551615ull},
      {"250 SIZE 18446744073709551616\r\n", true, 0},  // overflow: no usable limit
      {"250 SIZE -5\r\n", true, 0},
      {"250 SIZE 12abc\r\n", true, 0},
      {"250 SIZES 5\r\n", false, 0},
  };
  for (const auto& t : cases) {
    auto c = caps_of("250-mx\r\n" + std::string(t.line));
    EXPECT_EQ(c.size, t.size) << t.line;
    EXPECT_EQ(c.max_size, t.max) << t.line;
  }
}

TEST(Ehlo, KeywordsAreUpperCasedAndUnknownOnesKept) {
  auto c = caps_of(
      "250-mx.example\r\n"
      "250-starttls\r\n"
      "250-X-EXPS GSSAPI NTLM\r\n"
      "250-XCLIENT NAME ADDR\r\n"
      "250-auth cram-md5  xoauth2\r\n"
      "250-MT-PRIORITY MIXER\r\n"
      "250-  8BITMIME   \r\n"
      "250-0-digit-first\r\n"
      "250--bad\r\n"
      "250-BAD_KEYWORD x\r\n"
      "250-AUTH=\r\n"
      "250-\r\n"
      "250 LIMITS RCPTMAX=100\r\n");
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.eightbitmime);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"CRAM-MD5", "XOAUTH2"}));
  std::vector<std::string> keywords;
  for (const auto& e : c.extensions) keywords.push_back(e.keyword);
  EXPECT_EQ(keywords, (std::vector<std::string>{"STARTTLS", "X-EXPS", "XCLIENT", "AUTH", "MT-PRIORITY", "8BITMIME",
                                                "0-DIGIT-FIRST", "LIMITS"}));
  EXPECT_EQ(c.find("x-exps")->params, (std::vector<std::string>{"GSSAPI", "NTLM"}));
  EXPECT_EQ(c.find("LIMITS")->params, std::vector<std::string>{"RCPTMAX=100"});
}

TEST(Ehlo, OldAuthFormAlone) {
  auto c = caps_of("250-mx\r\n250 AUTH=LOGIN PLAIN\r\n");
  EXPECT_EQ(c.auth, (std::vector<std::string>{"LOGIN", "PLAIN"}));
  ASSERT_EQ(c.extensions.size(), 1u);
  EXPECT_EQ(c.extensions[0].keyword, "AUTH");
  // Mechanism names over 20 characters or with odd characters are ignored.
  c = caps_of("250-mx\r\n250 AUTH PLAIN ABCDEFGHIJKLMNOPQRSTU A.B\r\n");
  EXPECT_EQ(c.auth, std::vector<std::string>{"PLAIN"});
}

TEST(Ehlo, NotOk) {
  for (std::string_view wire : {"550 5.7.1 go away\r\n", "502 5.5.1 EHLO not implemented\r\n", "220 mx\r\n",
                                "251 mx\r\n"}) {
    auto r = parse_reply(wire);
    ASSERT_TRUE(std::holds_alternative<ServerReply>(r));
    auto c = parse_ehlo(std::get<ServerReply>(r));
    ASSERT_TRUE(std::holds_alternative<EhloError>(c)) << wire;
    EXPECT_EQ(std::get<EhloError>(c), EhloError::kNotOk);
  }
}

TEST(Ehlo, FirstLineThatLooksLikeAnEnhancedCode) {
  // The reply parser splits "2.0.0" off; the EHLO view puts it back.
  auto c = caps_of("250-2.0.0 mx.example hi\r\n250 2.0.0\r\n");
  EXPECT_EQ(c.domain, "2.0.0");
  EXPECT_EQ(c.greeting, "mx.example hi");
  EXPECT_TRUE(c.extensions.empty());  // "2.0.0" is no ehlo-keyword
}

}  // namespace
