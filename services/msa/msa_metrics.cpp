// SPDX-License-Identifier: Apache-2.0
// The msa's Prometheus series (see msa_metrics.h).
#include "msa_metrics.h"

#include <string>

namespace mail::msa {

MsaMetrics::MsaMetrics(metrics::Registry& r)
    : commands_(r.counter_family("mail_msa_commands_total", "SMTP commands received, by verb")),
      replies_(r.counter_family("mail_msa_replies_total", "SMTP replies sent, by code")),
      auth_(r.counter_family("mail_msa_auth_attempts_total", "AUTH attempts, by result")),
      refused_(r.counter_family("mail_msa_transactions_refused_total",
                                "Transactions refused at or after end of data, by reason")),
      bytes_(r.counter("mail_msa_accepted_bytes_total", "Bytes of accepted messages as handed to the mta")),
      staged_bytes_(r.counter("mail_msa_staged_bytes_total",
                              "Message bytes forwarded to the mta's staging blobs while DATA was still arriving")),
      budget_waits_(r.counter("mail_msa_data_budget_waits_total",
                              "Times a session in DATA found smtp.data_memory_budget spent and waited")),
      budget_in_use_(r.gauge("mail_msa_data_budget_bytes", "DATA bytes reserved from smtp.data_memory_budget now")),
      submit_seconds_(r.histogram("mail_msa_submit_duration_seconds", "Transfer.Submit latency (stream and mta commit)",
                                  metrics::Registry::latency_buckets())),
      session_seconds_(r.histogram("mail_msa_session_duration_seconds", "SMTP connection lifetime",
                                   {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800})) {
  auto& conns = r.counter_family("mail_msa_connections_total", "SMTP connections accepted, by listener");
  auto& cur = r.gauge_family("mail_msa_connections_current", "SMTP sessions open now, by listener");
  auto& msgs = r.counter_family("mail_msa_messages_accepted_total", "Messages queued by the mta (250), by listener");
  auto& over = r.counter_family("mail_msa_connections_overload_total",
                                "Connections refused with 421 because max_connections was reached");
  for (Listener l : {Listener::kMx, Listener::kSubmission, Listener::kSubmissions}) {
    prometheus::Labels labels{{"listener", std::string(listener_name(l))}};
    connections_[index(l)] = &conns.Add(labels);
    current_[index(l)] = &cur.Add(labels);
    messages_[index(l)] = &msgs.Add(labels);
    overload_[index(l)] = &over.Add(labels);
  }
}

void MsaMetrics::connection_opened(Listener l) {
  connections_[index(l)]->Increment();
  current_[index(l)]->Increment();
}

void MsaMetrics::connection_closed(Listener l, double seconds) {
  current_[index(l)]->Decrement();
  session_seconds_.Observe(seconds);
}

void MsaMetrics::command(const smtp::Verb* verb) {
  commands_.Add({{"verb", verb ? std::string(smtp::verb_name(*verb)) : std::string("invalid")}}).Increment();
}

void MsaMetrics::reply(int code) { replies_.Add({{"code", std::to_string(code)}}).Increment(); }

void MsaMetrics::auth(std::string_view result) { auth_.Add({{"result", std::string(result)}}).Increment(); }

void MsaMetrics::accepted(Listener l, uint64_t bytes, double submit_seconds) {
  messages_[index(l)]->Increment();
  bytes_.Increment(static_cast<double>(bytes));
  submit_seconds_.Observe(submit_seconds);
}

void MsaMetrics::refused(std::string_view reason) { refused_.Add({{"reason", std::string(reason)}}).Increment(); }

void MsaMetrics::submit_failed(double submit_seconds) { submit_seconds_.Observe(submit_seconds); }

void MsaMetrics::staged(uint64_t bytes) { staged_bytes_.Increment(static_cast<double>(bytes)); }

void MsaMetrics::budget_wait() { budget_waits_.Increment(); }

void MsaMetrics::overload(Listener l) { overload_[index(l)]->Increment(); }

}  // namespace mail::msa
