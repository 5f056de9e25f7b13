// SPDX-License-Identifier: Apache-2.0
// Mailboxes of an account (see mailboxes.h): names, defaults, LIST data,
// CREATE, DELETE, RENAME, subscriptions. Create, delete and rename first lock
// the account's store.account_state row, so they are serialized per account
// and always take account_state before any mailbox row.
#include "mail/store/mailboxes.h"

#include <algorithm>
#include <array>
#include <set>

#include "internal.h"
#include "mail/pg/exec.h"
#include "mail/store/mailstore.h"

namespace mail::store {

namespace {

struct Default {
  std::string_view name;
  SpecialUse use;
};
constexpr std::array<Default, 6> kDefaults{{{"INBOX", SpecialUse::kNone},
                                            {"Drafts", SpecialUse::kDrafts},
                                            {"Sent", SpecialUse::kSent},
                                            {"Trash", SpecialUse::kTrash},
                                            {"Junk", SpecialUse::kJunk},
                                            {"Archive", SpecialUse::kArchive}}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), as PostgreSQL accepts it: a bad name is kNameInvalid, not an
// exception from the server.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    else if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::optional<SpecialUse> use_of(const pqxx::field& f) {
  if (f.is_null()) return SpecialUse::kNone;
  return parse_special_use(f.c_str());
}

// A NULL parameter for "no special use".
std::optional<std::string> use_param(SpecialUse u) {
  if (u == SpecialUse::kNone) return std::nullopt;
  return std::string(special_use_name(u));
}

// Locks the account's state row (creating it) until commit.
void lock_account(pqxx::transaction_base& tx, int64_t account_id) {
  pg::exec(tx,
      "INSERT INTO store.account_state(account_id) VALUES ($1)"
      " ON CONFLICT (account_id) DO UPDATE SET defaults_created = store.account_state.defaults_created",
      account_id);
}

bool exists(pqxx::transaction_base& tx, int64_t account_id, const std::string& name) {
  return !pg::exec(tx, "SELECT 1 FROM store.mailboxes WHERE account_id = $1 AND name = $2", account_id, name).empty();
}

bool use_taken(pqxx::transaction_base& tx, int64_t account_id, SpecialUse use) {
  if (use == SpecialUse::kNone) return false;
  return !pg::exec(tx, "SELECT 1 FROM store.mailboxes WHERE account_id = $1 AND special_use = $2", account_id,
                   std::string(special_use_name(use)))
              .empty();
}

// Inserts one mailbox with a fresh UIDVALIDITY (the account row is locked).
int64_t insert_mailbox(pqxx::transaction_base& tx, int64_t account_id, const std::string& name, SpecialUse use) {
  const int64_t uidvalidity = detail::allocate_uidvalidity(tx, account_id);
  auto r = pg::exec(tx,
      "INSERT INTO store.mailboxes(account_id, name, uidvalidity, special_use) VALUES ($1, $2, $3, $4) RETURNING id",
      account_id, name, uidvalidity, use_param(use));
  return r[0][0].as<int64_t>();
}

// The missing parents of `name` ("a" and "a/b" for "a/b/c"), created.
void create_parents(pqxx::transaction_base& tx, int64_t account_id, const std::string& name) {
  for (size_t pos = name.find(kDelimiter); pos != std::string::npos; pos = name.find(kDelimiter, pos + 1)) {
    std::string parent = name.substr(0, pos);
    if (!exists(tx, account_id, parent)) insert_mailbox(tx, account_id, parent, SpecialUse::kNone);
  }
}

const char* kInfoColumns =
    "SELECT b.id, b.name, b.special_use, b.uidvalidity, b.uid_next, b.highest_modseq, b.messages, b.unseen,"
    " (SELECT count(*) FROM store.mail_index i WHERE i.mailbox_id = b.id AND i.uid >= b.recent_uid),"
    " b.bytes, s.name IS NOT NULL"
    " FROM store.mailboxes b LEFT JOIN store.subscriptions s ON s.account_id = b.account_id AND s.name = b.name";

MailboxInfo info_of(const pqxx::row& row) {
  MailboxInfo m;
  m.id = row[0].as<int64_t>();
  m.name = row[1].as<std::string>();
  m.special_use = use_of(row[2]).value_or(SpecialUse::kNone);
  m.uidvalidity = row[3].as<int64_t>();
  m.uid_next = row[4].as<int64_t>();
  m.highest_modseq = row[5].as<int64_t>();
  m.messages = row[6].as<int64_t>();
  m.unseen = row[7].as<int64_t>();
  m.recent = row[8].as<int64_t>();
  m.bytes = row[9].as<int64_t>();
  m.subscribed = row[10].as<bool>();
  return m;
}

}  // namespace

