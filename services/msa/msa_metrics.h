// SPDX-License-Identifier: Apache-2.0
// MsaMetrics: the msa's Prometheus series (all named mail_msa_*), created once
// at start-up; sessions update them from any thread (prometheus-cpp is
// thread-safe). The session series every protocol has (connections,
// commands, replies, durations, logins) come from metrics::SessionMetrics;
// the SMTP ones (messages, bytes, refusals, submit latency) are here.
// Labels take only values we choose (listener, verb, code, result, reason),
// never client text, so the series count stays bounded.
#pragma once
#include <array>
#include <string_view>

#include "mail/metrics/registry.h"
#include "mail/metrics/session_metrics.h"
#include "mail/smtp/command.h"
#include "policy.h"

namespace mail::msa {

class MsaMetrics {
 public:
  explicit MsaMetrics(metrics::Registry& registry);

  void connection_opened(Listener l);
  void connection_closed(Listener l, double seconds);
  /// `verb` nullptr = a line that did not parse.
  void command(const smtp::Verb* verb);
  void reply(int code);
  void auth(std::string_view result);  ///< "success", "failure", "unavailable", "malformed"
  void accepted(Listener l, uint64_t bytes, double submit_seconds);
  /// A transaction refused at or after DATA (reason: bare_lf, too_big, mta_unavailable, ...).
  void refused(std::string_view reason);
  void submit_failed(double submit_seconds);
  /// Message bytes forwarded to the mta's staging blob before end of data.
  void staged(uint64_t bytes);
  /// A session found the DATA memory budget spent and had to wait.
  void budget_wait();
  /// The gauge DataBudget keeps at the bytes reserved now.
  prometheus::Gauge& budget_gauge() { return budget_in_use_; }
  void overload(Listener l);

 private:
  static size_t index(Listener l) { return static_cast<size_t>(l); }

  metrics::SessionMetrics session_;
  prometheus::Family<prometheus::Counter>& refused_;
  std::array<prometheus::Counter*, 3> messages_{};
  prometheus::Counter& bytes_;
  prometheus::Counter& staged_bytes_;
  prometheus::Counter& budget_waits_;
  prometheus::Gauge& budget_in_use_;
  prometheus::Histogram& submit_seconds_;
};

}  // namespace mail::msa
