// SPDX-License-Identifier: Apache-2.0
// Store operations against a real PostgreSQL (a throw-away database):
// exactly-once copies, UID/MODSEQ allocation, exact sizes, maildrop leases, expunge.
#include <gtest/gtest.h>

#include <thread>

#include "mail/pg/testing.h"
#include "mail/store/mailstore.h"

using namespace mail;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    conn_ = std::make_unique<pqxx::connection>(db_->conninfo());
    pqxx::work tx(*conn_);
    auto d = tx.exec("INSERT INTO directory.domains(name) VALUES ('s.test') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id");
    auto a = tx.exec_params(
        "INSERT INTO directory.accounts(domain_id, address, password_hash) VALUES ($1, 'u' || $2 || '@s.test', 'x') RETURNING id",
        d[0][0].as<int64_t>(), std::to_string(++counter_) + std::to_string(::getpid()));
    account_ = a[0][0].as<int64_t>();
    auto b = tx.exec("INSERT INTO store.blobs(size, chunks) VALUES (20, 2) RETURNING id");
    blob_ = b[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2), ($1, 1, $3)", blob_,
                   pqxx::binarystring(std::string("Subject: hi\r\n\r\n")), pqxx::binarystring(std::string("body\r\n")));
    tx.exec_params("UPDATE store.blobs SET size = 21 WHERE id = $1", blob_);
    tx.commit();
  }
  store::CopyRequest request(int64_t job, int64_t rcpt) {
    store::CopyRequest r;
    r.job_id = job;
    r.recipient_id = rcpt;
    r.account_id = account_;
    r.blob_id = blob_;
    r.blob_size = 21;
    r.header_size = 15;
    r.header_prefix = "Return-Path: <a@b>\r\nDelivered-To: u@s.test\r\n";
    return r;
  }
  static pg::testing::TempDatabase* db_;
  static int counter_;
  std::unique_ptr<pqxx::connection> conn_;
  int64_t account_ = 0, blob_ = 0;
};
pg::testing::TempDatabase* StoreTest::db_ = nullptr;
int StoreTest::counter_ = 0;

}  // namespace

TEST_F(StoreTest, RepeatedDeliveryMakesOneCopy) {
  store::StoredCopy first, second;
  {
    pqxx::work tx(*conn_);
    first = store::store_copy(tx, request(1, 1));
    tx.commit();
  }
  {
    pqxx::work tx(*conn_);
    second = store::store_copy(tx, request(1, 1));
    tx.commit();
  }
  EXPECT_FALSE(first.already);
  EXPECT_TRUE(second.already);
  EXPECT_EQ(first.message_id, second.message_id);
  EXPECT_EQ(first.uid, 1);
  pqxx::work tx(*conn_);
  auto md = store::load_maildrop(tx, account_);
  ASSERT_EQ(md.messages.size(), 1u);
  std::string full = store::read_message(tx, md.messages[0].message_id);
  EXPECT_EQ(full, "Return-Path: <a@b>\r\nDelivered-To: u@s.test\r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(md.messages[0].size, full.size()) << "sizes add up exactly";
  EXPECT_EQ(store::quota_used(tx, account_), full.size());
}

TEST_F(StoreTest, ConcurrentDuplicateHitsUniqueKey) {
  pqxx::connection other(db_->conninfo());
  pqxx::work a(*conn_);
  store::store_copy(a, request(2, 5));
  std::thread t([&] {
    pqxx::work b(other);
    EXPECT_THROW(store::store_copy(b, request(2, 5)), pqxx::unique_violation);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  a.commit();
  t.join();
}

TEST_F(StoreTest, UidsAndModseqsIncreaseAndExpungeReleasesQuota) {
  pqxx::work tx(*conn_);
  auto c1 = store::store_copy(tx, request(3, 1));
  auto c2 = store::store_copy(tx, request(4, 1));
  auto c3 = store::store_copy(tx, request(5, 1));
  EXPECT_EQ(c2.uid, c1.uid + 1);
  EXPECT_EQ(c3.uid, c2.uid + 1);
  EXPECT_GT(c3.modseq, c1.modseq);
  uint64_t used = store::quota_used(tx, account_);
  EXPECT_EQ(store::expunge(tx, c1.mailbox_id, account_, {c1.uid, c3.uid, 999}), 2);
  auto md = store::load_maildrop(tx, account_);
  ASSERT_EQ(md.messages.size(), 1u);
  EXPECT_EQ(md.messages[0].uid, c2.uid);
  EXPECT_EQ(store::quota_used(tx, account_), used / 3);
  auto counts = tx.exec_params("SELECT messages, unseen FROM store.mailboxes WHERE id = $1", c1.mailbox_id);
  EXPECT_EQ(counts[0][0].as<int>(), 1);
  EXPECT_EQ(counts[0][1].as<int>(), 1);
  auto ex = tx.exec_params("SELECT count(*) FROM store.expunged WHERE mailbox_id = $1", c1.mailbox_id);
  EXPECT_EQ(ex[0][0].as<int>(), 2);
}

TEST_F(StoreTest, MaildropLeaseIsExclusiveUntilReleasedOrExpired) {
  pqxx::work tx(*conn_);
  EXPECT_TRUE(store::lock_maildrop(tx, account_, "session-a", 60));
  EXPECT_FALSE(store::lock_maildrop(tx, account_, "session-b", 60));
  EXPECT_TRUE(store::lock_maildrop(tx, account_, "session-a", 60)) << "the holder may renew";
  store::unlock_maildrop(tx, account_, "session-a");
  EXPECT_TRUE(store::lock_maildrop(tx, account_, "session-b", -1)) << "free after release";
  EXPECT_TRUE(store::lock_maildrop(tx, account_, "session-c", 60)) << "an expired lease is taken over";
}

TEST_F(StoreTest, EmptyMaildropWithoutInbox) {
  pqxx::work tx(*conn_);
  auto md = store::load_maildrop(tx, account_);
  EXPECT_EQ(md.mailbox_id, 0);
  EXPECT_TRUE(md.messages.empty());
  EXPECT_EQ(store::read_blob_prefix(tx, blob_, 5), "Subje");
}

TEST_F(StoreTest, TwoRecipientsOfOneJobInOneMailboxGetOneCopy) {
  pqxx::work tx(*conn_);
  auto a = store::store_copy(tx, request(7, 1));  // e.g. postmaster@ resolved to this account
  auto b = store::store_copy(tx, request(7, 2));  // and the account's own address
  EXPECT_FALSE(a.already);
  EXPECT_TRUE(b.already);
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(store::load_maildrop(tx, account_).messages.size(), 1u);
  auto again = store::store_copy(tx, request(7, 2));
  EXPECT_TRUE(again.already) << "the repeat of the deduplicated recipient is a no-op too";
  auto rows = tx.exec("SELECT count(*) FROM store.deliveries WHERE job_id = 7");
  EXPECT_EQ(rows[0][0].as<int>(), 2);
}
