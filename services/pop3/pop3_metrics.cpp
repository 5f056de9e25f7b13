// SPDX-License-Identifier: Apache-2.0
// Pop3Metrics (see pop3_metrics.h). Unknown labels (a bug, not peer input:
// verbs come from the parser's fixed table) count as "other".
#include "pop3_metrics.h"

namespace mail::pop3d {

namespace {

metrics::SessionMetricsSpec pop3_spec(const std::vector<std::string>& listeners) {
  metrics::SessionMetricsSpec spec{.prefix = "mail_pop3", .protocol = "POP3", .listeners = listeners};
  spec.verbs = {"USER", "PASS", "APOP", "QUIT", "STAT", "LIST", "RETR", "DELE",
                "NOOP", "RSET", "TOP",  "UIDL", "CAPA", "STLS", "AUTH", "UTF8"};
  spec.auth_results = {"success", "failure", "unavailable", "throttled", "in_use", "error"};
  return spec;
}

}  // namespace

Pop3Metrics::Pop3Metrics(metrics::Registry& r, const std::vector<std::string>& listeners)
    : session_(r, pop3_spec(listeners)),
      retrieved_(&r.counter("mail_pop3_messages_retrieved_total", "Messages sent in full by RETR")),
      bytes_sent_(&r.counter("mail_pop3_bytes_sent_total", "Bytes written to POP3 clients")),
      deleted_(&r.counter("mail_pop3_messages_deleted_total", "Messages removed at QUIT")) {}

void Pop3Metrics::connection_opened(std::string_view listener) { session_.opened(listener); }

void Pop3Metrics::connection_closed(std::string_view listener, double seconds) { session_.closed(listener, seconds); }

void Pop3Metrics::command(std::string_view verb) { session_.command(verb); }

void Pop3Metrics::auth(std::string_view result) { session_.auth(result); }

}  // namespace mail::pop3d
