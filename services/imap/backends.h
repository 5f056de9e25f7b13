// SPDX-License-Identifier: Apache-2.0
// backends.h: the mailbox store as the IMAP session uses it, an interface so
// that sessions can be tested with a fake. Every method BLOCKS: sessions
// call them only through net::offload on the blocking pool. Two kinds of
// failure: the outer common::Result is the infrastructure (database down:
// the session answers NO [UNAVAILABLE]); the inner store::Result an
// expected refusal (no such mailbox, name taken...), mapped to NO with its
// response code in one place (session_mailbox.cpp, store_refusal()).
// Names are UTF-8 (the session decodes modified UTF-7).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mail/common/result.h"
#include "mail/store/imap_index.h"
#include "mail/store/imap_messages.h"
#include "mail/store/mailboxes.h"
#include "mail/store/message_structure.h"

namespace mail::imapd {

struct Listing {
  std::vector<store::MailboxInfo> mailboxes;  ///< by name
  std::vector<std::string> subscriptions;      ///< sorted
};

// ---- APPEND -------------------------------------------------------------------
struct AppendDone {
  int64_t mailbox_id = 0;
  store::Appended appended;
};
// ---- end APPEND -----------------------------------------------------------------

class MailStore {
 public:
  virtual ~MailStore() = default;
  /// At login: the default mailboxes (INBOX, Drafts, Sent, Trash, Junk,
  /// Archive) exist afterwards; one indexed read once they do.
  virtual common::Status open_account(int64_t account) = 0;
  virtual common::Result<Listing> list(int64_t account) = 0;
  virtual common::Result<store::Result<int64_t>> create(int64_t account, const std::string& name,
                                                        store::SpecialUse use) = 0;
  virtual common::Result<store::Result<store::DeletedMailbox>> remove(int64_t account, const std::string& name) = 0;
  virtual common::Result<store::Result<store::Renamed>> rename(int64_t account, const std::string& from,
                                                               const std::string& to) = 0;
  virtual common::Result<store::Result<store::Done>> subscribe(int64_t account, const std::string& name,
                                                               bool subscribe) = 0;
  virtual common::Result<store::Result<store::MailboxInfo>> status(int64_t account, const std::string& name) = 0;
  /// SELECT (read_write) or EXAMINE.
  virtual common::Result<store::Result<store::Selected>> select(int64_t account, const std::string& name,
                                                                bool read_write) = 0;
  /// The \Deleted messages of the mailbox (all of them when uids is empty).
  virtual common::Result<store::Result<store::Expunged>> expunge(int64_t account, int64_t mailbox_id,
                                                                 const std::vector<int64_t>& uids) = 0;

  // ---- APPEND -----------------------------------------------------------------
  /// The message (CRLF line ends) into the mailbox `name`: kNotFound,
  /// kOverQuota, else its UIDVALIDITY and UID.
  virtual common::Result<store::Result<AppendDone>> append(int64_t account, const std::string& name,
                                                           const std::string& message,
                                                           const store::AppendRequest& req) = 0;
  // ---- end APPEND ---------------------------------------------------------------

  // ---- QUOTA ------------------------------------------------------------------
  virtual common::Result<store::Quota> quota(int64_t account) = 0;
  // ---- end QUOTA --------------------------------------------------------------
  // ---- FETCH and STORE (wt-fetch) ----
  /// What FETCH knows of the messages of `uids` that still exist in the
  /// mailbox, ascending UID (a vanished UID is simply missing); with
  /// changed_since > 0 only those whose MODSEQ is above it.
  virtual common::Result<store::Result<std::vector<store::MessageMeta>>> fetch_meta(
      int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids, int64_t changed_since) = 0;
  /// The stored search fields of the messages of `uids` that still exist,
  /// ascending UID (store::read_search_fields), and the write-back of
  /// those computed for messages stored without them.
  virtual common::Result<store::Result<std::vector<store::MessageSearchFields>>> read_search_fields(
      int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids) = 0;
  virtual common::Result<size_t> save_search_fields(
      int64_t account, const std::vector<std::pair<int64_t, std::string>>& by_message) = 0;
  /// A message as FETCH sends it (trace prefix, then the body): its first
  /// `max_bytes` (the header section, when that is all an item needs), or
  /// all of it with SIZE_MAX.
  virtual common::Result<store::Result<std::string>> read_message(int64_t account, int64_t message_id,
                                                                  size_t max_bytes) = 0;
  /// SEARCH and SORT: the header sections (trace prefix included) of the
  /// messages of `uids` that still exist, ascending UID, in one call.
  virtual common::Result<store::Result<std::vector<store::MessageHeader>>> read_headers(
      int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids) = 0;
  /// STORE: the flags of req.uids (UIDs not in the mailbox are ignored).
  virtual common::Result<store::Result<store::StoreResult>> store_flags(int64_t account, int64_t mailbox_id,
                                                                        const store::StoreRequest& req) = 0;
  // ---- end FETCH and STORE ----

  // ---- COPY and MOVE ----------------------------------------------------------
  /// COPY (move false) or MOVE of `uids` from the mailbox `source` to the
  /// account's mailbox `dest` (kNotFound when it does not exist).
  struct CopyDone {
    int64_t dest_mailbox_id = 0;
    store::Moved moved;  ///< moved.expunged is empty for a COPY
  };
  virtual common::Result<store::Result<CopyDone>> copy(int64_t account, int64_t source, const std::string& dest,
                                                       const std::vector<int64_t>& uids, bool move) = 0;
  // ---- end COPY and MOVE ------------------------------------------------------

  /// What changed in the mailbox after MODSEQ `since` (resync).
  virtual common::Result<store::Result<store::Changes>> changes(int64_t account, int64_t mailbox_id,
                                                                int64_t since) = 0;

  // ---- stored MIME trees and range reads (wt-struct) ----------------------------
  // For FETCH (session_fetch.cpp, fetch_octets.h). The defaults are those of
  // a store that keeps no trees: FETCH then parses each message it reads,
  // and a range read reads the whole message.
  /// The stored trees (mail/store/message_structure.h) of those of
  /// `message_ids` that are the account's; nullopt where none is stored yet.
  virtual common::Result<store::Result<std::vector<store::StoredStructure>>> fetch_structures(
      int64_t /*account*/, const std::vector<int64_t>& /*message_ids*/) {
    return store::Result<std::vector<store::StoredStructure>>(std::vector<store::StoredStructure>{});
  }
  /// Keeps the tree FETCH computed for a message that had none, or still
  /// has `replacing` (a stored tree that did not decode); true when written.
  virtual common::Result<store::Result<bool>> save_structure(int64_t /*account*/, int64_t /*message_id*/,
                                                             const std::string& /*structure*/,
                                                             const std::optional<std::string>& /*replacing*/) {
    return store::Result<bool>(false);
  }
  /// Octets [offset, offset + length) of a message as FETCH sends it
  /// (fewer at its end), reading only what holds them.
  virtual common::Result<store::Result<std::string>> read_message_range(int64_t account, int64_t message_id,
                                                                        uint64_t offset, uint64_t length) {
    auto whole = read_message(account, message_id, SIZE_MAX);
    if (!whole.ok() || !whole->ok()) return whole;
    const std::string& m = whole->value();
    if (offset >= m.size()) return store::Result<std::string>(std::string());
    return store::Result<std::string>(m.substr(static_cast<size_t>(offset), static_cast<size_t>(length)));
  }
  // ---- end stored MIME trees and range reads ------------------------------------
};

}  // namespace mail::imapd
