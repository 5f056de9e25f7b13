// SPDX-License-Identifier: Apache-2.0
// imap_index.h: a mailbox's index as an IMAP session works with it: SELECT /
// EXAMINE (state plus every message's UID, MODSEQ, flags and keywords, and
// the \Recent messages), the changes since a MODSEQ (RFC 7162 CONDSTORE /
// QRESYNC, and resynchronising a session after a notification), STORE with
// UNCHANGEDSINCE, and EXPUNGE of \Deleted messages.
//
// Every write takes a new MODSEQ from `UPDATE store.mailboxes ... RETURNING`
// first: the mailbox row lock then orders this change against every other
// writer of the mailbox (delivery, APPEND, COPY, another session's STORE)
// until commit, so MODSEQs and UIDs are handed out in commit order. Readers
// (select_mailbox, changes_since) take the row FOR SHARE so that what they
// return is one consistent state: run them in a read-write transaction
// (pqxx::work; PostgreSQL refuses FOR SHARE in a READ ONLY one) and commit
// promptly, since writers of the mailbox wait for it.
// Trusts: account ids from the authenticated session; every mailbox id is
// checked against the account (Error::kNotFound). UIDs not in the mailbox
// are ignored, as UID STORE / UID EXPUNGE do. All SQL parameterized.
// Diagnostics: Error values for expected refusals; libpqxx exceptions for
// database failures, converted by the caller's adapter.
#pragma once
#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mail/store/errors.h"
#include "mail/store/mailboxes.h"
#include "mail/store/mailstore.h"
#include "mail/store/uid_map.h"

namespace mail::store {

/// One message of the index. flags: bits of store::Flag (\Recent is not
/// stored: see Selected::recent_uids).
struct IndexEntry {
  int64_t uid = 0;
  int64_t modseq = 0;
  int flags = 0;
  std::vector<std::string> keywords;
  bool operator==(const IndexEntry&) const = default;
};

/// A mailbox's index in UID order (sequence number = position + 1) as a
/// session keeps it: the UIDs as runs (uid_map.h), one byte of flags a
/// message, and keywords for the messages that have any, as positions in
/// the mailbox's keyword list. No MODSEQs: they come from the store when a
/// command needs them (FETCH MODSEQ, CHANGEDSINCE, SEARCH MODSEQ).
struct MailboxIndex {
  UidMap uids;
  std::vector<uint8_t> flags;  ///< store::Flag bits
  /// (position, indexes into Selected::keywords), ascending position.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> keywords;
  size_t size() const { return uids.size(); }
  /// The message at `pos`, its keywords spelled from `names` (modseq 0).
  IndexEntry entry(size_t pos, const std::vector<std::string>& names) const;
  /// Appends a message above the last UID, without keywords; false (and
  /// nothing changes) for a UID not above it.
  bool push_back(int64_t uid, uint8_t message_flags);
  /// Removes the messages at `positions` (ascending, unique).
  void erase_positions(const std::vector<size_t>& positions);
};

struct Selected {
  MailboxInfo mailbox;                ///< as LIST/STATUS reports it (recent: before this SELECT)
  std::vector<std::string> keywords;  ///< keywords known in this mailbox (FLAGS)
  MailboxIndex index;
  UidMap recent_uids;                 ///< \Recent for this session (read-write only)
  IndexEntry entry(size_t pos) const { return index.entry(pos, keywords); }
};

/// SELECT (read_write) or EXAMINE of `name`. A read-write SELECT moves the
/// mailbox's \Recent mark to uid_next: the messages it reports as recent
/// are recent for no later session. kNameInvalid, kNotFound.
Result<Selected> select_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name,
                                bool read_write);

struct Changes {
  int64_t highest_modseq = 0;
  int64_t uid_next = 0;
  int64_t messages = 0;
  std::vector<IndexEntry> changed;     ///< modseq > since, ascending UID (new messages included)
  std::vector<int64_t> expunged;       ///< expunged with modseq > since, ascending
  std::vector<std::string> keywords;   ///< the mailbox's keywords now (a new one means a new FLAGS)
  /// The highest MODSEQ whose expunge records were purged (migration 005).
  /// When `since` is below it, `expunged` may miss UIDs: `present` then
  /// holds every UID in the mailbox (ascending), and whatever the caller
  /// knows that is not there is gone.
  int64_t expunged_horizon = 0;
  std::optional<std::vector<int64_t>> present;
};

/// Deletes at most `limit` store.expunged rows recorded longer ago than
/// `retention`, raising each mailbox's expunged_horizon to the highest
/// MODSEQ it purged, in the caller's transaction. Returns how many went.
/// Rows another purge holds are skipped (several mda replicas may run it).
int64_t purge_expunged(pqxx::transaction_base& tx, std::chrono::seconds retention, size_t limit);

/// What changed in the mailbox after `since` (a MODSEQ the session has seen).
Result<Changes> changes_since(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id, int64_t since);

enum class StoreOp { kAdd, kRemove, kReplace };  ///< +FLAGS, -FLAGS, FLAGS

struct StoreRequest {
  std::vector<int64_t> uids;
  StoreOp op = StoreOp::kAdd;
  int flags = 0;                         ///< store::Flag bits
  std::vector<std::string> keywords;     ///< case-insensitive; stored in the mailbox's first spelling
  std::optional<int64_t> unchanged_since;  ///< RFC 7162 UNCHANGEDSINCE
};

struct StoreResult {
  int64_t modseq = 0;                ///< the MODSEQ every changed message now has
  std::vector<IndexEntry> changed;   ///< new flags/keywords/modseq, ascending UID
  std::vector<int64_t> modified;     ///< refused by UNCHANGEDSINCE (RFC 7162 [MODIFIED]), ascending
};

/// STORE: one new MODSEQ for the call; messages whose flags would not change
/// keep theirs (RFC 7162 §3.1.3 allows it) and are not reported. Keeps the
/// mailbox's unseen count and known keywords right. kNotFound.
Result<StoreResult> store_flags(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                const StoreRequest& req);

/// EXPUNGE (uids empty) or UID EXPUNGE (only those of `uids`): removes the
/// index rows of the messages flagged \Deleted, as expunge_uids() does: a
/// message that lost its last one is marked orphaned, and deleted with its
/// blob by the mda's sweep after the grace period (sweep.h). kNotFound.
Result<Expunged> expunge_deleted(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                 const std::vector<int64_t>& uids = {});

}  // namespace mail::store
