// SPDX-License-Identifier: Apache-2.0
// PgMaildropStore (see pg_maildrop.h). Leases, snapshots and expunge go
// through libs/store; only read_part() has its own two queries, reading one
// body chunk per call so that a large message is streamed and never held
// whole in memory. Runs on the blocking pool only. Every pqxx or pool
// exception becomes a Result error here (pg::guarded), never reaching the
// session, which answers an error with "-ERR [SYS/TEMP]".
#include "pg_maildrop.h"

#include "mail/store/imap_index.h"
#include "mail/pg/exec.h"
#include "mail/pg/guarded.h"
#include "mail/store/mailboxes.h"

namespace mail::pop3d {

common::Result<OpenResult> PgMaildropStore::open(int64_t account_id,
                                                 const std::string &holder,
                                                 int ttl_seconds) {
  return pg::guarded([&]() -> common::Result<OpenResult> {
    return pool_.with([&](pqxx::connection &c) {
      OpenResult out;
      pqxx::work tx(c);
      try {
        out.locked = store::lock_maildrop(tx, account_id, holder, ttl_seconds);
      } catch (const pqxx::foreign_key_violation &) {
        out.gone = true; // deleted since the login was cached
        return out;
      }
      if (out.locked) {
        store::ensure_default_mailboxes(tx, account_id); // one read after the first login
        out.maildrop = store::load_maildrop(tx, account_id);
      }
      tx.commit();
      return out;
    });
  });
}

common::Result<bool> PgMaildropStore::renew(int64_t account_id,
                                            const std::string &holder,
                                            int ttl_seconds) {
  return pg::guarded([&]() -> common::Result<bool> {
    return pool_.with([&](pqxx::connection &c) {
      pqxx::work tx(c);
      bool ok = store::lock_maildrop(tx, account_id, holder, ttl_seconds);
      tx.commit();
      return ok;
    });
  });
}

common::Status PgMaildropStore::release(int64_t account_id,
                                        const std::string &holder) {
  return pg::guarded([&]() -> common::Status {
    pool_.with([&](pqxx::connection &c) {
      pqxx::work tx(c);
      store::unlock_maildrop(tx, account_id, holder);
      tx.commit();
    });
    return common::Done{};
  });
}

common::Result<std::optional<std::string>>
PgMaildropStore::read_message(int64_t message_id) {
  return pg::guarded([&]() -> common::Result<std::optional<std::string>> {
    return pool_.with([&](pqxx::connection &c) -> std::optional<std::string> {
      pqxx::read_transaction tx(c);
      std::string m = store::read_message(tx, message_id);
      // A stored message always has its trace prefix, so empty means gone.
      if (m.empty())
        return std::nullopt;
      return m;
    });
  });
}

common::Result<std::optional<std::string>>
PgMaildropStore::read_part(int64_t message_id, size_t part) {
  return pg::guarded([&]() -> common::Result<std::optional<std::string>> {
    return pool_.with([&](pqxx::connection &c) -> std::optional<std::string> {
      pqxx::read_transaction tx(c);
      pqxx::result r;
      if (part == 0)
        r = pg::exec(tx,
                     "SELECT header_prefix FROM store.messages WHERE id = $1",
                     message_id);
      else
        r = pg::exec(
            tx,
            "SELECT c.data FROM store.messages m JOIN store.blob_chunks c ON "
            "c.blob_id = m.blob_id AND c.seq = $2"
            " WHERE m.id = $1",
            message_id, static_cast<int>(part - 1));
      if (r.empty())
        return std::nullopt;
      pqxx::binarystring b(r[0][0]);
      return std::string(reinterpret_cast<const char *>(b.data()), b.size());
    });
  });
}

common::Result<CommitResult>
PgMaildropStore::commit(int64_t account_id, const std::string &holder,
                        int ttl_seconds, int64_t mailbox_id,
                        const std::vector<int64_t> &uids,
                        const std::vector<int64_t> &seen) {
  return pg::guarded([&]() -> common::Result<CommitResult> {
    return pool_.with([&](pqxx::connection &c) {
      CommitResult out;
      pqxx::work tx(c);
      // Re-taking the lease in this transaction proves it is still ours (or
      // was free and nobody else took it) until commit.
      if (!store::lock_maildrop(tx, account_id, holder, ttl_seconds)) {
        out.lease_held = false;
        return out; // rolled back: nothing deleted
      }
      if (mailbox_id != 0 && !uids.empty())
        out.deleted = store::expunge(tx, mailbox_id, account_id, uids);
      if (mailbox_id != 0 && !seen.empty()) {
        store::StoreRequest req;
        req.uids = seen;
        req.op = store::StoreOp::kAdd;
        req.flags = store::kSeen;
        auto flagged = store::store_flags(tx, account_id, mailbox_id, req);
        if (flagged.ok())
          out.seen = static_cast<int>(flagged->changed.size());
      }
      store::unlock_maildrop(tx, account_id, holder);
      tx.commit();
      return out;
    });
  });
}

} // namespace mail::pop3d
