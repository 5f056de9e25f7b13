// SPDX-License-Identifier: Apache-2.0
// Transfer.Forward: the mda hands an alias's targets in other domains back
// to the queue. The new job shares the forwarded job's body and keeps its
// sender (no bytes travel), and its idempotency key makes a repeated
// delivery attempt forward once only.
// Trusts: only callers the guard accepts (the mda); recipients are
// normalized and counted like any envelope's.
#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "transfer_service.h"

namespace mail::mta {

namespace pb = mail::transfer::v1;

grpc::Status TransferService::Forward(grpc::ServerContext* ctx, const pb::ForwardRequest* req,
                                      pb::SubmitReply* reply) {
  if (auto st = guard_.check(*ctx, "Forward"); !st.ok()) return st;
  queue::Envelope env;
  env.idempotency_key = req->idempotency_key().substr(0, 255);
  if (env.idempotency_key.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "an idempotency key is required"};
  if (req->recipients_size() == 0) return {grpc::StatusCode::INVALID_ARGUMENT, "no recipients"};
  if (static_cast<size_t>(req->recipients_size()) > opts_.max_recipients)
    return {grpc::StatusCode::INVALID_ARGUMENT, "too many recipients"};
  for (const auto& r : req->recipients()) {
    std::string n = common::normalize_address(r);
    if (n.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "bad recipient address: " + r};
    env.recipients.push_back(std::move(n));
  }
  env.protocol = "forward";
  std::optional<queue::Accepted> acc;
  try {
    auto lease = pool_.acquire();
    acc = queue::forward_job(*lease, req->job_id(), env);
  } catch (const std::exception& ex) {
    log::warn("forward failed", {{"job", req->job_id()}, {"error", ex.what()}});
    return {grpc::StatusCode::UNAVAILABLE, "queue commit failed"};
  }
  if (!acc) return {grpc::StatusCode::NOT_FOUND, "no such job"};
  reply->set_queue_id(acc->queue_id);
  reply->set_size(acc->size);
  if (acc->duplicate) return grpc::Status::OK;
  log::info("forwarded", {{"queue_id", acc->queue_id}, {"job", req->job_id()}, {"nrcpt", env.recipients.size()}});
  queued(*acc, env);
  return grpc::Status::OK;
}

}  // namespace mail::mta
