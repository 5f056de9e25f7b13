// SPDX-License-Identifier: Apache-2.0
// The mailbox store in PostgreSQL (schema `store`): delivery of a copy into a
// mailbox (exactly once per job, recipient and account), reading messages back,
// maildrop leases and expunge for POP3 and IMAP (which marks; sweep.h frees).
// All functions run inside a transaction the caller owns, so that the mda can
// put resolution, storage and the queue's "delivered" mark in ONE commit.
// UIDs and MODSEQs come from the mailbox row (UPDATE ... RETURNING), whose lock
// makes commit order equal UID order; never from a sequence.
// Trusts: ids from the caller (checked by foreign keys); all SQL parameterized.
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::store {

/// System flags as bits of mail_index.flags.
enum Flag : int { kSeen = 1, kAnswered = 2, kFlagged = 4, kDeleted = 8, kDraft = 16 };

inline constexpr std::string_view kInbox = "INBOX";

/// Size and header length of a stored blob.
struct BlobInfo {
  int64_t id = 0;
  uint64_t size = 0;
};
std::optional<BlobInfo> blob_info(pqxx::transaction_base& tx, int64_t blob_id);

/// The first `max_bytes` of a blob (enough for the header section).
std::string read_blob_prefix(pqxx::transaction_base& tx, int64_t blob_id, size_t max_bytes);

/// Calls fn for each chunk of the blob in order (never the whole body at once).
void for_each_chunk(pqxx::transaction_base& tx, int64_t blob_id, const std::function<void(std::string_view)>& fn);

/// The id of the account's mailbox `name`, created when missing.
int64_t ensure_mailbox(pqxx::transaction_base& tx, int64_t account_id, std::string_view name);

/// Bytes the account uses now (0 when it never received mail).
uint64_t quota_used(pqxx::transaction_base& tx, int64_t account_id);

struct StoredCopy {
  int64_t message_id = 0;
  int64_t mailbox_id = 0;
  int64_t uid = 0;
  int64_t modseq = 0;
  bool already = false;  // an earlier call stored it; nothing new was written
};

struct CopyRequest {
  int64_t job_id = 0;
  int64_t recipient_id = 0;
  int64_t account_id = 0;
  int64_t blob_id = 0;
  uint64_t blob_size = 0;
  uint32_t header_size = 0;   // bytes of the blob's header section
  std::string header_prefix;  // per-recipient trace lines, CRLF-terminated
  /// The stored form of the MIME tree of header_prefix + body
  /// (message_structure.h); nullopt leaves it to the first FETCH that
  /// needs it (a body too large to parse at delivery).
  std::optional<std::string> structure;
  /// mime::search_fields() of the blob's header section (migration 006);
  /// nullopt leaves it to the first SEARCH that needs it.
  std::optional<std::string> search_fields;
};

/// Stores one copy into the account's INBOX (creating the default mailboxes
/// at the account's first delivery) unless (job, recipient, account)
/// was stored before, or another recipient of the same job already put a copy
/// in this account (then only the delivery record is added: one copy per
/// mailbox per transaction). Updates counts, quota usage, UID and MODSEQ.
StoredCopy store_copy(pqxx::transaction_base& tx, const CopyRequest& req);

struct MaildropEntry {
  int64_t uid = 0;
  int64_t message_id = 0;
  uint64_t size = 0;   // exact octets as RETR sends them (before dot-stuffing)
};

struct Maildrop {
  int64_t mailbox_id = 0;  // 0 when the account never had an INBOX
  int64_t uidvalidity = 0;
  std::vector<MaildropEntry> messages;  // ascending uid
};

/// The account's INBOX as POP3 sees it.
Maildrop load_maildrop(pqxx::transaction_base& tx, int64_t account_id);

/// Exclusive maildrop lease for `holder` until now+ttl; false when another live holder has it.
bool lock_maildrop(pqxx::transaction_base& tx, int64_t account_id, std::string_view holder, int ttl_seconds);
void unlock_maildrop(pqxx::transaction_base& tx, int64_t account_id, std::string_view holder);

/// The whole message as delivered: trace prefix + body (bounded by the caller's max).
std::string read_message(pqxx::transaction_base& tx, int64_t message_id);

struct Expunged {
  std::vector<int64_t> uids;  ///< those that were there and are gone, ascending
  int64_t modseq = 0;         ///< the MODSEQ they were expunged at (0: no such mailbox)
};

/// Removes the UIDs from the mailbox (recording them in store.expunged with a
/// new MODSEQ) and releases their quota. A message whose last index row goes
/// is only marked orphaned (store.messages.orphaned_at) in this transaction:
/// a session not yet told of the expunge may still COPY or FETCH it. The
/// mda's sweep (sweep_orphans(), sweep.h) deletes it once the mark is older
/// than the grace period and it still has no index row, then its blob when
/// nothing else refers to it; its store.deliveries rows stay, message_id
/// NULL, so a repeated Deliver still stores nothing.
Expunged expunge_uids(pqxx::transaction_base& tx, int64_t mailbox_id, int64_t account_id,
                      const std::vector<int64_t>& uids);

/// expunge_uids() for POP3: how many were removed.
int expunge(pqxx::transaction_base& tx, int64_t mailbox_id, int64_t account_id, const std::vector<int64_t>& uids);

}  // namespace mail::store
