// SPDX-License-Identifier: Apache-2.0
// The finished-jobs sweep thread (see finished_sweeper.h).
#include "finished_sweeper.h"

#include "mail/common/log.h"
#include "mail/queue/finished.h"

namespace mail::mta {

FinishedSweeper::FinishedSweeper(pg::Pool& pool, FinishedSweepOptions opts, metrics::Registry& registry)
    : pool_(pool),
      opts_(opts),
      removed_(registry.counter("mail_mta_finished_jobs_removed_total",
                                "Finished jobs removed from the queue after queue.keep_finished")),
      thread_(opts_.interval, [this] { sweep_once(); }) {}

FinishedSweeper::~FinishedSweeper() { stop(); }

void FinishedSweeper::start() { thread_.start(); }

void FinishedSweeper::stop() { thread_.stop(); }

int64_t FinishedSweeper::sweep_once() {
  int64_t total = 0;
  try {
    for (int round = 0; round < opts_.max_batches; ++round) {
      const int64_t n = pool_.with([&](pqxx::connection& c) {
        pqxx::work tx(c);
        const int64_t removed = queue::remove_finished(tx, opts_.keep, opts_.batch);
        tx.commit();
        return removed;
      });
      total += n;
      removed_.Increment(static_cast<double>(n));
      if (n < static_cast<int64_t>(opts_.batch) || thread_.stopping()) break;
    }
  } catch (const std::exception& e) {
    log::warn("finished-jobs sweep failed; trying again later", {{"error", e.what()}});
  }
  if (total > 0)
    log::info("finished jobs removed", {{"count", total}, {"keep_s", static_cast<int64_t>(opts_.keep.count())}});
  return total;
}

}  // namespace mail::mta
