// SPDX-License-Identifier: Apache-2.0
// A mailbox's index for IMAP sessions (see imap_index.h): SELECT/EXAMINE,
// changes since a MODSEQ, STORE with UNCHANGEDSINCE, EXPUNGE of \Deleted.
// Readers take the mailbox row FOR SHARE and writers lock it (UPDATE or FOR
// UPDATE) before they touch mail_index, so what a reader returns is one
// consistent state: no UID or MODSEQ can commit between its statements.
#include "mail/store/imap_index.h"

#include <algorithm>
#include <map>

#include "internal.h"
#include "mail/pg/exec.h"

namespace mail::store {

namespace {

std::vector<IndexEntry> entries_of(const pqxx::result& r) {
  std::vector<IndexEntry> out;
  out.reserve(r.size());
  for (const auto& row : r)
    out.push_back({row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int>(), detail::parse_text_array(row[3])});
  return out;
}

}  // namespace

IndexEntry MailboxIndex::entry(size_t pos, const std::vector<std::string>& names) const {
  IndexEntry e{uids[pos], 0, flags.at(pos), {}};
  auto it = std::lower_bound(keywords.begin(), keywords.end(), pos,
                             [](const auto& k, size_t p) { return k.first < p; });
  if (it != keywords.end() && it->first == pos)
    for (uint32_t i : it->second) e.keywords.push_back(i < names.size() ? names[i] : std::string());
  return e;
}

bool MailboxIndex::push_back(int64_t uid, uint8_t message_flags) {
  if (!uids.push_back(uid)) return false;
  flags.push_back(message_flags);
  return true;
}

void MailboxIndex::erase_positions(const std::vector<size_t>& positions) {
  if (positions.empty()) return;
  uids.erase_positions(positions);
  size_t next = 0, kept = 0;
  for (size_t i = 0; i < flags.size(); ++i) {
    if (next < positions.size() && positions[next] == i) {
      ++next;
      continue;
    }
    flags[kept++] = flags[i];
  }
  flags.resize(kept);
  // Keyword entries are keyed by position: drop the expunged, shift the rest.
  size_t out = 0;
  for (auto& [pos, kws] : keywords) {
    const auto below = std::lower_bound(positions.begin(), positions.end(), pos);
    if (below != positions.end() && *below == pos) continue;
    keywords[out++] = {pos - static_cast<uint32_t>(below - positions.begin()), std::move(kws)};
  }
  keywords.resize(out);
}

Result<Selected> select_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name,
                                bool read_write) {
  auto norm = normalize_mailbox_name(name);
  if (!norm) return Error::kNameInvalid;
  // Lock first: from here until commit no writer can add, change or expunge.
  auto b = pg::exec(tx,
      read_write ? "SELECT id, recent_uid FROM store.mailboxes WHERE account_id = $1 AND name = $2 FOR UPDATE"
                 : "SELECT id, recent_uid FROM store.mailboxes WHERE account_id = $1 AND name = $2 FOR SHARE",
      account_id, *norm);
  if (b.empty()) return Error::kNotFound;
  const int64_t id = b[0][0].as<int64_t>();
  const int64_t recent_from = b[0][1].as<int64_t>();
  auto info = find_mailbox(tx, account_id, *norm);
  if (!info) return info.error();
  Selected out;
  out.mailbox = std::move(*info);
  auto kw = pg::exec(tx, "SELECT keywords FROM store.mailboxes WHERE id = $1", id);
  out.keywords = detail::parse_text_array(kw[0][0]);
  auto r = pg::exec(tx, "SELECT uid, flags, keywords FROM store.mail_index WHERE mailbox_id = $1 ORDER BY uid", id);
  MailboxIndex& ix = out.index;
  ix.flags.reserve(r.size());
  for (const auto& row : r) {
    if (!ix.push_back(row[0].as<int64_t>(), static_cast<uint8_t>(row[1].as<int>()))) continue;
    if (std::string_view(row[2].c_str()) == "{}") continue;
    std::vector<uint32_t> refs;
    for (const auto& k : detail::parse_text_array(row[2])) {
      auto it = std::find(out.keywords.begin(), out.keywords.end(), k);
      // One the list lacks (set before 003 kept the list) joins FLAGS too.
      if (it == out.keywords.end()) it = out.keywords.insert(out.keywords.end(), k);
      refs.push_back(static_cast<uint32_t>(it - out.keywords.begin()));
    }
    ix.keywords.emplace_back(static_cast<uint32_t>(ix.uids.size() - 1), std::move(refs));
  }
  ix.uids.shrink_to_fit();
  const size_t first_recent = ix.uids.lower_bound(recent_from);
  out.mailbox.recent = static_cast<int64_t>(ix.size() - first_recent);
  if (read_write) {
    for (size_t pos = first_recent; pos < ix.size(); ++pos) out.recent_uids.push_back(ix.uids[pos]);
    out.recent_uids.shrink_to_fit();
    // This session took them: no later session sees them as \Recent.
    pg::exec(tx, "UPDATE store.mailboxes SET recent_uid = uid_next WHERE id = $1 AND recent_uid < uid_next", id);
  }
  return out;
}

