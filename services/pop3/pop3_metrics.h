// SPDX-License-Identifier: Apache-2.0
// Pop3Metrics: the mail_pop3_* series, created once at start-up so that
// sessions only bump pre-made counters (no label lookups per event).
// Thread-safe; labels come from fixed sets, never from peer input.
#pragma once
#include <map>
#include <string>
#include <string_view>

#include "mail/metrics/registry.h"

namespace mail::pop3d {

class Pop3Metrics {
 public:
  /// `listeners`: the listener labels sessions will report ("pop3", "pop3s").
  Pop3Metrics(metrics::Registry& registry, const std::vector<std::string>& listeners);

  void connection_opened(std::string_view listener);
  void connection_closed(std::string_view listener, double seconds);
  /// verb: a POP3 keyword ("RETR"), or "invalid" for a line that did not parse.
  void command(std::string_view verb);
  /// result: "success", "failure", "unavailable", "in_use", "error".
  void auth(std::string_view result);
  void retrieved() { retrieved_->Increment(); }
  void bytes_sent(double n) { bytes_sent_->Increment(n); }
  void deleted(double n) { deleted_->Increment(n); }

 private:
  struct Listener {
    prometheus::Counter* total;
    prometheus::Gauge* current;
  };
  std::map<std::string, Listener, std::less<>> listeners_;
  std::map<std::string, prometheus::Counter*, std::less<>> commands_;
  std::map<std::string, prometheus::Counter*, std::less<>> auth_;
  prometheus::Counter* retrieved_;
  prometheus::Counter* bytes_sent_;
  prometheus::Counter* deleted_;
  prometheus::Histogram* duration_;
};

}  // namespace mail::pop3d
