// SPDX-License-Identifier: Apache-2.0
// PostgreSQL implementation of the mailbox store operations.
#include "mail/pg/exec.h"
#include "mail/store/mailstore.h"

#include <algorithm>

#include "internal.h"
#include "mail/store/mailboxes.h"

namespace mail::store {

std::optional<BlobInfo> blob_info(pqxx::transaction_base& tx, int64_t blob_id) {
  auto r = pg::exec(tx, "SELECT size FROM store.blobs WHERE id = $1", blob_id);
  if (r.empty()) return std::nullopt;
  return BlobInfo{blob_id, r[0][0].as<uint64_t>()};
}

std::string read_blob_prefix(pqxx::transaction_base& tx, int64_t blob_id, size_t max_bytes) {
  std::string out;
  int seq = 0;
  while (out.size() < max_bytes) {
    auto r = pg::exec(tx, "SELECT data FROM store.blob_chunks WHERE blob_id = $1 AND seq = $2", blob_id, seq++);
    if (r.empty()) break;
    pqxx::binarystring b(r[0][0]);
    out.append(reinterpret_cast<const char*>(b.data()), std::min(b.size(), max_bytes - out.size()));
  }
  return out;
}

void for_each_chunk(pqxx::transaction_base& tx, int64_t blob_id, const std::function<void(std::string_view)>& fn) {
  for (int seq = 0;; ++seq) {
    auto r = pg::exec(tx, "SELECT data FROM store.blob_chunks WHERE blob_id = $1 AND seq = $2", blob_id, seq);
    if (r.empty()) break;
    pqxx::binarystring b(r[0][0]);
    fn(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
}

int64_t ensure_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name) {
  auto r = pg::exec(tx, "SELECT id FROM store.mailboxes WHERE account_id = $1 AND name = $2", account_id, std::string(name));
  if (!r.empty()) return r[0][0].as<int64_t>();
  // UIDVALIDITY: seconds since the epoch at creation, as Dovecot does, but
  // always above the account's last one (store.account_state).
  const int64_t uidvalidity = detail::allocate_uidvalidity(tx, account_id);
  r = pg::exec(tx,
      "INSERT INTO store.mailboxes(account_id, name, uidvalidity) VALUES ($1, $2, $3)"
      " ON CONFLICT (account_id, name) DO NOTHING RETURNING id",
      account_id, std::string(name), uidvalidity);
  if (!r.empty()) return r[0][0].as<int64_t>();
  r = pg::exec(tx, "SELECT id FROM store.mailboxes WHERE account_id = $1 AND name = $2", account_id, std::string(name));
  return r[0][0].as<int64_t>();
}

uint64_t quota_used(pqxx::transaction_base& tx, int64_t account_id) {
  auto r = pg::exec(tx, "SELECT bytes FROM store.quota_usage WHERE account_id = $1", account_id);
  return r.empty() ? 0 : r[0][0].as<uint64_t>();
}

StoredCopy store_copy(pqxx::transaction_base& tx, const CopyRequest& req) {
  StoredCopy out;
  auto seen = pg::exec(tx, 
      "SELECT message_id FROM store.deliveries WHERE job_id = $1 AND recipient_id = $2 AND account_id = $3",
      req.job_id, req.recipient_id, req.account_id);
  if (!seen.empty()) {
    // message_id is NULL once the copy was expunged: still delivered, never again.
    out.already = true;
    out.message_id = seen[0][0].is_null() ? 0 : seen[0][0].as<int64_t>();
    return out;
  }
  // One copy per mailbox per accepted transaction: when another envelope
  // recipient of the same job already resolved to this account (an alias and
  // the address itself, postmaster@ and its owner), record this recipient
  // against that copy instead of storing a second one.
  auto same_job = pg::exec(tx, 
      "SELECT message_id FROM store.deliveries WHERE job_id = $1 AND account_id = $2 LIMIT 1", req.job_id,
      req.account_id);
  if (!same_job.empty()) {
    out.already = true;
    std::optional<int64_t> shared;
    if (!same_job[0][0].is_null()) shared = same_job[0][0].as<int64_t>();
    out.message_id = shared.value_or(0);
    pg::exec(tx, "INSERT INTO store.deliveries(job_id, recipient_id, account_id, message_id) VALUES ($1, $2, $3, $4)",
                   req.job_id, req.recipient_id, req.account_id, shared);
    return out;
  }
  // The account's first delivery also makes Drafts, Sent, Trash, Junk and
  // Archive; every later one pays a single indexed read for it.
  ensure_default_mailboxes(tx, req.account_id);
  out.mailbox_id = ensure_mailbox(tx, req.account_id, kInbox);
  const int64_t size = static_cast<int64_t>(req.header_prefix.size() + req.blob_size);
  // The tree goes in with the row (NULL when the caller has none).
  auto insert = [&](const auto& structure) {
    return pg::exec(tx,
        "INSERT INTO store.messages(account_id, blob_id, header_prefix, size, header_size, structure, search_fields)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        req.account_id, req.blob_id, pqxx::binarystring(req.header_prefix.data(), req.header_prefix.size()), size,
        static_cast<int64_t>(req.header_size), structure,
        req.search_fields ? req.search_fields->c_str() : static_cast<const char*>(nullptr));
  };
  auto m = req.structure ? insert(pqxx::binarystring(req.structure->data(), req.structure->size())) : insert(nullptr);
  out.message_id = m[0][0].as<int64_t>();
  // The UNIQUE primary key makes a concurrent duplicate fail here (the caller
  // treats unique_violation as "already delivered").
  pg::exec(tx, "INSERT INTO store.deliveries(job_id, recipient_id, account_id, message_id) VALUES ($1, $2, $3, $4)",
                 req.job_id, req.recipient_id, req.account_id, out.message_id);
  // Last, in ONE statement so that the mailbox row lock (which orders UIDs)
  // is held only for this round trip and the commit: take the UID and MODSEQ,
  // add to the quota (its row locked after the mailbox's, the order expunge
  // uses too), and index the message.
  auto u = pg::exec(tx, 
      "WITH m AS (UPDATE store.mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1,"
      "   messages = messages + 1, unseen = unseen + 1, bytes = bytes + $2 WHERE id = $3"
      "   RETURNING uid_next - 1 AS uid, highest_modseq AS modseq),"
      " q AS (INSERT INTO store.quota_usage(account_id, bytes, messages) SELECT $1, $2, 1 FROM m"
      "   ON CONFLICT (account_id) DO UPDATE SET bytes = store.quota_usage.bytes + EXCLUDED.bytes,"
      "   messages = store.quota_usage.messages + 1)"
      " INSERT INTO store.mail_index(mailbox_id, uid, message_id, modseq) SELECT $3, uid, $4, modseq FROM m"
      " RETURNING uid, modseq",
      req.account_id, size, out.mailbox_id, out.message_id);
  out.uid = u[0][0].as<int64_t>();
  out.modseq = u[0][1].as<int64_t>();
  return out;
}

Maildrop load_maildrop(pqxx::transaction_base& tx, int64_t account_id) {
  Maildrop md;
  auto b = pg::exec(tx, "SELECT id, uidvalidity FROM store.mailboxes WHERE account_id = $1 AND name = $2", account_id,
                          std::string(kInbox));
  if (b.empty()) return md;
  md.mailbox_id = b[0][0].as<int64_t>();
  md.uidvalidity = b[0][1].as<int64_t>();
  auto r = pg::exec(tx, 
      "SELECT i.uid, i.message_id, m.size FROM store.mail_index i JOIN store.messages m ON m.id = i.message_id"
      " WHERE i.mailbox_id = $1 ORDER BY i.uid",
      md.mailbox_id);
  md.messages.reserve(r.size());
  for (const auto& row : r) md.messages.push_back({row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<uint64_t>()});
  return md;
}

bool lock_maildrop(pqxx::transaction_base& tx, int64_t account_id, std::string_view holder, int ttl_seconds) {
  auto r = pg::exec(tx, 
      "INSERT INTO store.maildrop_locks(account_id, holder, until) VALUES ($1, $2, now() + $3 * interval '1 second')"
      " ON CONFLICT (account_id) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until"
      " WHERE store.maildrop_locks.until < now() OR store.maildrop_locks.holder = EXCLUDED.holder"
      " RETURNING account_id",
      account_id, std::string(holder), ttl_seconds);
  return !r.empty();
}

void unlock_maildrop(pqxx::transaction_base& tx, int64_t account_id, std::string_view holder) {
  pg::exec(tx, "DELETE FROM store.maildrop_locks WHERE account_id = $1 AND holder = $2", account_id, std::string(holder));
}

std::string read_message(pqxx::transaction_base& tx, int64_t message_id) {
  auto r = pg::exec(tx, "SELECT header_prefix, blob_id, size FROM store.messages WHERE id = $1", message_id);
  if (r.empty()) return {};
  pqxx::binarystring prefix(r[0][0]);
  std::string out;
  out.reserve(r[0][2].as<size_t>());
  out.append(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  for_each_chunk(tx, r[0][1].as<int64_t>(), [&](std::string_view c) { out.append(c); });
  return out;
}

Expunged expunge_uids(pqxx::transaction_base& tx, int64_t mailbox_id, int64_t account_id,
                      const std::vector<int64_t>& uids) {
  Expunged out;
  if (uids.empty()) return out;
  // Lock the mailbox row first (one order for every writer), then remove:
  // quota, counts, store.expunged, and the orphan mark of messages that lost
  // their last index row (detail::mark_orphans; the mda's sweep frees them).
  auto m = pg::exec(tx,
      "UPDATE store.mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = $1 AND account_id = $2"
      " RETURNING highest_modseq",
      mailbox_id, account_id);
  if (m.empty()) return out;
  out.modseq = m[0][0].as<int64_t>();
  out.uids = detail::remove_index_rows(tx, account_id, mailbox_id, uids, false, out.modseq).uids;
  return out;
}

int expunge(pqxx::transaction_base& tx, int64_t mailbox_id, int64_t account_id, const std::vector<int64_t>& uids) {
  return static_cast<int>(expunge_uids(tx, mailbox_id, account_id, uids).uids.size());
}

}  // namespace mail::store
