// SPDX-License-Identifier: Apache-2.0
// Transfer.Submit: stream in, one commit, then answer. The envelope checks
// and the after-commit steps are shared with Commit (transfer_staging.cpp).
#include "transfer_service.h"

#include <chrono>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/queue/pg_queue.h"

namespace mail::mta {

namespace pb = mail::transfer::v1;

TransferService::TransferService(pg::Pool& pool, TransferOptions opts, std::function<void(int64_t)> announce,
                                 metrics::Registry& registry, const rpc::CallGuard& guard)
    : pool_(pool),
      opts_(opts),
      staging_(pool, queue::StagingLimits{opts.max_message_size, opts.max_chunk}),
      guard_(guard),
      announce_(std::move(announce)),
      submits_(registry.counter_family("mail_mta_submissions_total", "Transfer.Submit calls by result")),
      staging_calls_(registry.counter_family("mail_mta_staging_requests_total",
                                             "Transfer Stage/Append/Commit/Discard calls by call and result")),
      bytes_(registry.counter("mail_mta_accepted_bytes_total", "Message bytes committed to the queue")),
      staged_bytes_(
          registry.counter("mail_mta_staged_bytes_total", "Message bytes written to staging blobs before their commit")),
      duration_(registry.histogram("mail_mta_submit_duration_seconds",
                                   "Time from the first chunk to the commit of a message",
                                   metrics::Registry::latency_buckets())) {}

grpc::Status TransferService::Submit(grpc::ServerContext* ctx, grpc::ServerReader<pb::SubmitRequest>* reader,
                                     pb::SubmitReply* reply) {
  // Before reading a byte: only an accepted caller's claims (client IP,
  // authenticated user) may go into the queue.
  if (auto st = guard_.check(*ctx, "Submit"); !st.ok()) return st;
  auto start = std::chrono::steady_clock::now();
  auto fail = [&](grpc::StatusCode code, const std::string& why) {
    submits_.Add({{"result", code == grpc::StatusCode::UNAVAILABLE ? "unavailable" : "refused"}}).Increment();
    log::warn("submission refused", {{"grpc", static_cast<int>(code)}, {"reason", why}});
    return grpc::Status(code, why);
  };
  pb::SubmitRequest msg;
  if (!reader->Read(&msg) || !msg.has_envelope())
    return fail(grpc::StatusCode::INVALID_ARGUMENT, "the stream must start with the envelope");
  // A copy: reading the chunks below reuses `msg`, which destroys the
  // envelope it held (a reference would dangle).
  const pb::Envelope e = msg.envelope();
  queue::Envelope env;
  if (auto st = parse_envelope(e, env); !st.ok()) return fail(st.error_code(), st.error_message());

  queue::Accepted acc;
  try {
    auto lease = pool_.acquire();
    queue::Submission sub(*lease, opts_.chunk_size);
    while (reader->Read(&msg)) {
      if (msg.part_case() != pb::SubmitRequest::kChunk)
        return fail(grpc::StatusCode::INVALID_ARGUMENT, "only body chunks may follow the envelope");
      if (sub.size() + msg.chunk().size() > opts_.max_message_size)
        return fail(grpc::StatusCode::RESOURCE_EXHAUSTED, "message too big");
      sub.append(msg.chunk());
    }
    // A stream that ended because the caller went away (cancelled, deadline)
    // or that carried fewer bytes than announced is not a whole message:
    // commit nothing.
    if (ctx->IsCancelled()) return fail(grpc::StatusCode::CANCELLED, "caller cancelled");
    if (sub.size() == 0) return fail(grpc::StatusCode::INVALID_ARGUMENT, "empty message");
    if (e.size_hint() != 0 && sub.size() != e.size_hint())
      return fail(grpc::StatusCode::INVALID_ARGUMENT, "message shorter or longer than announced");
    acc = sub.commit(env);
  } catch (const pqxx::broken_connection& ex) {
    log::warn("queue commit failed", {{"error", ex.what()}});
    return fail(grpc::StatusCode::UNAVAILABLE, "queue database unavailable");
  } catch (const std::exception& ex) {
    log::warn("queue commit failed", {{"error", ex.what()}});
    return fail(grpc::StatusCode::UNAVAILABLE, "queue commit failed");
  }
  reply->set_queue_id(acc.queue_id);
  reply->set_size(acc.size);
  submits_.Add({{"result", acc.duplicate ? "duplicate" : "accepted"}}).Increment();
  if (acc.duplicate) return grpc::Status::OK;
  duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  queued(acc, env);
  return grpc::Status::OK;
}

grpc::Status TransferService::parse_envelope(const pb::Envelope& e, queue::Envelope& env) const {
  if (!e.sender().empty()) {
    env.sender = common::normalize_address(e.sender());
    if (env.sender.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "bad sender address"};
  }
  if (e.recipients_size() == 0) return {grpc::StatusCode::INVALID_ARGUMENT, "no recipients"};
  if (static_cast<size_t>(e.recipients_size()) > opts_.max_recipients)
    return {grpc::StatusCode::INVALID_ARGUMENT, "too many recipients"};
  for (const auto& r : e.recipients()) {
    std::string n = common::normalize_address(r);
    if (n.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "bad recipient address: " + r};
    env.recipients.push_back(std::move(n));
  }
  env.helo = e.helo().substr(0, 255);
  env.client_ip = e.client_ip().substr(0, 64);
  env.auth_user = e.auth_user().substr(0, 320);
  env.protocol = e.protocol().substr(0, 16);
  env.idempotency_key = e.idempotency_key().substr(0, 255);
  if (e.size_hint() > opts_.max_message_size) return {grpc::StatusCode::RESOURCE_EXHAUSTED, "message too big"};
  return grpc::Status::OK;
}

void TransferService::queued(const queue::Accepted& acc, const queue::Envelope& env) {
  bytes_.Increment(static_cast<double>(acc.size));
  log::info("queued", {{"queue_id", acc.queue_id}, {"size", acc.size}, {"from", env.sender},
                       {"nrcpt", env.recipients.size()}, {"client", env.client_ip}});
  for (int64_t leg : acc.legs) announce_(leg);  // a duplicate has none: it was announced before
}

}  // namespace mail::mta