std::string_view special_use_name(SpecialUse u) {
  switch (u) {
    case SpecialUse::kNone: return "";
    case SpecialUse::kDrafts: return "\\Drafts";
    case SpecialUse::kSent: return "\\Sent";
    case SpecialUse::kTrash: return "\\Trash";
    case SpecialUse::kJunk: return "\\Junk";
    case SpecialUse::kArchive: return "\\Archive";
  }
  return "";
}

std::optional<SpecialUse> parse_special_use(std::string_view s) {
  for (auto u : {SpecialUse::kDrafts, SpecialUse::kSent, SpecialUse::kTrash, SpecialUse::kJunk, SpecialUse::kArchive})
    if (iequals(s, special_use_name(u))) return u;
  return std::nullopt;
}

std::optional<std::string> normalize_mailbox_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxMailboxName || !valid_utf8(name)) return std::nullopt;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '*' || c == '%') return std::nullopt;
  int depth = 0;
  size_t start = 0;
  for (;;) {
    size_t end = name.find(kDelimiter, start);
    size_t len = (end == std::string_view::npos ? name.size() : end) - start;
    if (len == 0) return std::nullopt;  // leading, trailing or doubled delimiter
    if (++depth > kMaxMailboxDepth) return std::nullopt;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::string out(name);
  size_t first = out.find(kDelimiter);
  if (iequals(std::string_view(out).substr(0, first), kInbox)) out.replace(0, kInbox.size(), kInbox);
  return out;
}

void ensure_default_mailboxes(pqxx::transaction_base& tx, int64_t account_id) {
  auto r = pg::exec(tx, "SELECT defaults_created FROM store.account_state WHERE account_id = $1", account_id);
  if (!r.empty() && r[0][0].as<bool>()) return;  // the cheap path, every time after the first
  // Lock (or create) the account's row: a second session waits here and
  // then finds defaults_created set by the first.
  auto l = pg::exec(tx,
      "INSERT INTO store.account_state(account_id) VALUES ($1)"
      " ON CONFLICT (account_id) DO UPDATE SET defaults_created = store.account_state.defaults_created"
      " RETURNING defaults_created",
      account_id);
  if (l[0][0].as<bool>()) return;
  for (const auto& d : kDefaults) {
    const std::string name(d.name);
    auto have = pg::exec(tx, "SELECT id, special_use FROM store.mailboxes WHERE account_id = $1 AND name = $2",
                         account_id, name);
    const bool free_use = !use_taken(tx, account_id, d.use);
    if (have.empty()) {
      insert_mailbox(tx, account_id, name, free_use ? d.use : SpecialUse::kNone);
    } else if (have[0][1].is_null() && free_use && d.use != SpecialUse::kNone) {
      // A "Sent" made by hand before: give it the attribute nobody else has.
      pg::exec(tx, "UPDATE store.mailboxes SET special_use = $2 WHERE id = $1", have[0][0].as<int64_t>(),
               use_param(d.use));
    }
    pg::exec(tx, "INSERT INTO store.subscriptions(account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
             account_id, name);
  }
  pg::exec(tx, "UPDATE store.account_state SET defaults_created = true WHERE account_id = $1", account_id);
}

std::vector<MailboxInfo> list_mailboxes(pqxx::transaction_base& tx, int64_t account_id) {
  auto r = pg::exec(tx, std::string(kInfoColumns) + " WHERE b.account_id = $1", account_id);
  std::vector<MailboxInfo> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(info_of(row));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  // Sorted by bytes, a mailbox's children follow it directly ("a" < "a/b"),
  // though other names may come between ("a b" sorts before "a/b").
  std::set<std::string> names;
  for (const auto& m : out) names.insert(m.name);
  for (auto& m : out) {
    auto it = names.lower_bound(m.name + kDelimiter);
    m.has_children = it != names.end() && it->compare(0, m.name.size() + 1, m.name + kDelimiter) == 0;
  }
  return out;
}

