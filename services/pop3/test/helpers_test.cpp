// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the pure helpers: UIDL unique-ids and endpoints
// (SASL PLAIN decoding is tested in libs/sasl).
#include <gtest/gtest.h>

#include "helpers.h"
#include "mail/pop3/maildrop.h"

using namespace mail::pop3d;

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

TEST(Endpoint, Parses) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:2110"), (Endpoint{"127.0.0.1", 2110}));
  EXPECT_EQ(parse_endpoint("[::1]:995"), (Endpoint{"::1", 995}));
  EXPECT_EQ(parse_endpoint("mail.example.test:110"), (Endpoint{"mail.example.test", 110}));
  EXPECT_EQ(parse_endpoint("0.0.0.0:65535"), (Endpoint{"0.0.0.0", 65535}));
  for (const char* bad : {"", "127.0.0.1", ":110", "h:", "h:0", "h:65536", "h:-1", "h:1x", "::1:110", "[::1]110",
                          "[::1]:", "h:123456"})
    EXPECT_FALSE(parse_endpoint(bad).has_value()) << bad;
}
