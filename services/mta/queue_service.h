// SPDX-License-Identifier: Apache-2.0
// QueueService: the mta's Queue API (proto/mail/queue/v1/queue.proto) for
// administrators, served beside Transfer on transfer.listen. Each call is
// checked by its own CallGuard (auth.allow.queue, default the `admin`
// caller), its request checked and normalized (addresses and domains as the
// queue stores them, queue ids upper case), then answered by
// queue::QueueAdmin; legs an action makes due are announced through the
// dispatcher right after its commit.
// Trusts: only callers the guard accepts, and their requests no further
// than their types: every field is validated and bounded here.
// Errors map in one place (fail): malformed -> INVALID_ARGUMENT, an unknown
// queue id -> NOT_FOUND, the database away -> UNAVAILABLE, anything else ->
// INTERNAL (logged).
// Diagnostics: a log line per refused or failed call (and QueueAdmin's per
// action); mail_mta_queue_requests_total{method, result}.
#pragma once
#include <prometheus/counter.h>

#include <functional>

#include "mail/metrics/registry.h"
#include "mail/queue/queue_admin.h"
#include "mail/queue/v1/queue.grpc.pb.h"
#include "mail/rpc/guard.h"

namespace mail::mta {

class QueueService final : public mail::queue::v1::Queue::Service {
 public:
  /// `announce(leg_id)` wakes a worker for a leg made due (best effort).
  QueueService(queue::QueueAdmin& admin, std::function<void(int64_t)> announce, metrics::Registry& registry,
               const rpc::CallGuard& guard);

  grpc::Status ListJobs(grpc::ServerContext* ctx, const mail::queue::v1::ListJobsRequest* req,
                        mail::queue::v1::ListJobsReply* reply) override;
  grpc::Status GetJob(grpc::ServerContext* ctx, const mail::queue::v1::GetJobRequest* req,
                      mail::queue::v1::JobDetail* reply) override;
  grpc::Status Retry(grpc::ServerContext* ctx, const mail::queue::v1::Target* req,
                     mail::queue::v1::ActionReply* reply) override;
  grpc::Status Hold(grpc::ServerContext* ctx, const mail::queue::v1::Target* req,
                    mail::queue::v1::ActionReply* reply) override;
  grpc::Status Release(grpc::ServerContext* ctx, const mail::queue::v1::Target* req,
                       mail::queue::v1::ActionReply* reply) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const mail::queue::v1::DeleteRequest* req,
                      mail::queue::v1::ActionReply* reply) override;

 private:
  using Action = std::function<queue::ActionResult(const queue::Target&)>;
  grpc::Status act(grpc::ServerContext* ctx, const char* method, const mail::queue::v1::Target& target,
                   mail::queue::v1::ActionReply* reply, const Action& action);
  /// Counts and logs a refusal or failure; returns its status.
  grpc::Status fail(const char* method, grpc::StatusCode code, const std::string& why);
  void done(const char* method);

  queue::QueueAdmin& admin_;
  std::function<void(int64_t)> announce_;
  const rpc::CallGuard& guard_;
  prometheus::Family<prometheus::Counter>& requests_;
};

}  // namespace mail::mta
