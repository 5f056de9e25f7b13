// SPDX-License-Identifier: Apache-2.0
// sweep.h: the sweep half of the store's mark-and-sweep. Expunge, DELETE of
// a mailbox and MOVE's source side only mark a message that lost its last
// index row (store.messages.orphaned_at); copy clears the mark. One call of
// sweep_orphans() does one bounded batch, in the caller's transaction:
//   1. messages whose mark is older than `grace` and that still have no
//      index row are deleted (at most `limit`; locked FOR UPDATE SKIP LOCKED
//      in id order, then checked again with a fresh snapshot, so a message
//      copied meanwhile survives and loses its mark). Their store.deliveries
//      rows stay with message_id NULL, so a repeated Deliver stores nothing.
//   2. blobs older than `grace` that no message, queue job or staging row
//      refers to are deleted (store.sweep_blobs, SECURITY DEFINER): the
//      blobs of the messages step 1 deleted, and the next `limit` blob ids
//      after `blobs_after` (an incremental pass over all blobs, which also
//      finds bodies of jobs removed since).
// Lock order is docs/schema.md's (messages, then blobs, id order); rows
// another replica's sweep or a writer holds are skipped, so several sweeps
// may run at once and none waits for a delivery, nor a delivery for long.
// Trusts: nothing; it touches only rows that nothing refers to. Runs as
// mail_mda (EXECUTE on store.sweep_blobs). All SQL parameterized.
// Diagnostics: libpqxx exceptions for database failures (the caller logs
// and tries again later); the counts in SweepResult.
#pragma once
#include <pqxx/pqxx>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace mail::store {

struct SweepResult {
  int64_t messages = 0;     ///< messages deleted
  int64_t blobs = 0;        ///< blobs deleted (their chunks went with them)
  int64_t bytes = 0;        ///< their sizes together
  int64_t blob_cursor = 0;  ///< blobs_after for the next call; 0: the pass over all blobs ended
  bool more = false;        ///< a full batch of messages: call again soon
};

/// One batch of the sweep (see above). The caller commits.
SweepResult sweep_orphans(pqxx::transaction_base& tx, std::chrono::seconds grace, size_t limit,
                          int64_t blobs_after = 0);

}  // namespace mail::store
