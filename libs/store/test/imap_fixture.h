// SPDX-License-Identifier: Apache-2.0
// The fixture the IMAP store tests share: one throw-away database per suite
// (pg::testing::TempDatabase, every migration applied, as store_test.cpp
// does), a superuser connection for set-up and inspection, and a connection
// as mail_imap, so the operations run with exactly the rights 003 grants
// (and the mda's sweep as mail_mda).
// Each test gets an account of its own.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "mail/pg/testing.h"
#include "mail/store/imap_index.h"
#include "mail/store/imap_messages.h"
#include "mail/store/mailboxes.h"
#include "mail/store/mailstore.h"
#include "mail/store/sweep.h"

namespace imap_test {

using namespace mail;

class ImapStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void SetUp() override {
    admin_ = std::make_unique<pqxx::connection>(db_->conninfo());
    imap_ = connect("mail_imap");
    account_ = new_account();
  }
  std::unique_ptr<pqxx::connection> connect(const std::string& role) {
    return std::make_unique<pqxx::connection>(db_->conninfo() + " user=" + role);
  }
  int64_t new_account(int64_t quota = 0) {
    pqxx::work tx(*admin_);
    auto d = tx.exec(
        "INSERT INTO directory.domains(name) VALUES ('i.test') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
        " RETURNING id");
    auto a = tx.exec_params(
        "INSERT INTO directory.accounts(domain_id, address, password_hash, quota_bytes)"
        " VALUES ($1, 'u' || $2 || '@i.test', 'x', $3) RETURNING id",
        d[0][0].as<int64_t>(), std::to_string(++counter_) + "p" + std::to_string(::getpid()), quota);
    tx.commit();
    return a[0][0].as<int64_t>();
  }
  int64_t scalar(const std::string& sql) {
    pqxx::work tx(*admin_);
    return tx.exec(sql)[0][0].as<int64_t>();
  }
  // A mailbox of the test's account, created (as mail_imap) and committed.
  int64_t mailbox(const std::string& name) {
    pqxx::work tx(*imap_);
    auto r = store::create_mailbox(tx, account_, name);
    EXPECT_TRUE(r.ok()) << name;
    tx.commit();
    return r.ok() ? *r : 0;
  }
  int64_t inbox() {
    pqxx::work tx(*imap_);
    store::ensure_default_mailboxes(tx, account_);
    auto m = store::find_mailbox(tx, account_, "INBOX");
    tx.commit();
    return m->id;
  }
  store::Appended append(int64_t mailbox_id, const std::string& text, int flags = 0,
                         std::vector<std::string> keywords = {}) {
    pqxx::work tx(*imap_);
    store::AppendRequest req;
    req.flags = flags;
    req.keywords = std::move(keywords);
    auto r = store::append_message(tx, account_, mailbox_id, text, req);
    EXPECT_TRUE(r.ok());
    tx.commit();
    return r.ok() ? *r : store::Appended{};
  }
  /// A delivery of `text` as the mda makes it: the blob committed (as the
  /// mta would), and the request for one copy into this account's INBOX.
  store::CopyRequest delivery(const std::string& text, uint32_t header_size, int64_t job_id) {
    pqxx::work tx(*admin_);
    auto b = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, 1) RETURNING id", int64_t(text.size()));
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2)", b[0][0].as<int64_t>(),
                   pqxx::binarystring(text));
    tx.commit();
    store::CopyRequest cr;
    cr.job_id = job_id;
    cr.recipient_id = 1;
    cr.account_id = account_;
    cr.blob_id = b[0][0].as<int64_t>();
    cr.blob_size = text.size();
    cr.header_size = header_size;
    return cr;
  }
  // One sweep batch as the mda runs it (mail_mda), committed.
  store::SweepResult sweep(std::chrono::seconds grace, size_t limit = 1000, int64_t blobs_after = 0) {
    auto mda = connect("mail_mda");
    pqxx::work tx(*mda);
    auto r = store::sweep_orphans(tx, grace, limit, blobs_after);
    tx.commit();
    return r;
  }
  store::MailboxInfo info(const std::string& name) {
    pqxx::work tx(*imap_);
    auto m = store::find_mailbox(tx, account_, name);
    EXPECT_TRUE(m.ok()) << name;
    return m.ok() ? *m : store::MailboxInfo{};
  }

  static inline pg::testing::TempDatabase* db_ = nullptr;
  static inline int counter_ = 0;
  std::unique_ptr<pqxx::connection> admin_, imap_;
  int64_t account_ = 0;
};

inline const std::string kMessage = "Subject: hello\r\nFrom: a@b.test\r\n\r\nbody text\r\n";

}  // namespace imap_test
