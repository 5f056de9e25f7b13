// SPDX-License-Identifier: Apache-2.0
// StoreSweeper: the mda thread that frees what expunge left behind. Expunge,
// DELETE of a mailbox and MOVE only mark a message that lost its last index
// row; every `interval` this thread runs store::sweep_orphans in batches of
// short transactions: messages marked longer ago than `grace` and still not
// indexed anywhere, then blobs nothing refers to (the pass over all blobs
// continues where the last sweep stopped), then expunge records older than
// `expunged_retention` (store::purge_expunged). Safe with several mda replicas
// sweeping at once (SKIP LOCKED).
// Trusts: nothing; it only deletes rows nothing refers to.
// Diagnostics: a log line per sweep that deleted something;
// mail_mda_store_swept_total{kind="message"|"blob"|"expunge_record"}; a failed sweep is
// logged and retried at the next interval.
#pragma once
#include "mail/common/periodic.h"
#include <prometheus/counter.h>

#include <chrono>
#include <cstdint>

#include "mail/metrics/registry.h"
#include "mail/pg/pool.h"

namespace mail::mda {

struct StoreSweepOptions {
  std::chrono::seconds grace{std::chrono::hours(1)};       ///< store.sweep_grace
  std::chrono::milliseconds interval{std::chrono::minutes(5)};  ///< store.sweep_interval
  /// store.expunged_retention: how long each expunge stays in store.expunged
  /// for QRESYNC and other replicas' sessions (migration 005).
  std::chrono::seconds expunged_retention{std::chrono::hours(24 * 30)};
  size_t batch = 200;        ///< messages deleted, and blob ids looked at, per transaction
  int max_batches = 100;     ///< per sweep: a backlog is worked off over several intervals
};

class StoreSweeper {
 public:
  StoreSweeper(pg::Pool& pool, StoreSweepOptions opts, metrics::Registry& registry);
  ~StoreSweeper();
  void start();
  /// Wakes the thread and joins it; a batch in progress finishes first.
  void stop();

  struct Swept {
    int64_t messages = 0;
    int64_t blobs = 0;
    int64_t bytes = 0;            ///< sizes of the blobs deleted
    int64_t expunge_records = 0;  ///< store.expunged rows past expunged_retention
  };
  /// One sweep now (up to max_batches batches).
  Swept sweep_once();

 private:
  pg::Pool& pool_;
  StoreSweepOptions opts_;
  prometheus::Counter& swept_messages_;
  prometheus::Counter& swept_blobs_;
  prometheus::Counter& swept_bytes_;
  prometheus::Counter& swept_expunged_;
  int64_t blob_cursor_ = 0;  // only the sweeping thread (or a test calling sweep_once) touches it
  common::PeriodicThread thread_;  // last: it stops before the members it uses go
};

}  // namespace mail::mda
