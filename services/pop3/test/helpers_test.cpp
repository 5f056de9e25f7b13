// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the pure helpers: UIDL unique-ids, SASL PLAIN
// decoding (malformed and oversized input) and endpoints.
#include <gtest/gtest.h>

#include "helpers.h"
#include "mail/common/base64.h"
#include "mail/pop3/maildrop.h"

using namespace mail::pop3d;
using mail::common::base64_encode;

TEST(UniqueId, EightPlusEightHexDigits) {
  EXPECT_EQ(unique_id(0x65f1a2b3, 7), "65f1a2b300000007");
  EXPECT_EQ(unique_id(1, 0xffffffff), "00000001ffffffff");
  EXPECT_EQ(unique_id(0, 0), "0000000000000000");
}

TEST(UniqueId, StableAndDistinct) {
  EXPECT_EQ(unique_id(1700000000, 42), unique_id(1700000000, 42));
  EXPECT_NE(unique_id(1700000000, 42), unique_id(1700000000, 43));
  EXPECT_NE(unique_id(1700000000, 42), unique_id(1700000001, 42));
}

TEST(UniqueId, WideValuesUseLongerFormAndStayValid) {
  std::string wide = unique_id(0x100000000LL, 1);
  EXPECT_EQ(wide, "00000001000000000000000000000001");
  EXPECT_NE(wide.size(), unique_id(1, 1).size()) << "the two forms cannot collide";
  EXPECT_TRUE(mail::pop3::is_valid_uid(wide));
  EXPECT_TRUE(mail::pop3::is_valid_uid(unique_id(0x7fffffffffffffffLL, 0x7fffffffffffffffLL)));
}

TEST(SaslPlain, Decodes) {
  struct Case {
    std::string raw;
    bool ok;
    std::string authzid, authcid, password;
  };
  const std::string big(1025, 'x');
  const Case cases[] = {
      {std::string("\0user\0pass", 10), true, "", "user", "pass"},
      {std::string("user\0user\0pass", 14), true, "user", "user", "pass"},
      {std::string("\0user\0pa ss\xc3\xa9", 13), true, "", "user", "pa ss\xc3\xa9"},
      {std::string("\0\0pass", 6), false, "", "", ""},
      {std::string("\0user\0", 6), false, "", "", ""},
      {std::string("user\0pass", 9), false, "", "", ""},
      {std::string("\0user\0pass\0x", 12), false, "", "", ""},
      {"nonul", false, "", "", ""},
      {std::string("\0", 1) + big + std::string("\0p", 2), false, "", "", ""},
      {std::string("\0u\0", 3) + big, false, "", "", ""},
  };
  for (const auto& c : cases) {
    auto got = decode_sasl_plain(base64_encode(c.raw));
    ASSERT_EQ(got.has_value(), c.ok) << base64_encode(c.raw);
    if (!c.ok) continue;
    EXPECT_EQ(got->authzid, c.authzid);
    EXPECT_EQ(got->authcid, c.authcid);
    EXPECT_EQ(got->password, c.password);
  }
}

TEST(SaslPlain, RefusesBadBase64) {
  for (const char* s : {"", "=", "AHVzZXIAcGFzcw", "AHVzZXIAcGFzcw==x", "AHVz ZXIAcGFzcw==", "*", "AHVzZXIAcGFzcw=!"})
    EXPECT_FALSE(decode_sasl_plain(s).has_value()) << s;
  EXPECT_TRUE(decode_sasl_plain("AHVzZXIAcGFzcw==").has_value());
}

TEST(Endpoint, Parses) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:2110"), (Endpoint{"127.0.0.1", 2110}));
  EXPECT_EQ(parse_endpoint("[::1]:995"), (Endpoint{"::1", 995}));
  EXPECT_EQ(parse_endpoint("mail.example.test:110"), (Endpoint{"mail.example.test", 110}));
  EXPECT_EQ(parse_endpoint("0.0.0.0:65535"), (Endpoint{"0.0.0.0", 65535}));
  for (const char* bad : {"", "127.0.0.1", ":110", "h:", "h:0", "h:65536", "h:-1", "h:1x", "::1:110", "[::1]110",
                          "[::1]:", "h:123456"})
    EXPECT_FALSE(parse_endpoint(bad).has_value()) << bad;
}
