// SPDX-License-Identifier: Apache-2.0
// session_metrics_test.cpp: the shared session series, read back through
// the text exposition the /metrics endpoint serves.
#include "mail/metrics/session_metrics.h"

#include <gtest/gtest.h>

namespace mail::metrics {
namespace {

SessionMetricsSpec spec() {
  return {.prefix = "mail_toy",
          .protocol = "TOY",
          .listeners = {"plain", "tls"},
          .verbs = {"PING", "QUIT"},
          .reply_codes = {"250", "500"},
          .auth_results = {"success", "failure"}};
}

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(SessionMetrics, EverySeriesExistsFromTheStart) {
  Registry r;
  SessionMetrics m(r, spec());
  const std::string t = r.serialize();
  for (const char* line : {"mail_toy_connections_total{listener=\"plain\"} 0",
                           "mail_toy_connections_current{listener=\"tls\"} 0",
                           "mail_toy_connections_overload_total{listener=\"other\"} 0",
                           "mail_toy_commands_total{verb=\"PING\"} 0", "mail_toy_commands_total{verb=\"invalid\"} 0",
                           "mail_toy_replies_total{code=\"500\"} 0", "mail_toy_auth_attempts_total{result=\"failure\"} 0",
                           "mail_toy_session_duration_seconds_count 0"})
    EXPECT_TRUE(has(t, line)) << line << "\n" << t;
}

TEST(SessionMetrics, CountsAndFoldsUndeclaredLabelsIntoOther) {
  Registry r;
  SessionMetrics m(r, spec());
  m.opened("plain");
  m.opened("plain");
  m.opened("tls");
  m.closed("plain", 1.5);
  m.command("PING");
  m.command("invalid");
  m.command("EHLO\r\nX-Injected: 1");  // never a new series
  m.reply("250");
  m.reply("999");
  m.auth("success");
  m.auth("whatever");
  m.overload("nonsuch");
  const std::string t = r.serialize();
  for (const char* line : {"mail_toy_connections_total{listener=\"plain\"} 2",
                           "mail_toy_connections_current{listener=\"plain\"} 1",
                           "mail_toy_connections_current{listener=\"tls\"} 1", "mail_toy_commands_total{verb=\"PING\"} 1",
                           "mail_toy_commands_total{verb=\"invalid\"} 1", "mail_toy_commands_total{verb=\"other\"} 1",
                           "mail_toy_replies_total{code=\"250\"} 1", "mail_toy_replies_total{code=\"other\"} 1",
                           "mail_toy_auth_attempts_total{result=\"other\"} 1",
                           "mail_toy_connections_overload_total{listener=\"other\"} 1",
                           "mail_toy_session_duration_seconds_count 1", "mail_toy_session_duration_seconds_sum 1.5"})
    EXPECT_TRUE(has(t, line)) << line << "\n" << t;
  EXPECT_EQ(t.find("X-Injected"), std::string::npos);
}

TEST(SessionMetrics, NoReplyCodesMeansNoRepliesSeries) {
  Registry r;
  SessionMetricsSpec s = spec();
  s.reply_codes.clear();
  SessionMetrics m(r, s);
  m.reply("250");
  EXPECT_EQ(r.serialize().find("mail_toy_replies_total"), std::string::npos);
}

}  // namespace
}  // namespace mail::metrics
