// SPDX-License-Identifier: Apache-2.0
// Pop3Metrics (see pop3_metrics.h). Unknown labels (a bug, not peer input:
// verbs come from the parser's fixed table) fall back to "other".
#include "pop3_metrics.h"

namespace mail::pop3d {

Pop3Metrics::Pop3Metrics(metrics::Registry& r, const std::vector<std::string>& listeners) {
  auto& total = r.counter_family("mail_pop3_connections_total", "POP3 connections accepted, by listener");
  auto& current = r.gauge_family("mail_pop3_connections_current", "POP3 sessions running now, by listener");
  std::vector<std::string> names = listeners;
  names.push_back("other");
  for (const auto& l : names)
    listeners_.emplace(l, Listener{&total.Add({{"listener", l}}), &current.Add({{"listener", l}})});

  auto& commands = r.counter_family("mail_pop3_commands_total", "POP3 commands received, by verb");
  for (const char* v : {"USER", "PASS", "APOP", "QUIT", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL",
                        "CAPA", "STLS", "AUTH", "UTF8", "invalid", "other"})
    commands_.emplace(v, &commands.Add({{"verb", v}}));

  auto& auth = r.counter_family("mail_pop3_auth_attempts_total", "POP3 authentication attempts, by result");
  for (const char* v : {"success", "failure", "unavailable", "throttled", "in_use", "error", "other"})
    auth_.emplace(v, &auth.Add({{"result", v}}));

  retrieved_ = &r.counter("mail_pop3_messages_retrieved_total", "Messages sent in full by RETR");
  bytes_sent_ = &r.counter("mail_pop3_bytes_sent_total", "Bytes written to POP3 clients");
  deleted_ = &r.counter("mail_pop3_messages_deleted_total", "Messages removed at QUIT");
  duration_ = &r.histogram("mail_pop3_session_duration_seconds", "POP3 session length",
                           {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600});
}

void Pop3Metrics::connection_opened(std::string_view listener) {
  auto it = listeners_.find(listener);
  if (it == listeners_.end()) it = listeners_.find("other");
  it->second.total->Increment();
  it->second.current->Increment();
}

void Pop3Metrics::connection_closed(std::string_view listener, double seconds) {
  auto it = listeners_.find(listener);
  if (it == listeners_.end()) it = listeners_.find("other");
  it->second.current->Decrement();
  duration_->Observe(seconds);
}

void Pop3Metrics::command(std::string_view verb) {
  auto it = commands_.find(verb);
  if (it == commands_.end()) it = commands_.find("other");
  it->second->Increment();
}

void Pop3Metrics::auth(std::string_view result) {
  auto it = auth_.find(result);
  if (it == auth_.end()) it = auth_.find("other");
  it->second->Increment();
}

}  // namespace mail::pop3d
