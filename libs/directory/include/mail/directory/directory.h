// SPDX-License-Identifier: Apache-2.0
// Directory: the one interface to domains, accounts and aliases. The admin
// service serves it over gRPC (Admin for changes, Directory for the questions
// the edges ask); PgDirectory is the PostgreSQL implementation.
// All calls block (they run on the caller's worker threads, never an I/O thread)
// and report failures as Result errors; none throws for bad input or a down
// database. Inputs are untrusted: every name is validated and normalized here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/directory/result.h"

namespace mail::directory {

struct DomainInfo {
  int64_t id = 0;
  std::string name;
  uint64_t accounts = 0;
};

struct AccountInfo {
  int64_t id = 0;
  std::string address;
  uint64_t quota_bytes = 0;  ///< 0 = unlimited
  uint64_t used_bytes = 0;   ///< from store.quota_usage; 0 when no row yet
  uint64_t messages = 0;
  bool disabled = false;
};

struct AliasInfo {
  std::string address;
  std::vector<std::string> targets;  ///< sorted
};

struct AuthResult {
  int64_t account_id = 0;
  std::string address;  ///< the account's address, normalized
};

/// local_too_large: the size asked about is larger than the account's whole
/// quota, so it can never fit (a permanent refusal); local_over_quota: it
/// does not fit now.
enum class RecipientStatus { local_ok, local_unknown, local_over_quota, not_local, local_too_large };

struct RecipientCheck {
  RecipientStatus status = RecipientStatus::local_unknown;
  std::string normalized;  ///< the address asked about, normalized
};

class Directory {
 public:
  virtual ~Directory() = default;

  // ---- administration ---------------------------------------------------
  /// Errors: invalid_argument (bad name), already_exists.
  virtual Result<DomainInfo> add_domain(std::string_view name) = 0;
  /// Refuses with failed_precondition while the domain has accounts, unless
  /// `force` (which deletes the accounts, their mail and the domain's aliases).
  virtual Status delete_domain(std::string_view name, bool force) = 0;
  virtual Result<std::vector<DomainInfo>> list_domains() = 0;

  /// The domain must exist (not_found); the address must not be an account or
  /// alias already (already_exists); password 1..kMaxPasswordBytes bytes.
  virtual Result<AccountInfo> add_account(std::string_view address, std::string_view password,
                                          uint64_t quota_bytes) = 0;
  /// Also removes the account from the targets of aliases (an alias left with
  /// no target disappears), and its mail with it.
  virtual Status delete_account(std::string_view address) = 0;
  virtual Result<AccountInfo> get_account(std::string_view address) = 0;
  /// Empty domain = every domain. A named domain that does not exist: not_found.
  virtual Result<std::vector<AccountInfo>> list_accounts(std::string_view domain) = 0;
  virtual Status set_password(std::string_view address, std::string_view password) = 0;
  virtual Result<AccountInfo> set_quota(std::string_view address, uint64_t quota_bytes) = 0;
  /// A disabled account cannot log in (authenticate answers "no"); its mail
  /// is still delivered. not_found when there is no such account.
  virtual Result<AccountInfo> set_disabled(std::string_view address, bool disabled) = 0;

  /// Adds targets to the alias (creating it). The address must be in a local
  /// domain and not an account; each target is any valid address, local or
  /// remote. already_exists when every target was there already.
  virtual Result<AliasInfo> add_alias(std::string_view address, const std::vector<std::string>& targets) = 0;
  /// Empty target = the whole alias. not_found when nothing matched.
  virtual Status delete_alias(std::string_view address, std::string_view target) = 0;
  virtual Result<std::vector<AliasInfo>> list_aliases(std::string_view domain) = 0;

  // ---- questions from the edges -----------------------------------------
  /// username = the account's address (normalized here). nullopt for a wrong
  /// password, an unknown user or a disabled account, after the same work in
  /// each case. Errors only when the database cannot answer.
  virtual Result<std::optional<AuthResult>> authenticate(std::string_view username, std::string_view password) = 0;
  /// The account's own address and every alias that targets it directly.
  virtual Result<std::vector<std::string>> sender_addresses(int64_t account_id) = 0;
  /// Does this recipient exist here and have room for `size` bytes (0 = unknown)?
  virtual Result<RecipientCheck> check_recipient(std::string_view address, uint64_t size) = 0;

  /// Can the directory answer now (for /readyz)?
  virtual bool ready() = 0;
};

}  // namespace mail::directory