int64_t purge_expunged(pqxx::transaction_base& tx, std::chrono::seconds retention, size_t limit) {
  auto gone = pg::exec(tx,
      "DELETE FROM store.expunged e USING (SELECT mailbox_id, uid FROM store.expunged"
      "   WHERE expunged_at < now() - make_interval(secs => $1) ORDER BY expunged_at LIMIT $2"
      "   FOR UPDATE SKIP LOCKED) old"
      " WHERE e.mailbox_id = old.mailbox_id AND e.uid = old.uid RETURNING e.mailbox_id, e.modseq",
      static_cast<double>(retention.count()), static_cast<int64_t>(limit));
  std::map<int64_t, int64_t> horizon;
  for (const auto& row : gone) {
    auto& h = horizon[row[0].as<int64_t>()];
    h = std::max(h, row[1].as<int64_t>());
  }
  for (const auto& [mailbox, modseq] : horizon)  // ascending id: the lock order
    pg::exec(tx, "UPDATE store.mailboxes SET expunged_horizon = GREATEST(expunged_horizon, $2) WHERE id = $1", mailbox,
             modseq);
  return static_cast<int64_t>(gone.size());
}

Result<Changes> changes_since(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id, int64_t since) {
  auto b = pg::exec(tx,
      "SELECT highest_modseq, uid_next, messages, keywords, expunged_horizon FROM store.mailboxes"
      " WHERE id = $1 AND account_id = $2 FOR SHARE",
      mailbox_id, account_id);
  if (b.empty()) return Error::kNotFound;
  Changes out;
  out.highest_modseq = b[0][0].as<int64_t>();
  out.uid_next = b[0][1].as<int64_t>();
  out.messages = b[0][2].as<int64_t>();
  out.keywords = detail::parse_text_array(b[0][3]);
  out.expunged_horizon = b[0][4].as<int64_t>();
  if (since >= out.highest_modseq) return out;
  if (since < out.expunged_horizon) {
    auto all = pg::exec(tx, "SELECT uid FROM store.mail_index WHERE mailbox_id = $1 ORDER BY uid", mailbox_id);
    out.present.emplace();
    out.present->reserve(all.size());
    for (const auto& row : all) out.present->push_back(row[0].as<int64_t>());
  }
  out.changed = entries_of(pg::exec(tx,
      "SELECT uid, modseq, flags, keywords FROM store.mail_index WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
      mailbox_id, since));
  auto e = pg::exec(tx, "SELECT uid FROM store.expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid", mailbox_id,
                    since);
  out.expunged.reserve(e.size());
  for (const auto& row : e) out.expunged.push_back(row[0].as<int64_t>());
  return out;
}

