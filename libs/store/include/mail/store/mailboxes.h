// SPDX-License-Identifier: Apache-2.0
// mailboxes.h: an account's mailboxes as IMAP sees them: names, the default
// set with their special uses (RFC 6154), LIST data, CREATE, DELETE, RENAME
// and subscriptions (RFC 3501 §6.3).
//
// Names are UTF-8 (the IMAP layer decodes modified UTF-7), the hierarchy
// delimiter is "/", and "INBOX" is case-insensitive (also as the first level
// of a longer name). CREATE makes missing parents as real mailboxes (RFC 3501
// SHOULD); DELETE refuses INBOX and a mailbox with children, as Dovecot does.
//
// Every function runs in a transaction the caller owns and is scoped by the
// account. UIDVALIDITY comes from store.account_state: max(epoch seconds,
// the account's last + 1), so it grows even across DELETE and CREATE of a
// name within one second. Lock order: account_state, then mailbox rows in id
// order, then quota_usage.
// Trusts: account ids from the authenticated session; names are checked here
// (Error::kNameInvalid). All SQL parameterized.
// Diagnostics: expected refusals are Error values; database failures are
// libpqxx exceptions for the caller's adapter.
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/errors.h"

namespace mail::store {

inline constexpr char kDelimiter = '/';
inline constexpr size_t kMaxMailboxName = 512;   ///< bytes of UTF-8
inline constexpr int kMaxMailboxDepth = 32;      ///< levels

/// RFC 6154 attributes; kNone is a mailbox without one.
enum class SpecialUse { kNone, kDrafts, kSent, kTrash, kJunk, kArchive };
/// "\Drafts", ...; "" for kNone.
std::string_view special_use_name(SpecialUse u);
/// The attribute for "\Drafts" etc. (case-insensitive); nullopt when unknown.
std::optional<SpecialUse> parse_special_use(std::string_view s);

/// The canonical form of a mailbox name (INBOX in upper case), or nullopt when
/// it is invalid: empty, longer than kMaxMailboxName, deeper than
/// kMaxMailboxDepth, with an empty level (leading, trailing or doubled "/"),
/// control characters or the LIST wildcards "*" and "%".
std::optional<std::string> normalize_mailbox_name(std::string_view name);

/// Creates INBOX, Drafts, Sent, Trash, Junk and Archive (with their special
/// uses, subscribed) once per account; an existing mailbox of one of those
/// names stays as it is. After the first time it is one indexed read. Safe
/// when two sessions run it at once (the account_state row serializes them).
void ensure_default_mailboxes(pqxx::transaction_base& tx, int64_t account_id);

/// One mailbox as LIST / STATUS report it.
struct MailboxInfo {
  int64_t id = 0;
  std::string name;
  SpecialUse special_use = SpecialUse::kNone;
  int64_t uidvalidity = 0;
  int64_t uid_next = 0;
  int64_t highest_modseq = 0;
  int64_t messages = 0;
  int64_t unseen = 0;
  int64_t recent = 0;    ///< messages with uid >= the \Recent mark
  int64_t bytes = 0;     ///< RFC822.SIZE sum (STATUS SIZE, QUOTA)
  bool subscribed = false;
  bool has_children = false;
};

/// Every mailbox of the account, by name.
std::vector<MailboxInfo> list_mailboxes(pqxx::transaction_base& tx, int64_t account_id);

/// One mailbox by (any case of INBOX, otherwise exact) name.
Result<MailboxInfo> find_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name);

/// CREATE: the mailbox and any missing parents. kAlreadyExists when `name`
/// exists, kNameInvalid, kSpecialUseInUse when another mailbox has `use`.
/// Returns the new mailbox's id.
Result<int64_t> create_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name,
                               SpecialUse use = SpecialUse::kNone);

struct DeletedMailbox {
  int64_t messages = 0;  ///< index rows removed (their quota released)
  int64_t bytes = 0;
};

/// DELETE: kInboxCannotBeDeleted, kNotFound, kHasChildren. Its messages are
/// expunged (quota released; messages nobody else indexes marked orphaned,
/// for the mda's sweep to delete with their blobs after the grace period).
/// Subscriptions stay (RFC 3501 §6.3.4 leaves them alone).
Result<DeletedMailbox> delete_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name);

struct Renamed {
  int64_t mailbox_id = 0;  ///< of the mailbox now called the new name
  int moved = 0;           ///< mailboxes renamed (the mailbox and its children), or
                           ///< messages moved when INBOX was renamed
};

/// RENAME: the mailbox and its children; each gets a new UIDVALIDITY (a
/// client may have cached another mailbox of the new name). Renaming INBOX
/// creates the new mailbox, moves every INBOX message into it (new UIDs in
/// order, flags kept) and leaves INBOX empty and its children where they are
/// (RFC 3501 §6.3.5). kNotFound, kAlreadyExists (the new name or one of the
/// children's new names exists), kNameInvalid (also: into itself, or to INBOX).
Result<Renamed> rename_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view from,
                               std::string_view to);

/// SUBSCRIBE: any valid name, existing or not; subscribing twice is fine.
Result<Done> subscribe(pqxx::transaction_base& tx, int64_t account_id, std::string_view name);
/// UNSUBSCRIBE: kNotFound when the name was not subscribed.
Result<Done> unsubscribe(pqxx::transaction_base& tx, int64_t account_id, std::string_view name);
/// LSUB / LIST (SUBSCRIBED): the subscribed names, sorted.
std::vector<std::string> list_subscriptions(pqxx::transaction_base& tx, int64_t account_id);

}  // namespace mail::store
