// SPDX-License-Identifier: Apache-2.0
// Transfer.Stage / Append / Commit / Discard: a message staged chunk by
// chunk, each call one short transaction (queue::StagingStore), and made a
// job by the one commit. Every call is unary and quick: no gRPC thread and
// no PostgreSQL connection here waits for the sender between chunks.
// Trusts: only callers the guard accepts; within a call, nothing beyond the
// types (tokens are looked up, offsets and sizes checked against the rows).
// Errors map in one place (to_status): not_found -> NOT_FOUND, a wrong
// offset or size -> FAILED_PRECONDITION, a limit -> RESOURCE_EXHAUSTED,
// malformed -> INVALID_ARGUMENT, the database -> UNAVAILABLE.
#include "mail/common/log.h"
#include "transfer_service.h"

namespace mail::mta {

namespace pb = mail::transfer::v1;
using common::ErrorCode;

namespace {

grpc::Status to_status(const common::Error& e) {
  switch (e.code) {
    case ErrorCode::not_found: return {grpc::StatusCode::NOT_FOUND, e.message};
    case ErrorCode::failed_precondition: return {grpc::StatusCode::FAILED_PRECONDITION, e.message};
    case ErrorCode::limit: return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.message};
    case ErrorCode::invalid_argument: return {grpc::StatusCode::INVALID_ARGUMENT, e.message};
    default: return {grpc::StatusCode::UNAVAILABLE, e.message};
  }
}

// Staging ids are ours (32 hex digits); anything else names nothing.
bool plausible_token(const std::string& t) { return !t.empty() && t.size() <= 64; }

}  // namespace

void TransferService::staging_done(const char* call, const char* result) {
  staging_calls_.Add({{"call", call}, {"result", result}}).Increment();
}

grpc::Status TransferService::staging_failed(const char* call, const common::Error& error) {
  grpc::Status st = to_status(error);
  staging_done(call, st.error_code() == grpc::StatusCode::UNAVAILABLE ? "unavailable" : "refused");
  log::warn("staging refused", {{"call", call}, {"grpc", static_cast<int>(st.error_code())}, {"reason", error.message}});
  return st;
}

grpc::Status TransferService::Stage(grpc::ServerContext* ctx, const pb::StageRequest* req, pb::StageReply* reply) {
  if (auto st = guard_.check(*ctx, "Stage"); !st.ok()) return st;
  auto token = staging_.open(req->size_hint());
  if (!token) return staging_failed("stage", token.error());
  reply->set_staging_id(*token);
  staging_done("stage", "ok");
  return grpc::Status::OK;
}

grpc::Status TransferService::Append(grpc::ServerContext* ctx, const pb::AppendRequest* req, pb::AppendReply* reply) {
  if (auto st = guard_.check(*ctx, "Append"); !st.ok()) return st;
  if (!plausible_token(req->staging_id()))
    return staging_failed("append", {ErrorCode::not_found, "no such staging blob"});
  auto r = staging_.append(req->staging_id(), req->offset(), req->chunk());
  if (!r) return staging_failed("append", r.error());
  reply->set_staged(r->staged);
  if (!r->repeat) staged_bytes_.Increment(static_cast<double>(req->chunk().size()));
  staging_done("append", r->repeat ? "repeat" : "ok");
  return grpc::Status::OK;
}

grpc::Status TransferService::Commit(grpc::ServerContext* ctx, const pb::CommitRequest* req, pb::SubmitReply* reply) {
  if (auto st = guard_.check(*ctx, "Commit"); !st.ok()) return st;
  if (!plausible_token(req->staging_id()))
    return staging_failed("commit", {ErrorCode::not_found, "no such staging blob"});
  queue::Envelope env;
  if (auto st = parse_envelope(req->envelope(), env); !st.ok()) {
    staging_done("commit", "refused");
    log::warn("staging refused", {{"call", "commit"}, {"grpc", static_cast<int>(st.error_code())},
                                  {"reason", st.error_message()}});
    return st;
  }
  const uint64_t size = req->envelope().size_hint();
  if (size == 0) return staging_failed("commit", {ErrorCode::invalid_argument, "Commit needs the message size"});
  auto acc = staging_.commit(req->staging_id(), env, size, req->offset(), req->chunk());
  if (!acc) return staging_failed("commit", acc.error());
  reply->set_queue_id(acc->queue_id);
  reply->set_size(acc->size);
  staging_done("commit", acc->duplicate ? "duplicate" : "ok");
  if (acc->duplicate) return grpc::Status::OK;
  if (!req->chunk().empty()) staged_bytes_.Increment(static_cast<double>(req->chunk().size()));
  queued(*acc, env);
  return grpc::Status::OK;
}

grpc::Status TransferService::Discard(grpc::ServerContext* ctx, const pb::DiscardRequest* req, pb::DiscardReply*) {
  if (auto st = guard_.check(*ctx, "Discard"); !st.ok()) return st;
  if (!plausible_token(req->staging_id())) return grpc::Status::OK;  // nothing to drop
  auto r = staging_.discard(req->staging_id());
  if (!r) return staging_failed("discard", r.error());
  staging_done("discard", *r ? "ok" : "none");
  return grpc::Status::OK;
}

}  // namespace mail::mta
