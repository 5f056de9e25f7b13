// SPDX-License-Identifier: Apache-2.0
// client_limits_config_test.cpp: the net.* keys, their defaults, their
// range checks, and how they land on ServerOptions.
#include "mail/net/client_limits.h"

#include <gtest/gtest.h>

#include "mail/common/config.h"

namespace mail::net {
namespace {

using common::Config;

TEST(ClientLimitsConfig, DefaultsMatchServerOptions) {
  ClientLimits l = load_client_limits(Config::from_map({}));
  EXPECT_EQ(l.max_connections_per_client, 50u);
  EXPECT_TRUE(l.client_limit_exceptions.empty());
  EXPECT_EQ(l.tls_handshake_timeout, std::chrono::seconds(10));
  EXPECT_DOUBLE_EQ(l.stress_threshold, 0.8);
  EXPECT_EQ(l.stress_timeout, std::chrono::seconds(10));
  EXPECT_TRUE(l.proxy_protocol_from.empty());
}

TEST(ClientLimitsConfig, ReadsEveryKeyAndAppliesIt) {
  ClientLimits l = load_client_limits(Config::from_map({{"net.max_connections_per_client", "7"},
                                                        {"net.client_limit_exceptions", "127.0.0.0/8, 2001:db8::/32"},
                                                        {"net.tls_handshake_timeout", "3s"},
                                                        {"net.stress_threshold", "0.5"},
                                                        {"net.stress_timeout", "2s"},
                                                        {"net.proxy_protocol_from", "10.1.0.0/16"},
                                                        {"net.proxy_header_timeout", "750ms"}}));
  ServerOptions o;
  apply(l, o);
  EXPECT_EQ(o.max_connections_per_client, 7u);
  EXPECT_EQ(o.client_limit_exceptions.to_string(), "127.0.0.0/8, 2001:db8::/32");
  EXPECT_EQ(o.tls_handshake_timeout, std::chrono::seconds(3));
  EXPECT_DOUBLE_EQ(o.stress_threshold, 0.5);
  EXPECT_EQ(o.stress_timeout, std::chrono::seconds(2));
  EXPECT_TRUE(o.proxy_protocol_from.contains("10.1.2.3"));
  EXPECT_FALSE(o.proxy_protocol_from.contains("10.2.0.1"));
  EXPECT_EQ(o.proxy_header_timeout, std::chrono::milliseconds(750));
}

TEST(ClientLimitsConfig, BadValuesNameTheKey) {
  struct Case {
    const char* key;
    const char* value;
  };
  const Case cases[] = {
      {"net.max_connections_per_client", "-1"},
      {"net.client_limit_exceptions", "127.0.0.1/8"},
      {"net.client_limit_exceptions", "localhost"},
      {"net.proxy_protocol_from", "10.0.0.0/40"},
      {"net.stress_threshold", "1.5"},
      {"net.stress_threshold", "-0.1"},
      {"net.stress_threshold", "high"},
      {"net.stress_threshold", "0.5x"},
      {"net.stress_timeout", "0s"},
      {"net.tls_handshake_timeout", "0"},
  };
  for (const auto& c : cases) {
    try {
      load_client_limits(Config::from_map({{c.key, c.value}}));
      ADD_FAILURE() << c.key << "=" << c.value << " accepted";
    } catch (const common::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(c.key), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(load_client_limits(Config::from_map({{"net.max_connections_per_client", "0"}})).max_connections_per_client,
            0u);
}

}  // namespace
}  // namespace mail::net
