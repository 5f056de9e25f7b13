// SPDX-License-Identifier: Apache-2.0
// load_settings(): defaults, the keys scripts/lib/stack.sh writes, and
// refusal of bad values at start-up.
#include <gtest/gtest.h>

#include "settings.h"

using namespace mail;
using namespace mail::imapd;

namespace {
std::map<std::string, std::string> base() {
  return {{"imap.hostname", "mail.example.test"},
          {"imap.listen", "127.0.0.1:2143"},
          {"imap.imaps_listen", "127.0.0.1:2993"},
          {"tls.cert", "/x/cert.pem"},
          {"tls.key", "/x/key.pem"},
          {"db.url", "host=127.0.0.1 dbname=mail user=mail_imap"},
          {"directory.address", "127.0.0.1:7001"},
          {"auth.token", "imap-token-0123456789abcdef"}};
}
}  // namespace

TEST(ImapSettings, StackConfigAndDefaults) {
  Settings s = load_settings(common::Config::from_map(base()));
  EXPECT_EQ(s.session.hostname, "mail.example.test");
  EXPECT_EQ(s.listen, (common::HostPort{"127.0.0.1", 2143}));
  EXPECT_EQ(s.imaps_listen, (common::HostPort{"127.0.0.1", 2993}));
  EXPECT_FALSE(s.session.allow_plaintext_auth);
  EXPECT_EQ(s.session.idle_timeout, std::chrono::minutes(30)) << "RFC 3501 5.4's autologout minimum";
  EXPECT_EQ(s.session.limits.max_line, 8192u);
  EXPECT_EQ(s.session.limits.max_literal, 50u * 1024 * 1024);
  EXPECT_GT(s.session.limits.max_frame, s.session.limits.max_literal);
  EXPECT_EQ(s.max_userip_connections, 10u) << "Dovecot's mail_max_userip_connections";
}

TEST(ImapSettings, RefusesBadValues) {
  auto with = [](std::string key, std::string value) {
    auto m = base();
    if (value == "<unset>")
      m.erase(key);
    else
      m[key] = value;
    return common::Config::from_map(m);
  };
  EXPECT_THROW(load_settings(with("imap.hostname", "two words")), common::ConfigError);
  EXPECT_THROW(load_settings(with("imap.listen", "127.0.0.1:0")), common::ConfigError);
  EXPECT_THROW(load_settings(with("tls.key", "<unset>")), common::ConfigError);
  EXPECT_THROW(load_settings(with("imap.max_line", "100")), common::ConfigError);
  EXPECT_THROW(load_settings(with("db.url", "<unset>")), common::ConfigError);
  EXPECT_THROW(load_settings(with("imap.max_userip_connections", "-1")), common::ConfigError);
  auto none = base();
  none["imap.listen"] = "";
  none.erase("imap.imaps_listen");
  EXPECT_THROW(load_settings(common::Config::from_map(none)), common::ConfigError);
}
