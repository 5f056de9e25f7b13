// SPDX-License-Identifier: Apache-2.0
// StagingSweeper: the mta thread that removes staging blobs nobody committed
// (a client that went away mid-DATA, a message refused after its first
// chunks were staged, an msa that died). Every `interval` it deletes, in
// batches of short transactions, the staging blobs untouched for `grace`
// that no job references (queue::StagingStore::sweep). Safe with several mta
// replicas sweeping at once (SKIP LOCKED; a job's blob is never a candidate).
// Diagnostics: a log line per sweep that deleted something;
// mail_mta_staging_swept_total; a failed sweep is logged and retried at the
// next interval.
#pragma once
#include "mail/common/periodic.h"
#include <prometheus/counter.h>

#include <chrono>

#include "mail/metrics/registry.h"
#include "mail/queue/staging.h"

namespace mail::mta {

struct SweepOptions {
  std::chrono::milliseconds grace{std::chrono::hours(1)};       ///< transfer.staging_grace
  std::chrono::milliseconds interval{std::chrono::minutes(5)};  ///< transfer.staging_sweep_interval
  int batch = 100;
};

class StagingSweeper {
 public:
  StagingSweeper(queue::StagingStore& store, SweepOptions opts, metrics::Registry& registry);
  ~StagingSweeper();
  void start();
  void stop();
  /// One sweep now (all batches); returns the blobs deleted.
  int64_t sweep_once();

 private:
  queue::StagingStore& store_;
  SweepOptions opts_;
  prometheus::Counter& swept_;
  common::PeriodicThread thread_;  // last: it stops before the members it uses go
};

}  // namespace mail::mta
