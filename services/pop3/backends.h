// SPDX-License-Identifier: Apache-2.0
// The two backends a POP3 session talks to, as interfaces so that the
// session can be tested with fakes: the Authenticator (the admin service's
// Directory API, through the shared mail_directory_client) and the
// MaildropStore (the `store` schema in PostgreSQL). Every method BLOCKS: the
// session calls them only through net::offload on the blocking pool. The
// Authenticator answers kUnavailable when the directory is down; store
// methods return a common::Result error (never throw) on infrastructure
// failure. The session maps both to "-ERR [SYS/TEMP]".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mail/common/result.h"
#include "mail/directory/client/directory_client.h"
#include "mail/store/mailstore.h"

namespace mail::pop3d {

/// The Authenticator is the shared Directory client's interface
/// (mail_directory_client); its fakes implement directory::Authenticator.
using directory::Authenticator;
using directory::AuthAnswer;

/// Result of taking the lease and reading the snapshot in one transaction.
struct OpenResult {
  bool locked = false;           ///< false: another live session holds the lease
  bool gone = false;             ///< the account no longer exists (a cached login outlived it)
  store::Maildrop maildrop;      ///< valid when locked
};

/// Result of the UPDATE state.
struct CommitResult {
  bool lease_held = true;  ///< false: the lease was lost, nothing was deleted
  int deleted = 0;         ///< messages actually removed
  int seen = 0;            ///< messages that got \Seen
};

class MaildropStore {
 public:
  virtual ~MaildropStore() = default;
  /// Take (or extend) the account's maildrop lease for `holder` and, if it
  /// was granted, load the INBOX snapshot; both in one transaction.
  virtual common::Result<OpenResult> open(int64_t account_id, const std::string& holder, int ttl_seconds) = 0;
  /// Extend the lease; false when another holder has it now.
  virtual common::Result<bool> renew(int64_t account_id, const std::string& holder, int ttl_seconds) = 0;
  /// Drop the lease if `holder` still has it.
  virtual common::Status release(int64_t account_id, const std::string& holder) = 0;
  /// The whole message (trace prefix + body); nullopt when it no longer exists.
  virtual common::Result<std::optional<std::string>> read_message(int64_t message_id) = 0;
  /// The message in parts for streaming: part 0 is the trace prefix, parts
  /// 1.. the body chunks. nullopt for part 0: the message no longer exists;
  /// for a later part: there are no more.
  virtual common::Result<std::optional<std::string>> read_part(int64_t message_id, size_t part) = 0;
  /// UPDATE state in one transaction: check the lease is still ours, remove
  /// the uids, set \Seen on the `seen` ones (retrieved whole, as Dovecot
  /// does; IMAP sees both), release the lease. Nothing changes when the
  /// lease is lost or the transaction fails (then an error).
  virtual common::Result<CommitResult> commit(int64_t account_id, const std::string& holder, int ttl_seconds,
                                              int64_t mailbox_id, const std::vector<int64_t>& uids,
                                              const std::vector<int64_t>& seen) = 0;
};

}  // namespace mail::pop3d
