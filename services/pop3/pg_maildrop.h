// SPDX-License-Identifier: Apache-2.0
// PgMaildropStore: MaildropStore over the `store` schema (role mail_pop3),
// one pooled connection per operation, never one per session.
// Trusts: ids from the session (which got them from the database).
#pragma once
#include "backends.h"
#include "mail/pg/pool.h"

namespace mail::pop3d {

class PgMaildropStore : public MaildropStore {
 public:
  explicit PgMaildropStore(pg::Pool& pool) : pool_(pool) {}

  common::Result<OpenResult> open(int64_t account_id, const std::string& holder, int ttl_seconds) override;
  common::Result<bool> renew(int64_t account_id, const std::string& holder, int ttl_seconds) override;
  common::Status release(int64_t account_id, const std::string& holder) override;
  common::Result<std::optional<std::string>> read_message(int64_t message_id) override;
  common::Result<std::optional<std::string>> read_part(int64_t message_id, size_t part) override;
  common::Result<CommitResult> commit(int64_t account_id, const std::string& holder, int ttl_seconds,
                                      int64_t mailbox_id, const std::vector<int64_t>& uids,
                                      const std::vector<int64_t>& seen) override;

 private:
  pg::Pool& pool_;
};

}  // namespace mail::pop3d