Result<MailboxInfo> find_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name) {
  auto norm = normalize_mailbox_name(name);
  if (!norm) return Error::kNameInvalid;
  auto r = pg::exec(tx, std::string(kInfoColumns) + " WHERE b.account_id = $1 AND b.name = $2", account_id, *norm);
  if (r.empty()) return Error::kNotFound;
  MailboxInfo m = info_of(r[0]);
  m.has_children = !pg::exec(tx,
                             "SELECT 1 FROM store.mailboxes WHERE account_id = $1 AND starts_with(name, $2 || '/') LIMIT 1",
                             account_id, *norm)
                        .empty();
  return m;
}

Result<int64_t> create_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name, SpecialUse use) {
  auto norm = normalize_mailbox_name(name);
  if (!norm) return Error::kNameInvalid;
  lock_account(tx, account_id);
  if (exists(tx, account_id, *norm)) return Error::kAlreadyExists;
  if (use_taken(tx, account_id, use)) return Error::kSpecialUseInUse;
  create_parents(tx, account_id, *norm);
  return insert_mailbox(tx, account_id, *norm, use);
}

Result<DeletedMailbox> delete_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name) {
  auto norm = normalize_mailbox_name(name);
  if (!norm) return Error::kNameInvalid;
  if (*norm == kInbox) return Error::kInboxCannotBeDeleted;
  lock_account(tx, account_id);
  auto b = pg::exec(tx, "SELECT id FROM store.mailboxes WHERE account_id = $1 AND name = $2 FOR UPDATE", account_id,
                    *norm);
  if (b.empty()) return Error::kNotFound;
  const int64_t id = b[0][0].as<int64_t>();
  auto kids = pg::exec(tx, "SELECT 1 FROM store.mailboxes WHERE account_id = $1 AND starts_with(name, $2 || '/') LIMIT 1",
                       account_id, *norm);
  if (!kids.empty()) return Error::kHasChildren;
  // Index rows first (quota released, messages that lost their last one
  // marked orphaned for the sweep), then the
  // row itself; its store.expunged rows go by cascade.
  auto removed = detail::remove_index_rows(tx, account_id, id, {}, true, 0);
  pg::exec(tx, "DELETE FROM store.mailboxes WHERE id = $1", id);
  return DeletedMailbox{static_cast<int64_t>(removed.uids.size()), removed.bytes};
}

namespace {

// RENAME INBOX: a new mailbox gets INBOX's messages, renumbered from 1 in UID
// order with their flags; INBOX records them as expunged.
Renamed rename_inbox(pqxx::transaction_base& tx, int64_t account_id, int64_t inbox_id, const std::string& to) {
  create_parents(tx, account_id, to);
  const int64_t new_id = insert_mailbox(tx, account_id, to, SpecialUse::kNone);
  auto in = pg::exec(tx,
      "UPDATE store.mailboxes SET highest_modseq = highest_modseq + 1, messages = 0, unseen = 0, bytes = 0"
      " WHERE id = $1 RETURNING highest_modseq",
      inbox_id);
  const int64_t inbox_modseq = in[0][0].as<int64_t>();
  auto counts = pg::exec(tx,
      "SELECT count(*), count(*) FILTER (WHERE (i.flags & 1) = 0), COALESCE(sum(m.size), 0)"
      " FROM store.mail_index i JOIN store.messages m ON m.id = i.message_id WHERE i.mailbox_id = $1",
      inbox_id);
  const int64_t n = counts[0][0].as<int64_t>();
  auto nb = pg::exec(tx,
      "UPDATE store.mailboxes SET uid_next = uid_next + $2, highest_modseq = highest_modseq + 1, messages = $2,"
      " unseen = $3, bytes = $4, keywords = (SELECT keywords FROM store.mailboxes WHERE id = $5)"
      " WHERE id = $1 RETURNING highest_modseq",
      new_id, n, counts[0][1].as<int64_t>(), counts[0][2].as<int64_t>(), inbox_id);
  const int64_t new_modseq = nb[0][0].as<int64_t>();
  pg::exec(tx,
      "WITH s AS (SELECT uid, row_number() OVER (ORDER BY uid) AS rn FROM store.mail_index WHERE mailbox_id = $1),"
      " u AS (UPDATE store.mail_index i SET mailbox_id = $2, uid = s.rn, modseq = $3 FROM s"
      "   WHERE i.mailbox_id = $1 AND i.uid = s.uid RETURNING s.uid AS old_uid)"
      " INSERT INTO store.expunged(mailbox_id, uid, modseq) SELECT $1, old_uid, $4 FROM u ON CONFLICT DO NOTHING",
      inbox_id, new_id, new_modseq, inbox_modseq);
  return Renamed{new_id, static_cast<int>(n)};
}

}  // namespace

