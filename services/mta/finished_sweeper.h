// SPDX-License-Identifier: Apache-2.0
// FinishedSweeper: the mta thread that removes finished jobs once they have
// been kept queue.keep_finished (default 7d) for `mailctl queue show`.
// Every `interval` it removes, in batches of short transactions, the jobs
// that finished longer ago, oldest first (queue::remove_finished: the job,
// its recipients, legs and attempts, and its store.deliveries rows). Their
// bodies are then freed by the mda's store sweep. Safe with several mta
// replicas sweeping at once (SKIP LOCKED).
// Diagnostics: a log line per sweep that removed something;
// mail_mta_finished_jobs_removed_total; a failed sweep is logged and tried
// again at the next interval.
#pragma once
#include <prometheus/counter.h>

#include <chrono>

#include "mail/common/periodic.h"
#include "mail/metrics/registry.h"
#include "mail/pg/pool.h"

namespace mail::mta {

struct FinishedSweepOptions {
  std::chrono::seconds keep{std::chrono::hours(24 * 7)};          ///< queue.keep_finished
  std::chrono::milliseconds interval{std::chrono::minutes(10)};   ///< queue.finished_sweep_interval
  size_t batch = 500;
  int max_batches = 200;  ///< per sweep: a backlog is worked off over several intervals
};

class FinishedSweeper {
 public:
  FinishedSweeper(pg::Pool& pool, FinishedSweepOptions opts, metrics::Registry& registry);
  ~FinishedSweeper();
  void start();
  void stop();
  /// One sweep now (all batches); returns the jobs removed.
  int64_t sweep_once();

 private:
  pg::Pool& pool_;
  FinishedSweepOptions opts_;
  prometheus::Counter& removed_;
  common::PeriodicThread thread_;  // last: it stops before the members it uses go
};

}  // namespace mail::mta
