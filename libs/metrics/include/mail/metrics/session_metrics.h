// SPDX-License-Identifier: Apache-2.0
// session_metrics.h: the series every protocol server (SMTP, POP3, IMAP)
// keeps about its sessions, created in one place with one naming scheme:
//
//   <prefix>_connections_total{listener}     sessions started
//   <prefix>_connections_current{listener}   sessions running now
//   <prefix>_session_duration_seconds        how long sessions lasted
//   <prefix>_commands_total{verb}            commands received ("invalid": did not parse)
//   <prefix>_replies_total{code}             replies sent (SMTP code, "OK"/"ERR" for POP3, ...)
//   <prefix>_auth_attempts_total{result}     logins, by result
//   <prefix>_connections_overload_total{listener}  refused at the connection limit
//
// A protocol's own series (messages accepted, bytes retrieved) stay in its
// service. Labels take only values the protocol names (its listeners, its
// verbs, its reply codes, its auth results), never peer text; a label the
// protocol did not declare counts as "other", so the number of series is
// fixed at start-up and a bug cannot grow it.
//
// Thread-safe (prometheus-cpp series are atomic; the maps are read-only
// after construction).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mail/metrics/registry.h"

namespace mail::metrics {

struct SessionMetricsSpec {
  std::string prefix;    ///< "mail_msa", "mail_pop3"
  std::string protocol;  ///< "SMTP", "POP3": used in the help texts
  std::vector<std::string> listeners;     ///< "mx", "submission", ... / "pop3", "pop3s"
  std::vector<std::string> verbs;         ///< every verb the parser knows ("invalid" is added)
  std::vector<std::string> reply_codes;   ///< every reply code the protocol sends; empty: no replies series
  std::vector<std::string> auth_results;  ///< "success", "failure", ...
  std::vector<double> duration_buckets;   ///< seconds; empty: 10 ms .. 1 h
};

class SessionMetrics {
 public:
  SessionMetrics(Registry& registry, const SessionMetricsSpec& spec);
  SessionMetrics(const SessionMetrics&) = delete;
  SessionMetrics& operator=(const SessionMetrics&) = delete;

  void opened(std::string_view listener);
  void closed(std::string_view listener, double seconds);
  void overload(std::string_view listener);
  void command(std::string_view verb);  ///< "invalid" for a line that did not parse
  void reply(std::string_view code);  ///< no-op without reply_codes
  void auth(std::string_view result);

 private:
  struct Listener {
    prometheus::Counter* total;
    prometheus::Gauge* current;
    prometheus::Counter* overload;
  };
  using Counters = std::map<std::string, prometheus::Counter*, std::less<>>;
  static prometheus::Counter& pick(const Counters& m, std::string_view label);
  const Listener& listener(std::string_view name) const;

  std::map<std::string, Listener, std::less<>> listeners_;
  Counters commands_, replies_, auth_;
  prometheus::Histogram& duration_;
};

}  // namespace mail::metrics
