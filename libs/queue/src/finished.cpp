// SPDX-License-Identifier: Apache-2.0
// remove_finished() (see finished.h): one batch of finished jobs removed.
#include "mail/queue/finished.h"

#include <algorithm>

#include "mail/pg/exec.h"

namespace mail::queue {

int64_t remove_finished(pqxx::transaction_base& tx, std::chrono::seconds keep, size_t limit) {
  // Removing what is finished needs no fsync of its own: a lost commit is
  // removed again by the next sweep.
  tx.exec("SET LOCAL synchronous_commit = off");
  auto r = pg::exec(tx,
      "WITH gone AS (DELETE FROM queue.jobs WHERE id IN ("
      "   SELECT id FROM queue.jobs WHERE state = 'done' AND finished_at < now() - $1 * interval '1 second'"
      "   ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id),"
      " deliveries AS (DELETE FROM store.deliveries WHERE job_id IN (SELECT id FROM gone))"
      " SELECT count(*) FROM gone",
      static_cast<int64_t>(keep.count()), static_cast<int64_t>(std::max<size_t>(limit, 1)));
  return r[0][0].as<int64_t>();
}

}  // namespace mail::queue
