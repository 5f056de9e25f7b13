// SPDX-License-Identifier: Apache-2.0
// TransferService: the mta's intake (gRPC Transfer.Submit, client-streamed).
// Reads the envelope, then the body in chunks straight into a PostgreSQL
// transaction (store.blob_chunks), and answers only after the one commit that
// holds body, job and recipients. Then it wakes a worker through Redis; if
// Redis is down the reconciler finds the job later, so that is not an error.
// Trusts: nothing in the stream beyond its types: envelope addresses are
// normalized again, sizes and counts are bounded by the options.
#pragma once
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>

#include "mail/pg/pool.h"
#include "mail/rpc/guard.h"
#include "mail/transfer/v1/transfer.grpc.pb.h"

namespace mail::mta {

struct TransferOptions {
  uint64_t max_message_size = 50ull * 1024 * 1024;
  size_t max_recipients = 1000;
  size_t chunk_size = 256 * 1024;
};

class TransferService final : public mail::transfer::v1::Transfer::Service {
 public:
  /// `announce(job_id)` wakes a worker after commit (best effort).
  /// Only callers that `guard` accepts may submit (the msa; the mda later).
  TransferService(pg::Pool& pool, TransferOptions opts, std::function<void(int64_t)> announce,
                  prometheus::Registry& registry, const rpc::CallGuard& guard);

  grpc::Status Submit(grpc::ServerContext* ctx, grpc::ServerReader<mail::transfer::v1::SubmitRequest>* reader,
                      mail::transfer::v1::SubmitReply* reply) override;

 private:
  pg::Pool& pool_;
  TransferOptions opts_;
  const rpc::CallGuard& guard_;
  std::function<void(int64_t)> announce_;
  prometheus::Family<prometheus::Counter>& submits_;
  prometheus::Counter& bytes_;
  prometheus::Histogram& duration_;
};

}  // namespace mail::mta
