// SPDX-License-Identifier: Apache-2.0
// load_settings(): defaults, the keys scripts/lib/stack.sh writes, and
// refusal of bad values at start-up.
#include <gtest/gtest.h>

#include "settings.h"

using namespace mail;
using namespace mail::pop3d;

namespace {
std::map<std::string, std::string> base() {
  return {{"pop3.hostname", "mail.example.test"},
          {"pop3.listen", "127.0.0.1:2110"},
          {"pop3.pop3s_listen", "127.0.0.1:2995"},
          {"tls.cert", "/x/cert.pem"},
          {"tls.key", "/x/key.pem"},
          {"http.listen", "127.0.0.1:9105"},
          {"db.url", "host=127.0.0.1 dbname=mail user=mail_pop3"},
          {"db.pool_size", "8"},
          {"directory.address", "127.0.0.1:7001"},
          {"auth.token", "pop3-token-0123456789abcdef"}};
}
}  // namespace

TEST(Settings, StackConfigAndDefaults) {
  Settings s = load_settings(common::Config::from_map(base()));
  EXPECT_EQ(s.session.hostname, "mail.example.test");
  EXPECT_EQ(s.listen, (common::HostPort{"127.0.0.1", 2110}));
  EXPECT_EQ(s.pop3s_listen, (common::HostPort{"127.0.0.1", 2995}));
  EXPECT_EQ(s.db_pool_size, 8u);
  EXPECT_EQ(s.directory.address, "127.0.0.1:7001");
  EXPECT_FALSE(s.session.allow_plaintext_auth);
  EXPECT_EQ(s.session.timeout, std::chrono::minutes(10));
  EXPECT_EQ(s.session.max_auth_failures, 3u);
  EXPECT_EQ(s.session.max_errors, 20u);
  EXPECT_EQ(s.directory.options.cache_ttl, std::chrono::seconds(30));
  EXPECT_GT(s.session.lease_ttl_seconds(), 600) << "lease outlives the idle timeout";
}

TEST(Settings, Overrides) {
  auto m = base();
  m["pop3.allow_plaintext_auth"] = "true";
  m["pop3.timeout"] = "15m";
  m["pop3.max_message_size"] = "1M";
  m["directory.cache_ttl"] = "0";
  m["db.password"] = "it's";
  Settings s = load_settings(common::Config::from_map(m));
  EXPECT_TRUE(s.session.allow_plaintext_auth);
  EXPECT_EQ(s.session.timeout, std::chrono::minutes(15));
  EXPECT_EQ(s.session.max_message_size, 1u << 20);
  EXPECT_EQ(s.directory.options.cache_ttl.count(), 0);
  EXPECT_NE(s.db_url.find("password='it\\'s'"), std::string::npos) << s.db_url;
}

TEST(Settings, RefusesBadValues) {
  auto with = [](std::string key, std::string value) {
    auto m = base();
    if (value == "<unset>")
      m.erase(key);
    else
      m[key] = value;
    return common::Config::from_map(m);
  };
  EXPECT_THROW(load_settings(with("pop3.listen", "nonsense")), common::ConfigError);
  EXPECT_THROW(load_settings(with("pop3.listen", "127.0.0.1:0")), common::ConfigError) << "a listener no client can find";
  EXPECT_THROW(load_settings(with("pop3.pop3s_listen", "::1:995")), common::ConfigError) << "IPv6 needs brackets";
  EXPECT_THROW(load_settings(with("pop3.max_auth_failures", "0")), common::ConfigError);
  EXPECT_THROW(load_settings(with("db.url", "<unset>")), common::ConfigError);
  EXPECT_THROW(load_settings(with("tls.key", "<unset>")), common::ConfigError);
  EXPECT_THROW(load_settings(with("pop3.hostname", "a b")), common::ConfigError);
  EXPECT_THROW(load_settings(with("auth.token", "<unset>")), common::ConfigError) << "no token, no Directory";
  EXPECT_THROW(load_settings(with("auth.token", "short")), common::ConfigError);
  auto m = base();
  m.erase("tls.cert");
  m.erase("tls.key");
  EXPECT_THROW(load_settings(common::Config::from_map(m)), common::ConfigError) << "pop3s needs a certificate";
  m["pop3.pop3s_listen"] = "";
  EXPECT_NO_THROW(load_settings(common::Config::from_map(m)));
}
