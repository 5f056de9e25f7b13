// SPDX-License-Identifier: Apache-2.0
// PgDirectory: the Directory over PostgreSQL (schema directory, and
// store.quota_usage read-only for usage figures). Blocking; each call takes a
// pooled connection for one short transaction. Password hashing runs outside
// any transaction, so no connection is held while Argon2 works.
// Needs the mail_admin role's grants (see migrations/001_init.sql).
// Errors: database exceptions become ErrorCode::unavailable (connection lost,
// pool exhausted, serialization conflicts) or internal (anything else).
#pragma once
#include <string>

#include "mail/directory/directory.h"
#include "mail/directory/password.h"
#include "mail/pg/pool.h"

namespace mail::directory {

struct DirectoryOptions {
  Argon2Params argon2;
  /// Characters that start a subaddress ("user+tag"); empty disables the fallback.
  std::string subaddress_separators = "+";
  /// Upper bound on the targets of one alias.
  size_t max_alias_targets = 1000;
  /// Where postmaster@ and abuse@ of a domain without their own alias go
  /// (resolve.h rule 4); empty: such recipients are unknown at RCPT.
  std::string postmaster;
};

class PgDirectory final : public Directory {
 public:
  /// Throws std::invalid_argument on bad Argon2 parameters (start-up).
  explicit PgDirectory(pg::Pool& pool, DirectoryOptions options = {});

  Result<DomainInfo> add_domain(std::string_view name) override;
  Status delete_domain(std::string_view name, bool force) override;
  Result<std::vector<DomainInfo>> list_domains() override;

  Result<AccountInfo> add_account(std::string_view address, std::string_view password, uint64_t quota_bytes) override;
  Status delete_account(std::string_view address) override;
  Result<AccountInfo> get_account(std::string_view address) override;
  Result<std::vector<AccountInfo>> list_accounts(std::string_view domain) override;
  Status set_password(std::string_view address, std::string_view password) override;
  Result<AccountInfo> set_quota(std::string_view address, uint64_t quota_bytes) override;
  Result<AccountInfo> set_disabled(std::string_view address, bool disabled) override;

  Result<AliasInfo> add_alias(std::string_view address, const std::vector<std::string>& targets) override;
  Status delete_alias(std::string_view address, std::string_view target) override;
  Result<std::vector<AliasInfo>> list_aliases(std::string_view domain) override;

  Result<std::optional<AuthResult>> authenticate(std::string_view username, std::string_view password) override;
  Result<std::vector<std::string>> sender_addresses(int64_t account_id) override;
  Result<RecipientCheck> check_recipient(std::string_view address, uint64_t size) override;

  bool ready() override;

 private:
  pg::Pool& pool_;
  DirectoryOptions options_;
  PasswordHasher hasher_;
};

}  // namespace mail::directory