Result<Renamed> rename_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view from,
                               std::string_view to) {
  auto f = normalize_mailbox_name(from);
  auto t = normalize_mailbox_name(to);
  if (!f || !t || *t == kInbox) return Error::kNameInvalid;
  if (*f == *t) return Error::kAlreadyExists;
  if (t->compare(0, f->size() + 1, *f + kDelimiter) == 0) return Error::kNameInvalid;  // into itself
  lock_account(tx, account_id);
  auto src = pg::exec(tx, "SELECT id FROM store.mailboxes WHERE account_id = $1 AND name = $2 FOR UPDATE", account_id, *f);
  if (src.empty()) return Error::kNotFound;
  if (exists(tx, account_id, *t)) return Error::kAlreadyExists;
  if (*f == kInbox) return rename_inbox(tx, account_id, src[0][0].as<int64_t>(), *t);

  // The mailbox and its children, locked in id order.
  auto set = pg::exec(tx,
      "SELECT id, name FROM store.mailboxes WHERE account_id = $1 AND (name = $2 OR starts_with(name, $2 || '/'))"
      " ORDER BY id FOR UPDATE",
      account_id, *f);
  std::vector<int64_t> ids;
  std::vector<std::string> old_names, new_names;
  for (const auto& row : set) {
    ids.push_back(row[0].as<int64_t>());
    old_names.push_back(row[1].as<std::string>());
    auto nn = normalize_mailbox_name(*t + old_names.back().substr(f->size()));
    if (!nn) return Error::kNameInvalid;  // a child's new name is too long or too deep
    new_names.push_back(*nn);
  }
  auto clash = pg::exec(tx, "SELECT 1 FROM store.mailboxes WHERE account_id = $1 AND name = ANY($2::text[]) LIMIT 1",
                        account_id, detail::text_array(new_names));
  if (!clash.empty()) return Error::kAlreadyExists;
  create_parents(tx, account_id, *t);
  // New UIDVALIDITYs: a client may have cached another mailbox of a new name.
  const int64_t first = detail::allocate_uidvalidity(tx, account_id, static_cast<int>(ids.size()));
  int64_t new_id = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    pg::exec(tx, "UPDATE store.mailboxes SET name = $2, uidvalidity = $3 WHERE id = $1", ids[i], new_names[i],
             first + static_cast<int64_t>(i));
    if (old_names[i] == *f) new_id = ids[i];
  }
  // Subscriptions follow the names.
  auto subs = pg::exec(tx, "DELETE FROM store.subscriptions WHERE account_id = $1 AND name = ANY($2::text[]) RETURNING name",
                       account_id, detail::text_array(old_names));
  for (const auto& row : subs) {
    std::string old = row[0].as<std::string>();
    pg::exec(tx, "INSERT INTO store.subscriptions(account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", account_id,
             *t + old.substr(f->size()));
  }
  return Renamed{new_id, static_cast<int>(ids.size())};
}

Result<Done> subscribe(pqxx::transaction_base& tx, int64_t account_id, std::string_view name) {
  auto norm = normalize_mailbox_name(name);
  if (!norm) return Error::kNameInvalid;
  pg::exec(tx, "INSERT INTO store.subscriptions(account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", account_id,
           *norm);
  return Done{};
}

Result<Done> unsubscribe(pqxx::transaction_base& tx, int64_t account_id, std::string_view name) {
  auto norm = normalize_mailbox_name(name);
  if (!norm) return Error::kNameInvalid;
  auto r = pg::exec(tx, "DELETE FROM store.subscriptions WHERE account_id = $1 AND name = $2 RETURNING name", account_id,
                    *norm);
  if (r.empty()) return Error::kNotFound;
  return Done{};
}

std::vector<std::string> list_subscriptions(pqxx::transaction_base& tx, int64_t account_id) {
  auto r = pg::exec(tx, "SELECT name FROM store.subscriptions WHERE account_id = $1", account_id);
  std::vector<std::string> out;
  for (const auto& row : r) out.push_back(row[0].as<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mail::store
