// SPDX-License-Identifier: Apache-2.0
// AdminConfig: defaults, overrides, secrets from files, rejected values.
#include "admin_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace mail::admin {
namespace {

using common::Config;
using common::ConfigError;

TEST(AdminConfig, Defaults) {
  AdminConfig a = load_admin_config(Config::from_map({{"db.url", "host=db dbname=mail"}}));
  EXPECT_EQ(a.listen, "127.0.0.1:7001");
  EXPECT_EQ(a.db_url, "host=db dbname=mail");
  EXPECT_EQ(a.db_pool_size, 8u);
  EXPECT_EQ(a.http_address, "127.0.0.1");
  EXPECT_EQ(a.http_port, 9106);
  EXPECT_EQ(a.directory.argon2.t_cost, 2u);
  EXPECT_EQ(a.directory.argon2.m_cost_kib, 19456u);
  EXPECT_EQ(a.directory.argon2.parallelism, 1u);
  EXPECT_EQ(a.directory.subaddress_separators, "+");
  EXPECT_EQ(a.log_level, log::Level::info);
}

TEST(AdminConfig, Values) {
  AdminConfig a = load_admin_config(Config::from_map({{"db.url", "x"},
                                                      {"admin.listen", "0.0.0.0:17001"},
                                                      {"http.listen", "[::1]:19106"},
                                                      {"db.pool_size", "3"},
                                                      {"argon2.t_cost", "3"},
                                                      {"argon2.m_cost", "65536"},
                                                      {"argon2.parallelism", "2"},
                                                      {"directory.recipient_delimiter", "+-"},
                                                      {"log.level", "debug"},
                                                      {"admin.shutdown_grace", "3s"}}));
  EXPECT_EQ(a.listen, "0.0.0.0:17001");
  EXPECT_EQ(a.http_address, "::1");
  EXPECT_EQ(a.http_port, 19106);
  EXPECT_EQ(a.db_pool_size, 3u);
  EXPECT_EQ(a.directory.argon2.t_cost, 3u);
  EXPECT_EQ(a.directory.argon2.m_cost_kib, 65536u);
  EXPECT_EQ(a.directory.argon2.parallelism, 2u);
  EXPECT_EQ(a.directory.subaddress_separators, "+-");
  EXPECT_EQ(a.log_level, log::Level::debug);
  EXPECT_EQ(a.shutdown_grace, std::chrono::seconds(3));
}

TEST(AdminConfig, SecretFromFile) {
  std::string path = ::testing::TempDir() + "admin_db_url";
  {
    std::ofstream f(path);
    f << "host=db password=s3cret\n";
  }
  AdminConfig a = load_admin_config(Config::from_map({{"db.url_file", path}}));
  EXPECT_EQ(a.db_url, "host=db password=s3cret");
  std::remove(path.c_str());
}

TEST(AdminConfig, Rejected) {
  const std::map<std::string, std::string> bad[] = {
      {},                                                  // no db.url
      {{"db.url", "x"}, {"db.pool_size", "0"}},
      {{"db.url", "x"}, {"http.listen", "nonsense"}},
      {{"db.url", "x"}, {"http.listen", "1.2.3.4:99999"}},
      {{"db.url", "x"}, {"admin.listen", "noport"}},
      {{"db.url", "x"}, {"argon2.t_cost", "0"}},
      {{"db.url", "x"}, {"argon2.m_cost", "big"}},
      {{"db.url", "x"}, {"directory.recipient_delimiter", "@"}},
      {{"db.url_file", "/nonexistent/file"}},
  };
  for (const auto& m : bad) EXPECT_THROW(load_admin_config(Config::from_map(m)), ConfigError);
}

}  // namespace
}  // namespace mail::admin