Result<StoreResult> store_flags(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                const StoreRequest& req) {
  // The new MODSEQ, and the mailbox row lock that orders this change.
  auto m = pg::exec(tx,
      "UPDATE store.mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = $1 AND account_id = $2"
      " RETURNING highest_modseq, keywords",
      mailbox_id, account_id);
  if (m.empty()) return Error::kNotFound;
  StoreResult out;
  out.modseq = m[0][0].as<int64_t>();
  if (req.uids.empty()) return out;
  std::vector<std::string> added;
  const auto known = detail::parse_text_array(m[0][1]);
  const auto kw = detail::canonical_keywords(known, req.keywords, req.op == StoreOp::kRemove ? nullptr : &added);
  const std::string uids = detail::int_array(req.uids);
  if (req.unchanged_since) {
    // Before the update, which gives the changed ones a higher MODSEQ.
    auto mod = pg::exec(tx,
        "SELECT uid FROM store.mail_index WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) AND modseq > $3 ORDER BY uid",
        mailbox_id, uids, *req.unchanged_since);
    for (const auto& row : mod) out.modified.push_back(row[0].as<int64_t>());
  }
  const int op = req.op == StoreOp::kAdd ? 0 : req.op == StoreOp::kRemove ? 1 : 2;
  // One statement: the new flags and keywords per row, only where they
  // differ (as sets), and the old flags for the unseen count.
  auto r = pg::exec(tx,
      "WITH n AS (SELECT i.uid, i.flags AS old_flags,"
      "   CASE $4::int WHEN 0 THEN i.flags | $5 WHEN 1 THEN i.flags & ~$5 ELSE $5 END AS flags,"
      "   CASE $4::int"
      "     WHEN 0 THEN i.keywords || ARRAY(SELECT k FROM unnest($6::text[]) k WHERE k <> ALL(i.keywords))"
      "     WHEN 1 THEN ARRAY(SELECT k FROM unnest(i.keywords) k WHERE k <> ALL($6::text[]))"
      "     ELSE $6::text[] END AS keywords"
      "   FROM store.mail_index i WHERE i.mailbox_id = $1 AND i.uid = ANY($2::bigint[])"
      "   AND ($7::bigint IS NULL OR i.modseq <= $7::bigint))"
      " UPDATE store.mail_index i SET flags = n.flags, keywords = n.keywords, modseq = $3 FROM n"
      " WHERE i.mailbox_id = $1 AND i.uid = n.uid"
      "   AND (n.flags <> i.flags OR NOT (n.keywords @> i.keywords AND i.keywords @> n.keywords))"
      " RETURNING i.uid, i.modseq, i.flags, i.keywords, n.old_flags",
      mailbox_id, uids, out.modseq, op, req.flags, detail::text_array(kw), req.unchanged_since);
  int64_t unseen_delta = 0;
  for (const auto& row : r) {
    out.changed.push_back(
        {row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int>(), detail::parse_text_array(row[3])});
    const bool was_unseen = (row[4].as<int>() & kSeen) == 0;
    const bool now_unseen = (row[2].as<int>() & kSeen) == 0;
    unseen_delta += static_cast<int64_t>(now_unseen) - static_cast<int64_t>(was_unseen);
  }
  std::sort(out.changed.begin(), out.changed.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
  if (unseen_delta != 0 || !added.empty())
    pg::exec(tx,
        "UPDATE store.mailboxes SET unseen = GREATEST(unseen + $2, 0),"
        " keywords = keywords || ARRAY(SELECT k FROM unnest($3::text[]) k WHERE k <> ALL(keywords)) WHERE id = $1",
        mailbox_id, unseen_delta, detail::text_array(added));
  return out;
}

Result<Expunged> expunge_deleted(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                 const std::vector<int64_t>& uids) {
  auto b = pg::exec(tx, "SELECT id FROM store.mailboxes WHERE id = $1 AND account_id = $2 FOR UPDATE", mailbox_id,
                    account_id);
  if (b.empty()) return Error::kNotFound;
  pqxx::result d;
  if (uids.empty())
    d = pg::exec(tx, "SELECT uid FROM store.mail_index WHERE mailbox_id = $1 AND (flags & 8) <> 0 ORDER BY uid",
                 mailbox_id);
  else
    d = pg::exec(tx,
        "SELECT uid FROM store.mail_index WHERE mailbox_id = $1 AND (flags & 8) <> 0 AND uid = ANY($2::bigint[])"
        " ORDER BY uid",
        mailbox_id, detail::int_array(uids));
  std::vector<int64_t> deleted;
  for (const auto& row : d) deleted.push_back(row[0].as<int64_t>());
  if (deleted.empty()) return Expunged{};
  return expunge_uids(tx, mailbox_id, account_id, deleted);
}

}  // namespace mail::store
