// SPDX-License-Identifier: Apache-2.0
// APPEND, COPY, MOVE, quota and FETCH reads for IMAP (see imap_messages.h).
#include "mail/store/imap_messages.h"

#include <algorithm>

#include "internal.h"
#include "mail/mime/header.h"
#include "mail/mime/search_text.h"
#include "mail/pg/exec.h"
#include "mail/store/blob_writer.h"
#include "mail/store/message_structure.h"

namespace mail::store {

Quota account_quota(pqxx::transaction_base& tx, int64_t account_id) {
  // Only directory.accounts' id and quota_bytes: mail_imap may read no more.
  auto r = pg::exec(tx,
      "SELECT a.quota_bytes, COALESCE(q.bytes, 0), COALESCE(q.messages, 0) FROM directory.accounts a"
      " LEFT JOIN store.quota_usage q ON q.account_id = a.id WHERE a.id = $1",
      account_id);
  Quota q;
  if (r.empty()) return q;
  q.limit = r[0][0].as<uint64_t>();
  q.used = r[0][1].as<uint64_t>();
  q.messages = r[0][2].as<uint64_t>();
  return q;
}

namespace {

// The destination's known keywords, or nullopt when it is not the account's.
std::optional<std::vector<std::string>> mailbox_keywords(pqxx::transaction_base& tx, int64_t account_id,
                                                         int64_t mailbox_id) {
  auto r = pg::exec(tx, "SELECT keywords FROM store.mailboxes WHERE id = $1 AND account_id = $2", mailbox_id, account_id);
  if (r.empty()) return std::nullopt;
  return detail::parse_text_array(r[0][0]);
}

}  // namespace

Result<Appended> append_message(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                std::string_view message, const AppendRequest& req) {
  // Refuse before writing anything, so the caller's transaction holds no garbage.
  if (!mailbox_keywords(tx, account_id, mailbox_id)) return Error::kNotFound;
  if (!account_quota(tx, account_id).allows(message.size())) return Error::kOverQuota;
  BlobWriter blob(tx, kChunkSize);
  blob.append(message);
  const int64_t blob_id = blob.finish();
  auto end = mime::find_header_end(message);
  const auto header_size = static_cast<uint32_t>(end ? *end : message.size());
  return append_blob(tx, account_id, mailbox_id, blob_id, message.size(), header_size, req,
                     message_structure(message), mime::search_fields(message.substr(0, header_size)));
}

Result<Appended> append_blob(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id, int64_t blob_id,
                             uint64_t size, uint32_t header_size, const AppendRequest& req,
                             std::optional<std::string> structure, std::optional<std::string> search_fields) {
  auto known = mailbox_keywords(tx, account_id, mailbox_id);
  if (!known) return Error::kNotFound;
  if (!account_quota(tx, account_id).allows(size)) return Error::kOverQuota;
  if (!structure || !search_fields) {
    // The caller wrote the body chunk by chunk and lacks what is derived
    // from it: read it back.
    std::string body;
    body.reserve(static_cast<size_t>(size));
    for_each_chunk(tx, blob_id, [&](std::string_view c) { body.append(c); });
    if (!structure) structure = message_structure(body);
    if (!search_fields) search_fields = mime::search_fields(std::string_view(body).substr(0, header_size));
  }
  std::vector<std::string> added;
  const auto kw = detail::canonical_keywords(*known, req.keywords, &added);
  const int flags = req.flags & (kSeen | kAnswered | kFlagged | kDeleted | kDraft);
  // An appended message has no trace prefix: the client wrote every header,
  // and the tree's offsets are the body's.
  auto m = pg::exec(tx,
      "INSERT INTO store.messages(account_id, blob_id, header_prefix, size, header_size, structure, search_fields)"
      " VALUES ($1, $2, ''::bytea, $3, $4, $5, $6) RETURNING id",
      account_id, blob_id, static_cast<int64_t>(size), static_cast<int64_t>(header_size),
      pqxx::binarystring(structure->data(), structure->size()), *search_fields);
  Appended out;
  out.message_id = m[0][0].as<int64_t>();
  // Last: UID and MODSEQ (mailbox row lock), quota, index, in one statement.
  auto u = pg::exec(tx,
      "WITH m AS (UPDATE store.mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1,"
      "   messages = messages + 1, unseen = unseen + $5, bytes = bytes + $2,"
      "   keywords = keywords || ARRAY(SELECT k FROM unnest($8::text[]) k WHERE k <> ALL(keywords))"
      "   WHERE id = $3 RETURNING uid_next - 1 AS uid, highest_modseq AS modseq, uidvalidity),"
      " q AS (INSERT INTO store.quota_usage(account_id, bytes, messages) SELECT $1, $2, 1 FROM m"
      "   ON CONFLICT (account_id) DO UPDATE SET bytes = store.quota_usage.bytes + EXCLUDED.bytes,"
      "   messages = store.quota_usage.messages + 1),"
      " i AS (INSERT INTO store.mail_index(mailbox_id, uid, message_id, modseq, flags, keywords, internal_date)"
      "   SELECT $3, uid, $4, modseq, $6, $7::text[], COALESCE(to_timestamp($9::bigint), now()) FROM m"
      "   RETURNING uid)"
      " SELECT uid, modseq, uidvalidity FROM m",
      account_id, static_cast<int64_t>(size), mailbox_id, out.message_id, (flags & kSeen) ? 0 : 1, flags,
      detail::text_array(kw), detail::text_array(added), req.internal_date);
  out.uid = u[0][0].as<int64_t>();
  out.modseq = u[0][1].as<int64_t>();
  out.uidvalidity = u[0][2].as<int64_t>();
  return out;
}

namespace {

Result<Copied> copy_impl(pqxx::transaction_base& tx, int64_t account_id, int64_t source_id, int64_t dest_id,
                         const std::vector<int64_t>& uids, bool check_quota) {
  // Both mailbox rows, locked in id order: the source's so that no expunge
  // removes what we copy, the destination's for its UIDs.
  auto b = pg::exec(tx,
      "SELECT id, uidvalidity FROM store.mailboxes WHERE account_id = $1 AND id = ANY($2::bigint[]) ORDER BY id"
      " FOR UPDATE",
      account_id, detail::int_array({source_id, dest_id}));
  if (b.size() != (source_id == dest_id ? 1u : 2u)) return Error::kNotFound;
  Copied out;
  for (const auto& row : b)
    if (row[0].as<int64_t>() == dest_id) out.uidvalidity = row[1].as<int64_t>();
  if (uids.empty()) return out;
  auto rows = pg::exec(tx,
      "SELECT i.uid, i.flags, m.size, i.keywords, i.message_id FROM store.mail_index i"
      " JOIN store.messages m ON m.id = i.message_id"
      " WHERE i.mailbox_id = $1 AND i.uid = ANY($2::bigint[]) ORDER BY i.uid",
      source_id, detail::int_array(uids));
  if (rows.empty()) return out;
  int64_t bytes = 0, unseen = 0;
  std::vector<std::string> keywords;
  std::vector<int64_t> message_ids;
  for (const auto& row : rows) {
    out.source_uids.push_back(row[0].as<int64_t>());
    message_ids.push_back(row[4].as<int64_t>());
    if ((row[1].as<int>() & kSeen) == 0) ++unseen;
    bytes += row[2].as<int64_t>();
    for (auto& k : detail::parse_text_array(row[3]))
      if (std::find(keywords.begin(), keywords.end(), k) == keywords.end()) keywords.push_back(std::move(k));
  }
  if (check_quota && !account_quota(tx, account_id).allows(static_cast<uint64_t>(bytes))) return Error::kOverQuota;
  const auto n = static_cast<int64_t>(out.source_uids.size());
  const std::string src = detail::int_array(out.source_uids);
  // New UIDs in the source's UID order: first + rank - 1.
  auto r = pg::exec(tx,
      "WITH s AS (SELECT uid, message_id, flags, keywords, internal_date, row_number() OVER (ORDER BY uid) AS rn"
      "   FROM store.mail_index WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])),"
      " m AS (UPDATE store.mailboxes SET uid_next = uid_next + $4, highest_modseq = highest_modseq + 1,"
      "   messages = messages + $4, unseen = unseen + $5, bytes = bytes + $6,"
      "   keywords = keywords || ARRAY(SELECT k FROM unnest($8::text[]) k WHERE k <> ALL(keywords))"
      "   WHERE id = $3 RETURNING uid_next - $4 AS first, highest_modseq AS modseq),"
      " q AS (INSERT INTO store.quota_usage(account_id, bytes, messages) SELECT $7, $6, $4 FROM m"
      "   ON CONFLICT (account_id) DO UPDATE SET bytes = store.quota_usage.bytes + EXCLUDED.bytes,"
      "   messages = store.quota_usage.messages + EXCLUDED.messages)"
      " INSERT INTO store.mail_index(mailbox_id, uid, message_id, modseq, flags, keywords, internal_date)"
      " SELECT $3, m.first + s.rn - 1, s.message_id, m.modseq, s.flags, s.keywords, s.internal_date FROM s, m"
      " RETURNING uid, modseq",
      source_id, src, dest_id, n, unseen, bytes, account_id, detail::text_array(keywords));
  for (const auto& row : r) {
    out.dest_uids.push_back(row[0].as<int64_t>());
    out.modseq = row[1].as<int64_t>();
  }
  // A message with an index row again is no orphan (it has one only when an
  // expunge raced this copy). After the insert: messages come after the
  // mailbox and quota rows in the lock order.
  detail::clear_orphans(tx, message_ids);
  std::sort(out.dest_uids.begin(), out.dest_uids.end());
  return out;
}

}  // namespace

Result<Copied> copy_messages(pqxx::transaction_base& tx, int64_t account_id, int64_t source_id, int64_t dest_id,
                             const std::vector<int64_t>& uids) {
  return copy_impl(tx, account_id, source_id, dest_id, uids, true);
}

Result<Moved> move_messages(pqxx::transaction_base& tx, int64_t account_id, int64_t source_id, int64_t dest_id,
                            const std::vector<int64_t>& uids) {
  // The account's usage does not grow: no quota check.
  auto c = copy_impl(tx, account_id, source_id, dest_id, uids, false);
  if (!c) return c.error();
  Moved out;
  out.copied = std::move(*c);
  out.expunged = expunge_uids(tx, source_id, account_id, out.copied.source_uids);
  return out;
}

namespace {

bool account_has_mailbox(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id) {
  return !pg::exec(tx, "SELECT 1 FROM store.mailboxes WHERE id = $1 AND account_id = $2", mailbox_id, account_id)
              .empty();
}

}  // namespace

Result<std::vector<MessageMeta>> message_meta(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                              const std::vector<int64_t>& uids, int64_t changed_since) {
  if (!account_has_mailbox(tx, account_id, mailbox_id)) return Error::kNotFound;
  auto r = pg::exec(tx,
      "SELECT i.uid, m.id, m.size, length(m.header_prefix) + m.header_size, extract(epoch from i.internal_date)::bigint,"
      " i.modseq, i.flags, i.keywords FROM store.mail_index i JOIN store.messages m ON m.id = i.message_id"
      " WHERE i.mailbox_id = $1 AND i.uid = ANY($2::bigint[]) AND i.modseq > $3 ORDER BY i.uid",
      mailbox_id, detail::int_array(uids), changed_since);
  std::vector<MessageMeta> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    MessageMeta& m = out.emplace_back();
    m.uid = row[0].as<int64_t>();
    m.message_id = row[1].as<int64_t>();
    m.size = row[2].as<uint64_t>();
    m.header_size = row[3].as<uint32_t>();
    m.internal_date = row[4].as<int64_t>();
    m.modseq = row[5].as<int64_t>();
    m.flags = row[6].as<int>();
    if (std::string_view(row[7].c_str()) != "{}") m.keywords = detail::parse_text_array(row[7]);
  }
  return out;
}

