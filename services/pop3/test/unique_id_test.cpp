// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the UIDL unique-ids (host:port parsing is
// libs/common's, SASL decoding libs/sasl's).
#include <gtest/gtest.h>

#include "unique_id.h"
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
