// SPDX-License-Identifier: Apache-2.0
// Pop3Metrics: the mail_pop3_* series, created once at start-up so that
// sessions only bump pre-made counters (no label lookups per event). The
// series every protocol has come from metrics::SessionMetrics.
// Thread-safe; labels come from fixed sets, never from peer input.
#pragma once
#include <string>
#include <string_view>

#include "mail/metrics/registry.h"
#include "mail/metrics/session_metrics.h"

namespace mail::pop3d {

class Pop3Metrics {
 public:
  /// `listeners`: the listener labels sessions will report ("pop3", "pop3s").
  Pop3Metrics(metrics::Registry& registry, const std::vector<std::string>& listeners);

  void connection_opened(std::string_view listener);
  void connection_closed(std::string_view listener, double seconds);
  /// A connection refused at max_connections.
  void overload(std::string_view listener) { session_.overload(listener); }
  /// verb: a POP3 keyword ("RETR"), or "invalid" for a line that did not parse.
  void command(std::string_view verb);
  /// result: "success", "failure", "unavailable", "in_use", "error".
  void auth(std::string_view result);
  void retrieved() { retrieved_->Increment(); }
  void bytes_sent(double n) { bytes_sent_->Increment(n); }
  void deleted(double n) { deleted_->Increment(n); }

 private:
  metrics::SessionMetrics session_;
  prometheus::Counter* retrieved_;
  prometheus::Counter* bytes_sent_;
  prometheus::Counter* deleted_;
};

}  // namespace mail::pop3d