Result<std::vector<MessageSearchFields>> read_search_fields(pqxx::transaction_base& tx, int64_t account_id,
                                                            int64_t mailbox_id, const std::vector<int64_t>& uids) {
  if (!account_has_mailbox(tx, account_id, mailbox_id)) return Error::kNotFound;
  auto r = pg::exec(tx,
      "SELECT i.uid, m.id, m.search_fields FROM store.mail_index i JOIN store.messages m ON m.id = i.message_id"
      " WHERE i.mailbox_id = $1 AND i.uid = ANY($2::bigint[]) ORDER BY i.uid",
      mailbox_id, detail::int_array(uids));
  std::vector<MessageSearchFields> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    MessageSearchFields& f = out.emplace_back();
    f.uid = row[0].as<int64_t>();
    f.message_id = row[1].as<int64_t>();
    if (!row[2].is_null()) f.fields = row[2].as<std::string>();
  }
  return out;
}

size_t save_search_fields(pqxx::transaction_base& tx, int64_t account_id,
                          const std::vector<std::pair<int64_t, std::string>>& by_message) {
  if (by_message.empty()) return 0;
  std::vector<int64_t> ids;
  std::vector<std::string> fields;
  for (const auto& [id, f] : by_message) {
    ids.push_back(id);
    fields.push_back(f);
  }
  auto r = pg::exec(tx,
      "UPDATE store.messages m SET search_fields = v.f FROM unnest($2::bigint[], $3::text[]) AS v(id, f)"
      " WHERE m.id = v.id AND m.account_id = $1 AND m.search_fields IS NULL",
      account_id, detail::int_array(ids), detail::text_array(fields));
  return static_cast<size_t>(r.affected_rows());
}

