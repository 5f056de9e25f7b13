// SPDX-License-Identifier: Apache-2.0
// The store's sweep of orphaned messages and unreferenced blobs (sweep.h).
// Trusts: nothing from outside; ids come from the database itself.
// Diagnostics: libpqxx exceptions, for the caller to log.
#include "mail/store/sweep.h"

#include <algorithm>
#include <vector>

#include "internal.h"
#include "mail/pg/exec.h"

namespace mail::store {

SweepResult sweep_orphans(pqxx::transaction_base& tx, std::chrono::seconds grace, size_t limit,
                          int64_t blobs_after) {
  SweepResult out;
  const auto n = static_cast<int64_t>(std::max<size_t>(limit, 1));
  const auto grace_s = static_cast<int64_t>(grace.count());
  // Deleting garbage needs no fsync of its own: a lost commit is swept again.
  tx.exec("SET LOCAL synchronous_commit = off");
  // Candidates, locked in id order; SKIP LOCKED: another sweep has them, or
  // a writer is adding an index row (its foreign key check holds KEY SHARE).
  auto c = pg::exec(tx,
      "SELECT id FROM store.messages WHERE orphaned_at < now() - $1 * interval '1 second'"
      " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
      grace_s, n);
  out.more = static_cast<int64_t>(c.size()) == n;
  std::vector<int64_t> freed;
  if (!c.empty()) {
    std::vector<int64_t> ids;
    for (const auto& row : c) ids.push_back(row[0].as<int64_t>());
    const std::string arr = detail::int_array(ids);
    // A fresh snapshot: an index row committed since the mark (a COPY from a
    // session that had not seen the expunge) spares the message, and the mark
    // goes. store.deliveries rows get message_id NULL (ON DELETE SET NULL).
    pg::exec(tx,
        "UPDATE store.messages m SET orphaned_at = NULL WHERE m.id = ANY($1::bigint[])"
        " AND EXISTS (SELECT 1 FROM store.mail_index i WHERE i.message_id = m.id)",
        arr);
    auto d = pg::exec(tx,
        "DELETE FROM store.messages m WHERE m.id = ANY($1::bigint[])"
        " AND m.orphaned_at < now() - $2 * interval '1 second'"
        " AND NOT EXISTS (SELECT 1 FROM store.mail_index i WHERE i.message_id = m.id) RETURNING blob_id",
        arr, grace_s);
    out.messages = static_cast<int64_t>(d.size());
    for (const auto& row : d) freed.push_back(row[0].as<int64_t>());
    std::sort(freed.begin(), freed.end());
    freed.erase(std::unique(freed.begin(), freed.end()), freed.end());
  }
  auto b = pg::exec(tx,
      "SELECT deleted, last_id, freed_bytes FROM store.sweep_blobs($1::bigint[], $2, $3, $4 * interval '1 second')",
      detail::int_array(freed), blobs_after, static_cast<int>(n), grace_s);
  out.blobs = b[0][0].as<int64_t>();
  out.blob_cursor = b[0][1].as<int64_t>();
  out.bytes = b[0][2].as<int64_t>();
  return out;
}

}  // namespace mail::store
