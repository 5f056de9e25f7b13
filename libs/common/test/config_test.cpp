// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdlib>

#include "mail/common/config.h"
#include "mail/common/config_values.h"

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
  EXPECT_EQ(parse_duration("7d"), std::chrono::hours(7 * 24));
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

TEST(ConfigValues, PositiveListenAddressAndConninfo) {
  auto c = Config::from_map({{"a.n", "0"},
                             {"a.m", "7"},
                             {"a.off", ""},
                             {"a.zero", "127.0.0.1:0"},
                             {"a.at", "127.0.0.1:2143"},
                             {"db.url", "dbname=mail"},
                             {"db.password", "it's"}});
  EXPECT_THROW(mail::common::positive(c, "a.n", 1), ConfigError);
  EXPECT_EQ(mail::common::positive(c, "a.m", 1), 7u);
  EXPECT_THROW(mail::common::positive(c, "a.m", 1, 6), ConfigError);
  EXPECT_EQ(mail::common::positive(c, "a.unset", 3), 3u);
  EXPECT_FALSE(mail::common::listen_address(c, "a.off", "127.0.0.1:1").has_value());
  EXPECT_THROW(mail::common::listen_address(c, "a.zero", ""), ConfigError);
  EXPECT_EQ(mail::common::listen_address(c, "a.at", "")->port, 2143);
  EXPECT_EQ(mail::common::listen_address(c, "a.unset", "localhost:25")->port, 25);
  EXPECT_EQ(mail::common::db_conninfo(c), "dbname=mail password='it\\'s'");
  EXPECT_THROW(mail::common::db_conninfo(Config::from_map({})), ConfigError);
}
