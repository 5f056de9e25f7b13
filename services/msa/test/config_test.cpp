// SPDX-License-Identifier: Apache-2.0
// Unit tests for the msa's configuration (config.h).
#include "config.h"

#include <gtest/gtest.h>

namespace mail::msa {
namespace {

using common::Config;
using common::ConfigError;

TEST(MsaConfig, DefaultsAndStackKeys) {
  auto c = load_msa_config(Config::from_map({
      {"smtp.hostname", "Mail.Example.Test"},
      {"smtp.mx_listen", "127.0.0.1:2525"},
      {"smtp.submission_listen", "127.0.0.1:2587"},
      {"smtp.submissions_listen", "[::1]:2465"},
      {"tls.cert", "/c.pem"},
      {"tls.key", "/k.pem"},
      {"http.listen", "127.0.0.1:9101"},
      {"mta.address", "127.0.0.1:7002"},
      {"directory.address", "127.0.0.1:7001"},
  }));
  EXPECT_EQ(c.smtp.hostname, "mail.example.test");
  EXPECT_EQ(c.smtp.postmaster_domain, "example.test");
  EXPECT_EQ(c.mx_listen.host, "127.0.0.1");
  EXPECT_EQ(c.mx_listen.port, 2525);
  EXPECT_EQ(c.submissions_listen.host, "::1");
  EXPECT_EQ(c.submissions_listen.port, 2465);
  EXPECT_EQ(c.smtp.limits.max_message_size, 25u * 1024 * 1024);
  EXPECT_EQ(c.smtp.limits.max_recipients, 100u);
  EXPECT_EQ(c.smtp.limits.max_command_line, 2048u);
  EXPECT_EQ(c.smtp.limits.max_text_line, 8192u);
  EXPECT_EQ(c.smtp.max_errors, 20u);
  EXPECT_EQ(c.smtp.max_auth_failures, 3u);
  EXPECT_EQ(c.smtp.command_timeout, std::chrono::minutes(5));
  EXPECT_EQ(c.smtp.data_timeout, std::chrono::minutes(10));
  EXPECT_EQ(c.directory.options.cache_ttl, std::chrono::seconds(30));
  EXPECT_EQ(c.directory.options.recipient_cache_ttl, std::chrono::seconds(10));
  EXPECT_EQ(c.mta_address, "127.0.0.1:7002");
  EXPECT_EQ(c.directory.address, "127.0.0.1:7001");
}

TEST(MsaConfig, LimitsAreConfigurable) {
  auto c = load_msa_config(Config::from_map({{"smtp.max_message_size", "10M"},
                                             {"smtp.max_recipients", "5"},
                                             {"smtp.max_text_line", "1000"},
                                             {"smtp.command_timeout", "30s"},
                                             {"smtp.submissions_listen", ""},
                                             {"directory.cache_ttl", "0"}}));
  EXPECT_EQ(c.smtp.limits.max_message_size, 10u * 1024 * 1024);
  EXPECT_EQ(c.smtp.limits.max_recipients, 5u);
  EXPECT_EQ(c.smtp.limits.max_text_line, 1000u);
  EXPECT_EQ(c.smtp.command_timeout, std::chrono::seconds(30));
  EXPECT_FALSE(c.submissions_listen.enabled());
  EXPECT_EQ(c.directory.options.cache_ttl.count(), 0);
}

TEST(MsaConfig, BadValuesFailAtStartup) {
  const std::map<std::string, std::string> bad[] = {
      {{"smtp.mx_listen", "127.0.0.1"}},  {{"smtp.mx_listen", "127.0.0.1:0"}}, {{"smtp.mx_listen", "127.0.0.1:99999"}},
      {{"smtp.mx_listen", "[::1:25"}},    {{"smtp.max_recipients", "0"}},      {{"smtp.max_text_line", "999"}},
      {{"smtp.max_command_line", "100"}}, {{"smtp.max_message_size", "12"}},   {{"smtp.hostname", "bad host"}},
      {{"tls.cert", "/only-cert.pem"}},   {{"smtp.command_timeout", "0s"}},    {{"mta.chunk_size", "10M"}},
      {{"smtp.data_memory_budget", "100K"}},
  };
  for (const auto& m : bad) EXPECT_THROW(load_msa_config(Config::from_map(m)), ConfigError) << m.begin()->first;
}

TEST(MsaConfig, DataMemoryBudget) {
  EXPECT_EQ(load_msa_config(Config::from_map({})).data_memory_budget, 64u * 1024 * 1024);
  EXPECT_EQ(load_msa_config(Config::from_map({{"smtp.data_memory_budget", "8M"}})).data_memory_budget,
            8u * 1024 * 1024);
  // At least two chunks: a budget one chunk could spend alone would stall everyone else.
  EXPECT_THROW(load_msa_config(Config::from_map({{"smtp.data_memory_budget", "1M"}, {"mta.chunk_size", "1M"}})),
               ConfigError);
}

TEST(MsaConfig, PostmasterDomain) {
  EXPECT_EQ(default_postmaster_domain("mail.example.test"), "example.test");
  EXPECT_EQ(default_postmaster_domain("example.test"), "example.test");
  EXPECT_EQ(default_postmaster_domain("localhost"), "localhost");
}

}  // namespace
}  // namespace mail::msa
