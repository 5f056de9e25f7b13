// SPDX-License-Identifier: Apache-2.0
// The admin service's metrics:
//   mail_admin_grpc_requests_total{service,method,code}      counter
//   mail_admin_grpc_request_duration_seconds{service,method}  histogram
//   mail_admin_auth_attempts_total{result="ok|fail|error"}    counter
//   mail_admin_recipient_checks_total{status}                 counter
// Label values come from fixed sets (method names, status names), never from
// request data, so the series count is bounded.
#pragma once
#include <grpcpp/support/status.h>

#include <chrono>
#include <string>
#include <vector>

#include "mail/metrics/registry.h"

namespace mail::admin {

class RpcMetrics {
 public:
  explicit RpcMetrics(metrics::Registry& registry);

  void observe(const char* service, const char* method, grpc::StatusCode code, std::chrono::duration<double> elapsed);
  void auth(const char* result);
  void recipient(const char* status);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& auth_;
  prometheus::Family<prometheus::Counter>& recipients_;
  std::vector<double> buckets_;
};

/// Times one RPC; finish(status) records it and hands the status back.
class RpcTimer {
 public:
  RpcTimer(RpcMetrics& m, const char* service, const char* method)
      : m_(m), service_(service), method_(method), start_(std::chrono::steady_clock::now()) {}
  grpc::Status finish(grpc::Status s) {
    m_.observe(service_, method_, s.error_code(), std::chrono::steady_clock::now() - start_);
    return s;
  }

 private:
  RpcMetrics& m_;
  const char* service_;
  const char* method_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace mail::admin
