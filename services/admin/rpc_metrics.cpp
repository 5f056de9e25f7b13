// SPDX-License-Identifier: Apache-2.0
// Admin service metric families and their updates.
#include "rpc_metrics.h"

#include "status.h"

namespace mail::admin {

RpcMetrics::RpcMetrics(metrics::Registry& r)
    : requests_(r.counter_family("mail_admin_grpc_requests_total", "gRPC requests by service, method and status code")),
      durations_(r.histogram_family("mail_admin_grpc_request_duration_seconds", "gRPC request handling time")),
      auth_(r.counter_family("mail_admin_auth_attempts_total", "Directory.Authenticate answers by result")),
      recipients_(r.counter_family("mail_admin_recipient_checks_total", "Directory.CheckRecipient answers by status")),
      buckets_(metrics::Registry::latency_buckets()) {}

void RpcMetrics::observe(const char* service, const char* method, grpc::StatusCode code,
                         std::chrono::duration<double> elapsed) {
  requests_.Add({{"service", service}, {"method", method}, {"code", status_code_name(code)}}).Increment();
  durations_.Add({{"service", service}, {"method", method}}, buckets_).Observe(elapsed.count());
}

void RpcMetrics::auth(const char* result) { auth_.Add({{"result", result}}).Increment(); }

void RpcMetrics::recipient(const char* status) { recipients_.Add({{"status", status}}).Increment(); }

}  // namespace mail::admin
