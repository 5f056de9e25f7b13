// SPDX-License-Identifier: Apache-2.0
// The outbound settings: relay syntax (Postfix's [host]:port), TLS policies,
// per-domain routes, and refusal of what does not parse.
#include <gtest/gtest.h>

#include "outbound_config.h"

using namespace mail;
using mta::smtpc::TlsPolicy;

TEST(OutboundConfig, RelaySyntax) {
  auto r = mta::parse_relay("[Smtp.Provider.Example]:587", 25);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host, "smtp.provider.example");
  EXPECT_EQ(r->port, 587);
  EXPECT_FALSE(r->mx_lookup) << "[host]: the host itself";
  r = mta::parse_relay("relay.example", 25);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->mx_lookup) << "host: its MX";
  EXPECT_EQ(r->port, 25);
  r = mta::parse_relay("[2001:db8::1]:2525", 25);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host, "2001:db8::1");
  EXPECT_EQ(r->port, 2525);
  EXPECT_TRUE(mta::parse_relay("", 25)->host.empty()) << "empty: by MX";
  for (const char* bad : {"[]", "[host", "host:0", "host:65536", "host:x", "two words", "[h]x", "a,b"})
    EXPECT_FALSE(mta::parse_relay(bad, 25)) << bad;
}

TEST(OutboundConfig, GlobalRelayAndPerDomainRoutes) {
  auto cfg = common::Config::from_map({
      {"outbound.relayhost", "[relay.example]:587"},
      {"outbound.relayhost_user", "me@example.test"},
      {"outbound.relayhost_password", "secret"},
      {"outbound.tls", "verify"},
      {"outbound.routes.partner.example.relayhost", "[10.1.2.3]"},
      {"outbound.routes.partner.example.tls", "may"},
      {"outbound.routes.Direct.Example.relayhost", ""},
      {"outbound.max_per_destination", "5"},
      {"outbound.timeout.rcpt", "7s"},
  });
  auto o = mta::outbound_options(cfg, "mx.example.test");
  EXPECT_EQ(o.helo_name, "mx.example.test");
  EXPECT_EQ(o.tls, TlsPolicy::verify);
  ASSERT_TRUE(o.relayhost);
  EXPECT_EQ(o.relayhost->host, "relay.example");
  EXPECT_EQ(o.relayhost->port, 587);
  EXPECT_EQ(o.relayhost->tls, TlsPolicy::encrypt) << "a relay defaults to encrypt";
  ASSERT_TRUE(o.relayhost->auth);
  EXPECT_EQ(o.relayhost->auth->user, "me@example.test");
  EXPECT_EQ(o.relayhost->auth->password, "secret");
  ASSERT_EQ(o.routes.count("partner.example"), 1u);
  EXPECT_EQ(o.routes["partner.example"].host, "10.1.2.3");
  EXPECT_EQ(o.routes["partner.example"].tls, TlsPolicy::may);
  EXPECT_FALSE(o.routes["partner.example"].auth);
  ASSERT_EQ(o.routes.count("direct.example"), 1u) << "domains are lower-cased";
  EXPECT_TRUE(o.routes["direct.example"].host.empty()) << "by MX despite the global relay";
  EXPECT_EQ(o.max_per_destination, 5u);
  EXPECT_EQ(o.client.rcpt_timeout, std::chrono::seconds(7));
}

TEST(OutboundConfig, WhatDoesNotParseIsRefused) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"outbound.tls", "sometimes"}, {"outbound.relayhost", "[x"}, {"outbound.port", "0"},
           {"outbound.max_connections", "0"}, {"outbound.timeout.data_end", "0s"},
           {"outbound.routes.a.example.tls", "bogus"}}) {
    std::map<std::string, std::string> m = {{key, value}};
    if (key.rfind("outbound.routes.", 0) == 0) m["outbound.routes.a.example.relayhost"] = "[h]";
    EXPECT_THROW(mta::outbound_options(common::Config::from_map(m), "h"), common::ConfigError) << key << "=" << value;
  }
}