Result<std::vector<MessageHeader>> read_headers(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                                const std::vector<int64_t>& uids) {
  if (!account_has_mailbox(tx, account_id, mailbox_id)) return Error::kNotFound;
  // substring() of an EXTERNAL (uncompressed) chunk reads only its first
  // pages; the header is in chunk 0 unless it is longer than a chunk.
  auto r = pg::exec(tx,
      "SELECT i.uid, m.header_prefix, substring(c.data from 1 for m.header_size), m.header_size, m.blob_id"
      " FROM store.mail_index i JOIN store.messages m ON m.id = i.message_id"
      " LEFT JOIN store.blob_chunks c ON c.blob_id = m.blob_id AND c.seq = 0"
      " WHERE i.mailbox_id = $1 AND i.uid = ANY($2::bigint[]) ORDER BY i.uid",
      mailbox_id, detail::int_array(uids));
  std::vector<MessageHeader> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    MessageHeader h;
    h.uid = row[0].as<int64_t>();
    pqxx::binarystring prefix(row[1]);
    h.header.assign(reinterpret_cast<const char*>(prefix.data()), prefix.size());
    const auto header_size = row[3].as<size_t>();
    if (header_size <= kChunkSize && !row[2].is_null()) {
      pqxx::binarystring head(row[2]);
      h.header.append(reinterpret_cast<const char*>(head.data()), head.size());
    } else {
      h.header += read_blob_prefix(tx, row[4].as<int64_t>(), header_size);
    }
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::string> read_message_prefix(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id,
                                        size_t max_bytes) {
  auto r = pg::exec(tx, "SELECT header_prefix, blob_id FROM store.messages WHERE id = $1 AND account_id = $2",
                    message_id, account_id);
  if (r.empty()) return Error::kNotFound;
  pqxx::binarystring prefix(r[0][0]);
  std::string out(reinterpret_cast<const char*>(prefix.data()), std::min(prefix.size(), max_bytes));
  if (out.size() < max_bytes) out += read_blob_prefix(tx, r[0][1].as<int64_t>(), max_bytes - out.size());
  return out;
}

Result<std::string> read_whole_message(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id) {
  auto r = pg::exec(tx, "SELECT 1 FROM store.messages WHERE id = $1 AND account_id = $2", message_id, account_id);
  if (r.empty()) return Error::kNotFound;
  return read_message(tx, message_id);
}

}  // namespace mail::store
