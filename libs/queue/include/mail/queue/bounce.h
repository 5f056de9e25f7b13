// SPDX-License-Identifier: Apache-2.0
// queue_bounce(): the one place the queue turns failed recipients into a
// bounce. It takes the job's recipients that failed for good and were not
// yet reported (queue.recipients.notified false), marks them reported, and
// queues an RFC 3464 report to the job's sender as a new job (null sender,
// body built by build_dsn), all in the caller's transaction, which it makes
// commit with fsync (the bounce is a promise to the sender). Used by
// PgQueue::finish after a delivery attempt and by QueueAdmin::remove for
// `mailctl queue delete --bounce`.
// The bounce's idempotency key names the job and its first failed
// recipient, so a repeated call queues nothing twice.
// Trusts: the rows it reads (the reasons in them are data: build_dsn makes
// them safe). The caller makes sure the sender is not the null sender.
// Diagnostics: one log line per bounce queued; libpqxx exceptions.
#pragma once
#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mail::queue {

/// The failed message, as far as its bounce needs it.
struct BounceSource {
  int64_t job_id = 0;
  std::string queue_id;
  int64_t blob_id = 0;
  std::string sender;  // where the bounce goes; never empty
  std::chrono::system_clock::time_point received_at;
};

/// Queues the bounce (see above); returns the bounce's legs to announce
/// after commit (empty when there was nothing to report).
std::vector<int64_t> queue_bounce(pqxx::transaction_base& tx, const BounceSource& job, const std::string& hostname,
                                  size_t chunk_size);

/// The delay warning (queue.delay_warning): the job's recipients still
/// pending and not yet warned about are marked warned and reported to the
/// sender once, Action: delayed, retried until `retry_until`. Returns the
/// report's legs (empty when there was no one to warn about).
std::vector<int64_t> queue_delay_warning(pqxx::transaction_base& tx, const BounceSource& job,
                                         const std::string& hostname, size_t chunk_size,
                                         std::chrono::system_clock::time_point retry_until);

}  // namespace mail::queue
