// SPDX-License-Identifier: Apache-2.0
// The store's shared internals (see internal.h): array literals, UIDVALIDITY
// allocation, removal of index rows and the orphan mark of the messages that
// lost their last one.
#include <algorithm>
#include <cctype>

#include "internal.h"
#include "mail/pg/exec.h"
#include "mail/store/errors.h"
#include "mail/store/mailstore.h"

namespace mail::store {

const char* to_string(Error e) {
  switch (e) {
    case Error::kNotFound: return "not_found";
    case Error::kAlreadyExists: return "already_exists";
    case Error::kHasChildren: return "has_children";
    case Error::kInboxCannotBeDeleted: return "inbox_cannot_be_deleted";
    case Error::kOverQuota: return "over_quota";
    case Error::kNameInvalid: return "name_invalid";
    case Error::kSpecialUseInUse: return "special_use_in_use";
  }
  return "unknown";
}

namespace detail {

std::string int_array(const std::vector<int64_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  out += '}';
  return out;
}

std::string text_array(const std::vector<std::string>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::string> parse_text_array(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done; std::tie(kind, value) = parser.get_next())
    if (kind == pqxx::array_parser::string_value) out.push_back(value);
  return out;
}

int64_t allocate_uidvalidity(pqxx::transaction_base& tx, int64_t account_id, int n) {
  // max(epoch, last + 1): strictly greater than anything handed out before,
  // even within the same second.
  auto r = pg::exec(tx,
      "INSERT INTO store.account_state(account_id, last_uidvalidity)"
      " VALUES ($1, extract(epoch from now())::bigint + $2 - 1)"
      " ON CONFLICT (account_id) DO UPDATE SET last_uidvalidity ="
      "   GREATEST(extract(epoch from now())::bigint, store.account_state.last_uidvalidity + 1) + $2 - 1"
      " RETURNING last_uidvalidity - $2 + 1",
      account_id, n);
  return r[0][0].as<int64_t>();
}

Removed remove_index_rows(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                          const std::vector<int64_t>& uids, bool all, int64_t modseq) {
  Removed out;
  pqxx::result gone;
  if (all)
    gone = pg::exec(tx,
        "WITH d AS (DELETE FROM store.mail_index WHERE mailbox_id = $1 RETURNING uid, message_id, flags),"
        " e AS (INSERT INTO store.expunged(mailbox_id, uid, modseq) SELECT $1, uid, $2::bigint FROM d WHERE $2::bigint > 0"
        "   ON CONFLICT DO NOTHING)"
        " SELECT d.uid, d.message_id, d.flags, m.size FROM d JOIN store.messages m ON m.id = d.message_id ORDER BY d.uid",
        mailbox_id, modseq);
  else
    gone = pg::exec(tx,
        "WITH d AS (DELETE FROM store.mail_index WHERE mailbox_id = $1 AND uid = ANY($3::bigint[])"
        "   RETURNING uid, message_id, flags),"
        " e AS (INSERT INTO store.expunged(mailbox_id, uid, modseq) SELECT $1, uid, $2::bigint FROM d WHERE $2::bigint > 0"
        "   ON CONFLICT DO NOTHING)"
        " SELECT d.uid, d.message_id, d.flags, m.size FROM d JOIN store.messages m ON m.id = d.message_id ORDER BY d.uid",
        mailbox_id, modseq, int_array(uids));
  if (gone.empty()) return out;
  std::vector<int64_t> messages;
  out.uids.reserve(gone.size());
  for (const auto& row : gone) {
    out.uids.push_back(row[0].as<int64_t>());
    messages.push_back(row[1].as<int64_t>());
    if ((row[2].as<int>() & kSeen) == 0) ++out.unseen;
    out.bytes += row[3].as<int64_t>();
  }
  const int64_t n = static_cast<int64_t>(out.uids.size());
  pg::exec(tx,
      "UPDATE store.mailboxes SET messages = GREATEST(messages - $2, 0), unseen = GREATEST(unseen - $3, 0),"
      " bytes = GREATEST(bytes - $4, 0) WHERE id = $1",
      mailbox_id, n, out.unseen, out.bytes);
  pg::exec(tx,
      "UPDATE store.quota_usage SET bytes = GREATEST(bytes - $2, 0), messages = GREATEST(messages - $3, 0)"
      " WHERE account_id = $1",
      account_id, out.bytes, n);
  mark_orphans(tx, messages);
  return out;
}

namespace {

std::string sorted_ids(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return int_array(ids);
}

}  // namespace

int mark_orphans(pqxx::transaction_base& tx, const std::vector<int64_t>& message_ids) {
  if (message_ids.empty()) return 0;
  const std::string arr = sorted_ids(message_ids);
  // Lock first, in id order; the next statement then looks (with a fresh
  // snapshot) at every index row committed meanwhile. An index row another
  // transaction adds without having committed yet is missed: the message is
  // marked, and the sweep's own look at the index spares it (and clears the
  // mark).
  pg::exec(tx, "SELECT id FROM store.messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE", arr);
  auto r = pg::exec(tx,
      "UPDATE store.messages m SET orphaned_at = now() WHERE m.id = ANY($1::bigint[])"
      " AND NOT EXISTS (SELECT 1 FROM store.mail_index i WHERE i.message_id = m.id) RETURNING id",
      arr);
  return static_cast<int>(r.size());
}

void clear_orphans(pqxx::transaction_base& tx, const std::vector<int64_t>& message_ids) {
  if (message_ids.empty()) return;
  // Only rows that carry a mark are touched (and locked, in id order); a COPY
  // of messages nobody expunged writes nothing here.
  pg::exec(tx,
      "UPDATE store.messages SET orphaned_at = NULL WHERE id IN (SELECT id FROM store.messages"
      " WHERE id = ANY($1::bigint[]) AND orphaned_at IS NOT NULL ORDER BY id FOR NO KEY UPDATE)",
      sorted_ids(message_ids));
}

std::vector<std::string> canonical_keywords(const std::vector<std::string>& known, const std::vector<std::string>& in,
                                            std::vector<std::string>* added) {
  auto iequal = [](const std::string& a, const std::string& b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
             return std::tolower(x) == std::tolower(y);
           });
  };
  std::vector<std::string> out;
  for (const auto& k : in) {
    if (k.empty()) continue;
    std::string spelled = k;
    auto it = std::find_if(known.begin(), known.end(), [&](const std::string& x) { return iequal(x, k); });
    if (it != known.end()) {
      spelled = *it;
    } else if (added) {
      auto a = std::find_if(added->begin(), added->end(), [&](const std::string& x) { return iequal(x, k); });
      if (a != added->end()) spelled = *a;
      else added->push_back(k);
    }
    if (std::find(out.begin(), out.end(), spelled) == out.end()) out.push_back(spelled);
  }
  return out;
}

}  // namespace detail
}  // namespace mail::store
