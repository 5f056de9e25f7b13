// SPDX-License-Identifier: Apache-2.0
// StagingStore: message bodies that stream in, written as they arrive into a
// staging blob (store.blobs/blob_chunks plus a queue.staging row, migration
// 002), then made a job by one commit; and the sweep that removes staging
// blobs nobody committed.
//
//   open()    a new empty staging blob; returns its random token.
//   append()  one chunk at an offset, in one short transaction. A repeat of
//             the last append (same offset and length) is a no-op that
//             answers the same, so a caller that lost a reply may resend.
//   commit()  the last chunk, the size check, the job and its recipients,
//             and the staging row's removal, in the single transaction that
//             makes the message a job (committed with fsync, as Submission's).
//   discard() drops a staging blob at once (the caller knows it is garbage).
//   sweep()   deletes staging blobs untouched for `grace` that no job uses.
//
// Why appends may commit without waiting for fsync: a message is promised
// only by commit(), which waits for its WAL flush, and WAL is flushed in
// order, so every append before it is durable by then. An append lost in a
// database crash is found missing by the next append or by commit()'s size
// check, which then refuses (temporarily) and keeps nothing.
//
// Several mta replicas: every call locks the staging row it works on; the
// sweep skips rows locked by an append or commit in flight (SKIP LOCKED) and
// never deletes a blob a job references, so replicas may sweep at once.
//
// Trusts: nothing in the arguments beyond their types: offsets and sizes are
// checked against the rows and the limits; all SQL is parameterized.
// Errors: a common::Result; database failures become ErrorCode::unavailable
// (the caller may retry) and are logged here.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/common/result.h"
#include "mail/pg/pool.h"
#include "mail/queue/pg_queue.h"

namespace mail::queue {

struct StagingLimits {
  uint64_t max_message_size = 50ull * 1024 * 1024;
  size_t max_chunk = 4 * 1024 * 1024;  ///< one append; gRPC's default message limit
};

struct Appended {
  uint64_t staged = 0;  ///< bytes held after this append
  bool repeat = false;  ///< it was a repeat of the last append: nothing written
};

class StagingStore {
 public:
  StagingStore(pg::Pool& pool, StagingLimits limits) : pool_(pool), limits_(limits) {}

  /// A new staging blob. `size_hint` over the limit: ErrorCode::limit.
  common::Result<std::string> open(uint64_t size_hint = 0);

  /// Writes `chunk` at `offset`. not_found: no such token (or swept);
  /// failed_precondition: offset is neither the staged size nor the last
  /// append's; limit: the message would pass max_message_size;
  /// invalid_argument: empty or larger than max_chunk.
  common::Result<Appended> append(const std::string& token, uint64_t offset, std::string_view chunk);

  /// Writes the optional last `chunk` at `offset`, checks that the staged
  /// size equals `size` and commits blob, job and recipients at once. A
  /// known idempotency key returns the earlier job (duplicate = true) and
  /// keeps nothing new. On any error nothing is kept but the staging blob.
  common::Result<Accepted> commit(const std::string& token, const Envelope& env, uint64_t size, uint64_t offset,
                                  std::string_view chunk);

  /// Deletes the staging blob `token` names, if it is still one. True when
  /// something was deleted.
  common::Result<bool> discard(const std::string& token);

  /// Deletes up to `batch` staging blobs untouched for `grace` that no job
  /// references; returns how many. Call again while it returns `batch`.
  common::Result<int64_t> sweep(std::chrono::milliseconds grace, int batch = 100);

 private:
  pg::Pool& pool_;
  StagingLimits limits_;
};

}  // namespace mail::queue
