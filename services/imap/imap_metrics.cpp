// SPDX-License-Identifier: Apache-2.0
// ImapMetrics (see imap_metrics.h). Unknown labels (a bug: verbs come from
// the parser's fixed names) count as "other".
#include "imap_metrics.h"

namespace mail::imapd {

namespace {

metrics::SessionMetricsSpec imap_spec(const std::vector<std::string>& listeners) {
  metrics::SessionMetricsSpec spec{.prefix = "mail_imap", .protocol = "IMAP", .listeners = listeners};
  spec.verbs = {"CAPABILITY", "NOOP",      "LOGOUT",       "STARTTLS",     "AUTHENTICATE", "LOGIN",    "SELECT",
                "EXAMINE",    "CREATE",    "DELETE",       "RENAME",       "SUBSCRIBE",    "UNSUBSCRIBE", "LIST",
                "LSUB",       "STATUS",    "APPEND",       "CHECK",        "CLOSE",        "UNSELECT", "EXPUNGE",
                "UID EXPUNGE", "SEARCH",   "UID SEARCH",   "SORT",         "UID SORT",     "FETCH",    "UID FETCH",
                "STORE",      "UID STORE", "COPY",         "UID COPY",     "MOVE",         "UID MOVE", "IDLE",
                "NAMESPACE",  "ID",        "ENABLE",       "GETQUOTA",     "GETQUOTAROOT", "SETQUOTA"};
  spec.reply_codes = {"OK", "NO", "BAD", "BYE"};
  spec.auth_results = {"success", "failure", "unavailable", "throttled", "userip_limit", "error"};
  return spec;
}

}  // namespace

ImapMetrics::ImapMetrics(metrics::Registry& r, const std::vector<std::string>& listeners)
    : session_(r, imap_spec(listeners)),
      notices_(&r.counter("mail_imap_mailbox_notices_total", "Mailbox change notices received over Redis")),
      idle_(&r.gauge("mail_imap_idle_sessions", "Sessions in IDLE now")) {}

}  // namespace mail::imapd
