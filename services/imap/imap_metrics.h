// SPDX-License-Identifier: Apache-2.0
// ImapMetrics: the mail_imap_* series, made once at start-up so sessions
// only bump pre-made counters. The series every protocol has come from
// metrics::SessionMetrics. Thread-safe; labels come from fixed sets.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mail/metrics/registry.h"
#include "mail/metrics/session_metrics.h"

namespace mail::imapd {

class ImapMetrics {
 public:
  /// `listeners`: the labels sessions report ("imap", "imaps").
  ImapMetrics(metrics::Registry& registry, const std::vector<std::string>& listeners);

  void connection_opened(std::string_view listener) { session_.opened(listener); }
  void connection_closed(std::string_view listener, double seconds) { session_.closed(listener, seconds); }
  void overload(std::string_view listener) { session_.overload(listener); }
  /// verb: imap::verb_name() ("UID FETCH"), or "invalid".
  void command(std::string_view verb) { session_.command(verb); }
  /// result: "success", "failure", "unavailable", "throttled", "error".
  void auth(std::string_view result) { session_.auth(result); }
  /// A tagged reply or a BYE: "OK", "NO", "BAD", "BYE".
  void reply(std::string_view condition) { session_.reply(condition); }
  /// A mailbox notice arrived from Redis (mailbox_watch.h).
  void notice() { notices_->Increment(); }
  /// A session entered (+1) or left (-1) IDLE.
  void idling(int delta) { idle_->Increment(delta); }

 private:
  metrics::SessionMetrics session_;
  prometheus::Counter* notices_;
  prometheus::Gauge* idle_;
};

}  // namespace mail::imapd
