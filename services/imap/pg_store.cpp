// SPDX-License-Identifier: Apache-2.0
// PgMailStore (see pg_store.h): each method is one libs/store call in its
// own transaction. Runs on the blocking pool only.
#include "pg_store.h"

#include <cstdint>

#include "mail/pg/guarded.h"

namespace mail::imapd {

template <class F>
auto PgMailStore::in_transaction(F&& f) -> common::Result<decltype(f(std::declval<pqxx::work&>()))> {
  using T = decltype(f(std::declval<pqxx::work&>()));
  return pg::guarded([&]() -> common::Result<T> {
    return pool_.with([&](pqxx::connection& c) -> common::Result<T> {
      pqxx::work tx(c);
      T out = f(tx);
      tx.commit();
      return out;
    });
  });
}

common::Status PgMailStore::open_account(int64_t account) {
  auto r = in_transaction([&](pqxx::work& tx) {
    store::ensure_default_mailboxes(tx, account);
    return store::Done{};
  });
  if (!r.ok()) return r.error();
  return common::Done{};
}

common::Result<Listing> PgMailStore::list(int64_t account) {
  return in_transaction([&](pqxx::work& tx) {
    Listing out;
    out.mailboxes = store::list_mailboxes(tx, account);
    out.subscriptions = store::list_subscriptions(tx, account);
    return out;
  });
}

common::Result<store::Result<int64_t>> PgMailStore::create(int64_t account, const std::string& name,
                                                           store::SpecialUse use) {
  return in_transaction([&](pqxx::work& tx) { return store::create_mailbox(tx, account, name, use); });
}

common::Result<store::Result<store::DeletedMailbox>> PgMailStore::remove(int64_t account, const std::string& name) {
  return in_transaction([&](pqxx::work& tx) { return store::delete_mailbox(tx, account, name); });
}

common::Result<store::Result<store::Renamed>> PgMailStore::rename(int64_t account, const std::string& from,
                                                                  const std::string& to) {
  return in_transaction([&](pqxx::work& tx) { return store::rename_mailbox(tx, account, from, to); });
}

common::Result<store::Result<store::Done>> PgMailStore::subscribe(int64_t account, const std::string& name,
                                                                  bool on) {
  return in_transaction([&](pqxx::work& tx) {
    return on ? store::subscribe(tx, account, name) : store::unsubscribe(tx, account, name);
  });
}

common::Result<store::Result<store::MailboxInfo>> PgMailStore::status(int64_t account, const std::string& name) {
  return in_transaction([&](pqxx::work& tx) { return store::find_mailbox(tx, account, name); });
}

common::Result<store::Result<store::Selected>> PgMailStore::select(int64_t account, const std::string& name,
                                                                   bool read_write) {
  return in_transaction([&](pqxx::work& tx) { return store::select_mailbox(tx, account, name, read_write); });
}

common::Result<store::Result<store::Expunged>> PgMailStore::expunge(int64_t account, int64_t mailbox_id,
                                                                    const std::vector<int64_t>& uids) {
  return in_transaction([&](pqxx::work& tx) { return store::expunge_deleted(tx, account, mailbox_id, uids); });
}

// ---- APPEND -------------------------------------------------------------------
common::Result<store::Result<AppendDone>> PgMailStore::append(int64_t account, const std::string& name,
                                                              const std::string& message,
                                                              const store::AppendRequest& req) {
  return in_transaction([&](pqxx::work& tx) -> store::Result<AppendDone> {
    auto box = store::find_mailbox(tx, account, name);
    if (!box.ok()) return box.error();
    auto appended = store::append_message(tx, account, box->id, message, req);
    if (!appended.ok()) return appended.error();
    return AppendDone{box->id, appended.value()};
  });
}
// ---- end APPEND ---------------------------------------------------------------

// ---- QUOTA --------------------------------------------------------------------
common::Result<store::Quota> PgMailStore::quota(int64_t account) {
  return in_transaction([&](pqxx::work& tx) { return store::account_quota(tx, account); });
}
// ---- end QUOTA ----------------------------------------------------------------
// ---- FETCH and STORE (wt-fetch) ----

common::Result<store::Result<std::vector<store::MessageSearchFields>>> PgMailStore::read_search_fields(
    int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids) {
  return in_transaction([&](pqxx::work& tx) { return store::read_search_fields(tx, account, mailbox_id, uids); });
}

common::Result<size_t> PgMailStore::save_search_fields(int64_t account,
                                                       const std::vector<std::pair<int64_t, std::string>>& by_message) {
  return in_transaction([&](pqxx::work& tx) { return store::save_search_fields(tx, account, by_message); });
}

common::Result<store::Result<std::vector<store::MessageMeta>>> PgMailStore::fetch_meta(
    int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids, int64_t changed_since) {
  return in_transaction(
      [&](pqxx::work& tx) { return store::message_meta(tx, account, mailbox_id, uids, changed_since); });
}

common::Result<store::Result<std::vector<store::MessageHeader>>> PgMailStore::read_headers(
    int64_t account, int64_t mailbox_id, const std::vector<int64_t>& uids) {
  return in_transaction([&](pqxx::work& tx) { return store::read_headers(tx, account, mailbox_id, uids); });
}

common::Result<store::Result<std::string>> PgMailStore::read_message(int64_t account, int64_t message_id,
                                                                     size_t max_bytes) {
  return in_transaction([&](pqxx::work& tx) {
    return max_bytes == SIZE_MAX ? store::read_whole_message(tx, account, message_id)
                                 : store::read_message_prefix(tx, account, message_id, max_bytes);
  });
}

common::Result<store::Result<store::StoreResult>> PgMailStore::store_flags(int64_t account, int64_t mailbox_id,
                                                                           const store::StoreRequest& req) {
  return in_transaction([&](pqxx::work& tx) { return store::store_flags(tx, account, mailbox_id, req); });
}

// ---- end FETCH and STORE ----

// ---- COPY and MOVE ------------------------------------------------------------
common::Result<store::Result<MailStore::CopyDone>> PgMailStore::copy(int64_t account, int64_t source,
                                                                      const std::string& dest,
                                                                      const std::vector<int64_t>& uids, bool move) {
  return in_transaction([&](pqxx::work& tx) -> store::Result<CopyDone> {
    auto box = store::find_mailbox(tx, account, dest);
    if (!box.ok()) return box.error();
    if (move) {
      auto moved = store::move_messages(tx, account, source, box->id, uids);
      if (!moved.ok()) return moved.error();
      return CopyDone{box->id, moved.value()};
    }
    auto copied = store::copy_messages(tx, account, source, box->id, uids);
    if (!copied.ok()) return copied.error();
    return CopyDone{box->id, store::Moved{copied.value(), {}}};
  });
}
// ---- end COPY and MOVE --------------------------------------------------------

common::Result<store::Result<store::Changes>> PgMailStore::changes(int64_t account, int64_t mailbox_id,
                                                                   int64_t since) {
  return in_transaction([&](pqxx::work& tx) { return store::changes_since(tx, account, mailbox_id, since); });
}

// ---- stored MIME trees and range reads (wt-struct) -------------------------------
common::Result<store::Result<std::vector<store::StoredStructure>>> PgMailStore::fetch_structures(
    int64_t account, const std::vector<int64_t>& message_ids) {
  return in_transaction([&](pqxx::work& tx) {
    return store::Result<std::vector<store::StoredStructure>>(store::message_structures(tx, account, message_ids));
  });
}

common::Result<store::Result<bool>> PgMailStore::save_structure(int64_t account, int64_t message_id,
                                                                const std::string& structure,
                                                                const std::optional<std::string>& replacing) {
  return in_transaction([&](pqxx::work& tx) {
    return store::Result<bool>(store::save_message_structure(tx, account, message_id, structure, replacing));
  });
}

common::Result<store::Result<std::string>> PgMailStore::read_message_range(int64_t account, int64_t message_id,
                                                                           uint64_t offset, uint64_t length) {
  return in_transaction([&](pqxx::work& tx) { return store::read_message_range(tx, account, message_id, offset, length); });
}
// ---- end stored MIME trees and range reads ---------------------------------------

}  // namespace mail::imapd
