// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of local domain/address validation and subaddress splitting.
#include "mail/directory/names.h"

#include <gtest/gtest.h>

namespace mail::directory {
namespace {

struct Case {
  const char* in;
  const char* want;  // "" = rejected
};

TEST(Names, LocalDomain) {
  const Case cases[] = {
      {"example.test", "example.test"},
      {"Example.TEST.", "example.test"},
      {"  mail.example.test ", "mail.example.test"},
      {"localhost", "localhost"},
      {"xn--bcher-kva.test", "xn--bcher-kva.test"},
      {"a-b.c1.test", "a-b.c1.test"},
      {"", ""},
      {".", ""},
      {"-bad.test", ""},
      {"bad-.test", ""},
      {"ex..test", ""},
      {"ex_ample.test", ""},
      {"[192.0.2.1]", ""},
      {"bücher.test", ""},
      {"exa mple.test", ""},
      {"example.test\r\n", "example.test"},
      {"a\nb.test", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(normalize_local_domain(c.in), c.want) << c.in;
  EXPECT_EQ(normalize_local_domain(std::string(64, 'a') + ".test"), "");
  EXPECT_EQ(normalize_local_domain(std::string(63, 'a') + ".test"), std::string(63, 'a') + ".test");
  std::string huge;
  for (int i = 0; i < 100; ++i) huge += "abc.";
  EXPECT_EQ(normalize_local_domain(huge + "test"), "");
}

TEST(Names, LocalAddress) {
  const Case cases[] = {
      {"Demo@Example.TEST", "demo@example.test"},
      {"<demo@example.test>", "demo@example.test"},
      {"first.last@example.test", "first.last@example.test"},
      {"a+b@example.test", "a+b@example.test"},
      {"o'neil@example.test", "o'neil@example.test"},
      {"x!#$%&*/=?^_`{|}~-@example.test", "x!#$%&*/=?^_`{|}~-@example.test"},
      {"jörg@example.test", "jörg@example.test"},
      {".lead@example.test", ""},
      {"trail.@example.test", ""},
      {"dou..ble@example.test", ""},
      {"\"quoted\"@example.test", "quoted@example.test"},  // the same mailbox, unquoted (Postfix too)
      {"\"quo..ted\"@example.test", ""},                   // needs its quotes: not a local account name
      {"a(b)@example.test", ""},
      {"a\\b@example.test", ""},
      {"no-at-sign", ""},
      {"@example.test", ""},
      {"demo@", ""},
      {"demo@[192.0.2.1]", ""},
      {"demo@bad_domain.test", ""},
      {"de mo@example.test", ""},
      {"a@b@example.test", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(normalize_local_address(c.in), c.want) << c.in;
  EXPECT_EQ(normalize_local_address(std::string(65, 'a') + "@example.test"), "");
  EXPECT_EQ(normalize_local_address(std::string(64, 'a') + "@example.test"), std::string(64, 'a') + "@example.test");
}

TEST(Names, Subaddress) {
  EXPECT_EQ(strip_subaddress("user+tag@d.test", "+"), "user@d.test");
  EXPECT_EQ(strip_subaddress("user+a+b@d.test", "+"), "user@d.test");
  EXPECT_EQ(strip_subaddress("user-tag@d.test", "+-"), "user@d.test");
  EXPECT_EQ(strip_subaddress("user-x+y@d.test", "+-"), "user@d.test");
  EXPECT_EQ(strip_subaddress("user+@d.test", "+"), "user@d.test");
  EXPECT_EQ(strip_subaddress("user@d.test", "+"), std::nullopt);
  EXPECT_EQ(strip_subaddress("+tag@d.test", "+"), std::nullopt);
  EXPECT_EQ(strip_subaddress("user+tag@d.test", ""), std::nullopt);
  EXPECT_EQ(strip_subaddress("no-at", "-"), std::nullopt);
}

TEST(Names, Roles) {
  EXPECT_TRUE(is_role_local_part("postmaster"));
  EXPECT_TRUE(is_role_local_part("abuse"));
  EXPECT_FALSE(is_role_local_part("Postmaster"));  // callers pass normalized (lowercase) parts
  EXPECT_FALSE(is_role_local_part("webmaster"));
  EXPECT_FALSE(is_role_local_part(""));
}

}  // namespace
}  // namespace mail::directory
