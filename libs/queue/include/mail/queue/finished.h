// SPDX-License-Identifier: Apache-2.0
// remove_finished(): the end of a finished job. A job is done once every
// leg is (delivered, failed and bounced, or deleted by the administrator);
// it is kept queue.keep_finished for `mailctl queue show`, then removed in
// batches by the mta (services/mta/finished_sweeper.h): the job row, and by
// cascade its recipients, legs and their attempts, with the job's
// exactly-once rows in store.deliveries (no Deliver can name a finished
// job). Its body becomes a blob no job, message or staging row refers to,
// which the mda's store sweep frees after store.sweep_grace (store/sweep.h);
// a body delivered locally stays as long as its stored messages do.
// Oldest first; rows another mta's sweep holds are skipped (SKIP LOCKED), so
// several mtas may sweep at once without waiting for each other.
// Trusts: nothing; it touches only rows the database says are finished.
// Runs as mail_mta (DELETE on queue.jobs and store.deliveries, 008).
// Diagnostics: libpqxx exceptions for the caller to log; the count removed.
#pragma once
#include <pqxx/pqxx>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace mail::queue {

/// One batch in the caller's transaction: removes at most `limit` jobs that
/// finished more than `keep` ago; returns how many. The caller commits.
int64_t remove_finished(pqxx::transaction_base& tx, std::chrono::seconds keep, size_t limit);

}  // namespace mail::queue
