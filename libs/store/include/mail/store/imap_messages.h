// SPDX-License-Identifier: Apache-2.0
// imap_messages.h: messages coming into and moving between an account's
// mailboxes through IMAP: APPEND (a new blob, RFC 4315 APPENDUID), COPY and
// MOVE (RFC 6851; COPYUID), the account's quota (RFC 9208), and what FETCH
// reads: sizes, internal dates, the header and the whole message.
//
// New UIDs and the MODSEQ come from `UPDATE store.mailboxes ... RETURNING`
// in the statement that inserts the index rows (the mailbox row first, then
// the quota row). COPY shares the source's store.messages row (one body, one
// trace prefix) and counts the copy's size against the quota again, as
// Dovecot does; MOVE is COPY plus expunge of the source in one transaction
// and does not need quota room. A copy clears the orphan mark of a message
// an expunge raced (see expunge_uids() and sweep.h). Quota checks read before they write, as the
// mda's do: concurrent writers may pass the limit by one message each.
// A new message's MIME tree is stored with it (message_structure.h); COPY
// and MOVE share it with the row.
// Trusts: account ids from the authenticated session; mailbox and message
// ids are checked against the account. Message bytes are opaque here (the
// IMAP layer checks the literal's size limit). All SQL parameterized.
// Diagnostics: Error values (kNotFound, kOverQuota); libpqxx exceptions for
// database failures.
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/store/errors.h"
#include "mail/store/mailstore.h"

namespace mail::store {

inline constexpr size_t kChunkSize = 256 * 1024;

struct Quota {
  uint64_t limit = 0;  ///< bytes; 0 = unlimited (directory.accounts.quota_bytes)
  uint64_t used = 0;   ///< bytes (store.quota_usage)
  uint64_t messages = 0;
  /// Whether `more` bytes still fit.
  bool allows(uint64_t more) const { return limit == 0 || used + more <= limit; }
};
Quota account_quota(pqxx::transaction_base& tx, int64_t account_id);

struct AppendRequest {
  int flags = 0;                        ///< store::Flag bits
  std::vector<std::string> keywords;
  std::optional<int64_t> internal_date; ///< seconds since the epoch; now when absent
};

struct Appended {
  int64_t uidvalidity = 0;
  int64_t uid = 0;
  int64_t modseq = 0;
  int64_t message_id = 0;
};

/// APPEND of a whole message held in memory: writes it as a new blob in
/// kChunkSize chunks, then indexes it, with its MIME tree
/// (message_structure.h). kNotFound (no such mailbox: the client is told
/// [TRYCREATE]), kOverQuota (nothing written).
Result<Appended> append_message(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                std::string_view message, const AppendRequest& req);

/// APPEND of a body the caller has already written with a store::BlobWriter
/// (a large literal, chunk by chunk): `size` bytes, the first `header_size`
/// of them the header section. `structure` is its tree's stored form
/// (store::message_structure()) and `search_fields` mime::search_fields()
/// of its header section, when the caller has them; without either the
/// blob is read back here to compute it. Same checks as append_message().
Result<Appended> append_blob(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id, int64_t blob_id,
                             uint64_t size, uint32_t header_size, const AppendRequest& req,
                             std::optional<std::string> structure = std::nullopt,
                             std::optional<std::string> search_fields = std::nullopt);

struct Copied {
  int64_t uidvalidity = 0;          ///< of the destination
  std::vector<int64_t> source_uids; ///< those that existed, ascending
  std::vector<int64_t> dest_uids;   ///< their new UIDs, in the same order
  int64_t modseq = 0;               ///< of the destination's new messages (0: nothing copied)
};

/// COPY of `uids` from one mailbox of the account to another (or the same).
/// UIDs not in the source are skipped. kNotFound (either mailbox), kOverQuota.
Result<Copied> copy_messages(pqxx::transaction_base& tx, int64_t account_id, int64_t source_id, int64_t dest_id,
                             const std::vector<int64_t>& uids);

struct Moved {
  Copied copied;
  Expunged expunged;  ///< from the source (the same UIDs as copied.source_uids)
};

/// MOVE: COPY, then expunge of the copied UIDs from the source, in the
/// caller's transaction. kNotFound.
Result<Moved> move_messages(pqxx::transaction_base& tx, int64_t account_id, int64_t source_id, int64_t dest_id,
                            const std::vector<int64_t>& uids);

/// What FETCH needs to know of a message without reading it.
struct MessageMeta {
  int64_t uid = 0;
  int64_t message_id = 0;
  uint64_t size = 0;           ///< RFC822.SIZE: trace prefix + body
  uint32_t header_size = 0;    ///< bytes of the header section, trace prefix included
  int64_t internal_date = 0;   ///< seconds since the epoch
  /// Its MODSEQ (RFC 7162), flags and keywords as one consistent state.
  int64_t modseq = 0;
  int flags = 0;  ///< store::Flag bits
  std::vector<std::string> keywords;
};

/// The messages of `uids` that exist in the mailbox, ascending UID; with
/// `changed_since` > 0 only those whose MODSEQ is above it (CHANGEDSINCE).
Result<std::vector<MessageMeta>> message_meta(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                              const std::vector<int64_t>& uids, int64_t changed_since = 0);

/// What SEARCH matches of the header fields of a message (migration 006):
/// mime::search_fields() of its header section, nullopt when the row
/// predates it (the caller computes it from the header section, and may
/// save it with save_search_fields()).
struct MessageSearchFields {
  int64_t uid = 0;
  int64_t message_id = 0;
  std::optional<std::string> fields;
};

/// The search fields of the messages of `uids` that exist in the mailbox,
/// ascending UID. kNotFound for a mailbox that is not the account's.
Result<std::vector<MessageSearchFields>> read_search_fields(pqxx::transaction_base& tx, int64_t account_id,
                                                            int64_t mailbox_id, const std::vector<int64_t>& uids);

/// Writes the search fields of the account's messages that have none yet
/// ((message id, fields) pairs; a row another reader filled is left).
/// Returns how many it wrote.
size_t save_search_fields(pqxx::transaction_base& tx, int64_t account_id,
                          const std::vector<std::pair<int64_t, std::string>>& by_message);

/// The header section of one message as FETCH sends it (trace prefix, then
/// the blob's header section): what SEARCH and SORT read of most messages.
struct MessageHeader {
  int64_t uid = 0;
  std::string header;
};

/// The header sections of the messages of `uids` that exist in the mailbox,
/// ascending UID, in one query (a header longer than one chunk is read on
/// its own). kNotFound for a mailbox of another account.
Result<std::vector<MessageHeader>> read_headers(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                                                const std::vector<int64_t>& uids);

/// The first `max_bytes` of the message as FETCH sends it (trace prefix, then
/// the body): enough for BODY[HEADER] when max_bytes >= header_size.
Result<std::string> read_message_prefix(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id,
                                        size_t max_bytes);

/// The whole message (trace prefix + body). Holds it in memory: for large
/// bodies the caller streams with for_each_chunk() instead.
Result<std::string> read_whole_message(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id);

}  // namespace mail::store
