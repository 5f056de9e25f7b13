// SPDX-License-Identifier: Apache-2.0
// PgMailStore: the MailStore of backends.h over libs/store and a bounded
// pool of PostgreSQL connections (no connection per session). Each call is
// one short transaction; every libpqxx or pool exception becomes a
// common::Result error here (pg::guarded), never reaching a session.
#pragma once
#include "backends.h"
#include "mail/pg/pool.h"

namespace mail::imapd {

class PgMailStore final : public MailStore {
 public:
  explicit PgMailStore(pg::Pool& pool) : pool_(pool) {}

  common::Status open_account(int64_t account) override;
  common::Result<Listing> list(int64_t account) override;
  common::Result<store::Result<int64_t>> create(int64_t account, const std::string& name,
                                                store::SpecialUse use) override;
  common::Result<store::Result<store::DeletedMailbox>> remove(int64_t account, const std::string& name) override;
  common::Result<store::Result<store::Renamed>> rename(int64_t account, const std::string& from,
                                                       const std::string& to) override;
  common::Result<store::Result<store::Done>> subscribe(int64_t account, const std::string& name,
                                                       bool subscribe) override;
  common::Result<store::Result<store::MailboxInfo>> status(int64_t account, const std::string& name) override;
  common::Result<store::Result<store::Selected>> select(int64_t account, const std::string& name,
                                                        bool read_write) override;
  common::Result<store::Result<store::Expunged>> expunge(int64_t account, int64_t mailbox_id,
                                                         const std::vector<int64_t>& uids) override;
  // ---- APPEND ---------------------------------------------------------------
  common::Result<store::Result<AppendDone>> append(int64_t account, const std::string& name,
                                                   const std::string& message,
                                                   const store::AppendRequest& req) override;
  // ---- end APPEND -----------------------------------------------------------
  // ---- QUOTA ----------------------------------------------------------------
  common::Result<store::Quota> quota(int64_t account) override;
  // ---- end QUOTA ------------------------------------------------------------
  common::Result<store::Result<CopyDone>> copy(int64_t account, int64_t source, const std::string& dest,
                                               const std::vector<int64_t>& uids, bool move) override;
  common::Result<store::Result<store::Changes>> changes(int64_t account, int64_t mailbox_id, int64_t since) override;

  // ---- FETCH and STORE (wt-fetch) ----
  common::Result<store::Result<std::vector<store::MessageHeader>>> read_headers(
      int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids) override;
  common::Result<store::Result<std::vector<store::MessageMeta>>> fetch_meta(
      int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids, int64_t changed_since) override;
  common::Result<store::Result<std::vector<store::MessageSearchFields>>> read_search_fields(
      int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids) override;
  common::Result<size_t> save_search_fields(
      int64_t account, const std::vector<std::pair<int64_t, std::string>>& by_message) override;
  common::Result<store::Result<std::string>> read_message(int64_t account, int64_t message_id,
                                                          size_t max_bytes) override;
  common::Result<store::Result<store::StoreResult>> store_flags(int64_t account, int64_t mailbox_id,
                                                                const store::StoreRequest& req) override;
  // ---- end FETCH and STORE ----
  // ---- stored MIME trees and range reads (wt-struct) ----
  common::Result<store::Result<std::vector<store::StoredStructure>>> fetch_structures(
      int64_t account, const std::vector<int64_t>& message_ids) override;
  common::Result<store::Result<bool>> save_structure(int64_t account, int64_t message_id,
                                                     const std::string& structure,
                                                     const std::optional<std::string>& replacing) override;
  common::Result<store::Result<std::string>> read_message_range(int64_t account, int64_t message_id,
                                                                uint64_t offset, uint64_t length) override;
  // ---- end stored MIME trees and range reads ----

 private:
  /// f(tx) in one read-write transaction, committed when f returns.
  template <class F>
  auto in_transaction(F&& f) -> common::Result<decltype(f(std::declval<pqxx::work&>()))>;

  pg::Pool& pool_;
};

}  // namespace mail::imapd
