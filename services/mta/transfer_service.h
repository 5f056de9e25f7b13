// SPDX-License-Identifier: Apache-2.0
// TransferService: the mta's intake (gRPC Transfer).
//   Submit (client-streamed): reads the envelope, then the body in chunks
//   straight into a PostgreSQL transaction (store.blob_chunks), and answers
//   only after the one commit that holds body, job and recipients.
//   Stage / Append / Commit / Discard (transfer_staging.cpp): the body goes
//   into a staging blob one short transaction per chunk (queue::StagingStore),
//   so no thread or connection here waits for a slow sender; Commit is the
//   one commit that makes it a job.
// After a commit it wakes a worker through Redis; if Redis is down the
// reconciler finds the job later, so that is not an error.
// Trusts: nothing in a request beyond its types: envelope addresses are
// normalized again, sizes and counts are bounded by the options.
// Diagnostics: one log line per queued message and per refusal;
// mail_mta_submissions_total, mail_mta_staging_requests_total,
// mail_mta_staged_bytes_total.
#pragma once
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <functional>

#include "mail/metrics/registry.h"
#include "mail/pg/pool.h"
#include "mail/queue/pg_queue.h"
#include "mail/queue/staging.h"
#include "mail/rpc/guard.h"
#include "mail/transfer/v1/transfer.grpc.pb.h"

namespace mail::mta {

struct TransferOptions {
  uint64_t max_message_size = 50ull * 1024 * 1024;
  size_t max_recipients = 1000;
  size_t chunk_size = 256 * 1024;
  size_t max_chunk = 4 * 1024 * 1024;  ///< one Append or Commit chunk
};

class TransferService final : public mail::transfer::v1::Transfer::Service {
 public:
  /// `announce(leg_id)` wakes a worker after commit for each of the job's
  /// legs (best effort).
  /// Only callers that `guard` accepts may submit (the msa; the mda later).
  TransferService(pg::Pool& pool, TransferOptions opts, std::function<void(int64_t)> announce,
                  metrics::Registry& registry, const rpc::CallGuard& guard);

  grpc::Status Submit(grpc::ServerContext* ctx, grpc::ServerReader<mail::transfer::v1::SubmitRequest>* reader,
                      mail::transfer::v1::SubmitReply* reply) override;
  grpc::Status Stage(grpc::ServerContext* ctx, const mail::transfer::v1::StageRequest* req,
                     mail::transfer::v1::StageReply* reply) override;
  grpc::Status Append(grpc::ServerContext* ctx, const mail::transfer::v1::AppendRequest* req,
                      mail::transfer::v1::AppendReply* reply) override;
  grpc::Status Commit(grpc::ServerContext* ctx, const mail::transfer::v1::CommitRequest* req,
                      mail::transfer::v1::SubmitReply* reply) override;
  grpc::Status Discard(grpc::ServerContext* ctx, const mail::transfer::v1::DiscardRequest* req,
                       mail::transfer::v1::DiscardReply* reply) override;
  grpc::Status Forward(grpc::ServerContext* ctx, const mail::transfer::v1::ForwardRequest* req,
                       mail::transfer::v1::SubmitReply* reply) override;

 private:
  /// Checks and normalizes an envelope from the wire into `env`.
  grpc::Status parse_envelope(const mail::transfer::v1::Envelope& e, queue::Envelope& env) const;
  /// Counts and logs a staging call that failed; returns its status.
  grpc::Status staging_failed(const char* call, const common::Error& error);
  void staging_done(const char* call, const char* result);
  /// Log, metrics and the worker's wake-up after a commit.
  void queued(const queue::Accepted& acc, const queue::Envelope& env);

  pg::Pool& pool_;
  TransferOptions opts_;
  queue::StagingStore staging_;
  const rpc::CallGuard& guard_;
  std::function<void(int64_t)> announce_;
  prometheus::Family<prometheus::Counter>& submits_;
  prometheus::Family<prometheus::Counter>& staging_calls_;
  prometheus::Counter& bytes_;
  prometheus::Counter& staged_bytes_;
  prometheus::Histogram& duration_;
};

}  // namespace mail::mta
