// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "mail/common/strings.h"

using namespace mail::common;

TEST(Strings, NormalizeAddress) {
  EXPECT_EQ(normalize_address("Demo@Example.TEST"), "demo@example.test");
  EXPECT_EQ(normalize_address("<a.b+c@x.y.>"), "a.b+c@x.y");
  EXPECT_EQ(normalize_address("  u@d  "), "u@d");
  EXPECT_EQ(normalize_address("no-at-sign"), "");
  EXPECT_EQ(normalize_address("@d"), "");
  EXPECT_EQ(normalize_address("u@"), "");
  EXPECT_EQ(normalize_address("u v@d"), "");
  EXPECT_EQ(normalize_address("u@d..e"), "");
  EXPECT_EQ(normalize_address(std::string(65, 'a') + "@d"), "");
  // A quoted local part that needs no quotes is the same mailbox (Postfix unquotes it).
  EXPECT_EQ(normalize_address("\"Alice\"@example.test"), "alice@example.test");
  EXPECT_EQ(normalize_address("<\"a.b+c\"@x.y>"), "a.b+c@x.y");
  EXPECT_EQ(normalize_address("\"a\\.b\"@x"), "a.b@x") << "a quoted pair of a plain character";
  EXPECT_EQ(normalize_address("\"a..b\"@x"), "\"a..b\"@x") << "needs its quotes: kept as written";
  EXPECT_EQ(normalize_address("\".a\"@x"), "\".a\"@x");
  EXPECT_EQ(normalize_address("\"\"@x"), "\"\"@x");
  EXPECT_EQ(normalize_address("\"a b\"@x"), "") << "spaces are refused as before";
  EXPECT_EQ(address_domain("u@d.e"), "d.e");
  EXPECT_EQ(address_local("u@d.e"), "u");
}

TEST(Strings, Case) {
  EXPECT_TRUE(iequals("MAIL", "mail"));
  EXPECT_FALSE(iequals("MAIL", "mai"));
  EXPECT_TRUE(istarts_with("MAIL FROM:<>", "mail from:"));
  EXPECT_EQ(trim("  x \r\n"), "x");
  EXPECT_EQ(random_hex(4).size(), 8u);
}

TEST(Strings, Atext) {
  for (char c : std::string("aZ09!#$%&'*+-/=?^_`{|}~")) EXPECT_TRUE(is_atext(static_cast<unsigned char>(c))) << c;
  for (char c : std::string(" .@<>()[]\\,;:\"\r\n\x7f")) EXPECT_FALSE(is_atext(static_cast<unsigned char>(c))) << int(c);
  EXPECT_FALSE(is_atext(0xc3)) << "UTF-8 is the caller's decision";
}
