// SPDX-License-Identifier: Apache-2.0
// The msa's Prometheus series (see msa_metrics.h).
#include "msa_metrics.h"

#include <string>

namespace mail::msa {

namespace {

metrics::SessionMetricsSpec smtp_spec() {
  metrics::SessionMetricsSpec spec{.prefix = "mail_msa", .protocol = "SMTP"};
  for (Listener l : {Listener::kMx, Listener::kSubmission, Listener::kSubmissions})
    spec.listeners.emplace_back(listener_name(l));
  for (int v = 0; v <= static_cast<int>(smtp::Verb::kAuth); ++v)
    spec.verbs.emplace_back(smtp::verb_name(static_cast<smtp::Verb>(v)));
  // Every code this server sends (RFC 5321 §4.2.3, RFC 4954).
  for (int code : {214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454, 455, 500, 501, 502, 503,
                   504, 521, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555})
    spec.reply_codes.push_back(std::to_string(code));
  spec.auth_results = {"success", "failure", "unavailable", "malformed", "throttled"};
  spec.duration_buckets = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800};
  return spec;
}

}  // namespace

MsaMetrics::MsaMetrics(metrics::Registry& r)
    : session_(r, smtp_spec()),
      refused_(r.counter_family("mail_msa_transactions_refused_total",
                                "Transactions refused at or after end of data, by reason")),
      bytes_(r.counter("mail_msa_accepted_bytes_total", "Bytes of accepted messages as handed to the mta")),
      staged_bytes_(r.counter("mail_msa_staged_bytes_total",
                              "Message bytes forwarded to the mta's staging blobs while DATA was still arriving")),
      budget_waits_(r.counter("mail_msa_data_budget_waits_total",
                              "Times a session in DATA found smtp.data_memory_budget spent and waited")),
      budget_in_use_(r.gauge("mail_msa_data_budget_bytes", "DATA bytes reserved from smtp.data_memory_budget now")),
      submit_seconds_(r.histogram("mail_msa_submit_duration_seconds", "Transfer.Submit latency (stream and mta commit)",
                                  metrics::Registry::latency_buckets())) {
  auto& msgs = r.counter_family("mail_msa_messages_accepted_total", "Messages queued by the mta (250), by listener");
  for (Listener l : {Listener::kMx, Listener::kSubmission, Listener::kSubmissions})
    messages_[index(l)] = &msgs.Add({{"listener", std::string(listener_name(l))}});
}

void MsaMetrics::connection_opened(Listener l) { session_.opened(listener_name(l)); }

void MsaMetrics::connection_closed(Listener l, double seconds) { session_.closed(listener_name(l), seconds); }

void MsaMetrics::command(const smtp::Verb* verb) { session_.command(verb ? smtp::verb_name(*verb) : "invalid"); }

void MsaMetrics::reply(int code) { session_.reply(std::to_string(code)); }

void MsaMetrics::auth(std::string_view result) { session_.auth(result); }

void MsaMetrics::accepted(Listener l, uint64_t bytes, double submit_seconds) {
  messages_[index(l)]->Increment();
  bytes_.Increment(static_cast<double>(bytes));
  submit_seconds_.Observe(submit_seconds);
}

void MsaMetrics::refused(std::string_view reason) { refused_.Add({{"reason", std::string(reason)}}).Increment(); }

void MsaMetrics::submit_failed(double submit_seconds) { submit_seconds_.Observe(submit_seconds); }

void MsaMetrics::staged(uint64_t bytes) { staged_bytes_.Increment(static_cast<double>(bytes)); }

void MsaMetrics::budget_wait() { budget_waits_.Increment(); }

void MsaMetrics::overload(Listener l) { session_.overload(listener_name(l)); }

}  // namespace mail::msa
