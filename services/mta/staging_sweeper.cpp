// SPDX-License-Identifier: Apache-2.0
// The staging sweep thread (see staging_sweeper.h).
#include "staging_sweeper.h"

#include "mail/common/log.h"

namespace mail::mta {

StagingSweeper::StagingSweeper(queue::StagingStore& store, SweepOptions opts, metrics::Registry& registry)
    : store_(store),
      opts_(opts),
      swept_(registry.counter("mail_mta_staging_swept_total",
                              "Staging blobs deleted by the sweep (never committed within the grace period)")),
      thread_(opts_.interval, [this] { sweep_once(); }) {}

StagingSweeper::~StagingSweeper() { stop(); }

void StagingSweeper::start() { thread_.start(); }

void StagingSweeper::stop() { thread_.stop(); }

int64_t StagingSweeper::sweep_once() {
  int64_t total = 0;
  // Bounded: a backlog is worked off over several intervals rather than in
  // one long run that would hold this thread from noticing stop().
  for (int round = 0; round < 100; ++round) {
    auto n = store_.sweep(opts_.grace, opts_.batch);
    if (!n) break;  // logged by the store; the next interval tries again
    total += *n;
    swept_.Increment(static_cast<double>(*n));
    if (*n < opts_.batch) break;
    if (thread_.stopping()) break;
  }
  if (total > 0) log::info("staging blobs swept", {{"count", total}, {"grace_ms", opts_.grace.count()}});
  return total;
}

}  // namespace mail::mta
