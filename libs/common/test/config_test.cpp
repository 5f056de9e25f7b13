// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdlib>

#include "mail/common/config.h"

using namespace mail::common;
using namespace std::chrono_literals;

TEST(Config, SizesAndDurations) {
  EXPECT_EQ(parse_size("25M"), 25u * 1024 * 1024);
  EXPECT_EQ(parse_size("1G"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("4KB"), 4096u);
  EXPECT_THROW(parse_size("lots"), ConfigError);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("5"), 5s);
  EXPECT_THROW(parse_duration("soon"), ConfigError);
}

TEST(Config, EnvironmentOverridesFile) {
  auto c = Config::from_map({{"smtp.max_size", "10M"}, {"smtp.banner", "hi"}});
  EXPECT_EQ(Config::env_name("smtp.max_size"), "MAIL_SMTP_MAX_SIZE");
  EXPECT_EQ(c.size("smtp.max_size", 1), 10u * 1024 * 1024);
  ::setenv("MAIL_SMTP_MAX_SIZE", "1K", 1);
  EXPECT_EQ(c.size("smtp.max_size", 1), 1024u);
  ::unsetenv("MAIL_SMTP_MAX_SIZE");
  EXPECT_EQ(c.str("smtp.banner", "x"), "hi");
  EXPECT_EQ(c.str("smtp.other", "x"), "x");
  EXPECT_THROW(Config::from_map({{"a.n", "x1"}}).integer("a.n", 0), ConfigError);
}
