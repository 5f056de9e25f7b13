// SPDX-License-Identifier: Apache-2.0
// Expunge no longer leaks: the message row goes with its last index row and
// the blob when nothing refers to it (no message, job or staging row), as
// the roles that expunge (mail_imap, mail_pop3). The exactly-once key stays:
// a repeated delivery of an expunged copy stores nothing.
#include "imap_fixture.h"

using namespace mail;
using imap_test::ImapStoreTest;
using imap_test::kMessage;

namespace {

int64_t count_of(pqxx::connection& c, const std::string& sql, int64_t id) {
  pqxx::work tx(c);
  return tx.exec_params(sql, id)[0][0].as<int64_t>();
}

}  // namespace

TEST_F(ImapStoreTest, ExpungeOfTheLastCopyDeletesMessageAndBlob) {
  int64_t a = mailbox("A");
  int64_t b = mailbox("B");
  auto app = append(a, kMessage);
  int64_t blob = count_of(*admin_, "SELECT blob_id FROM store.messages WHERE id = $1", app.message_id);
  {
    pqxx::work tx(*imap_);
    ASSERT_TRUE(store::copy_messages(tx, account_, a, b, {app.uid}).ok());
    auto e = store::expunge_uids(tx, a, account_, {app.uid});
    EXPECT_EQ(e.uids, (std::vector<int64_t>{app.uid}));
    EXPECT_GT(e.modseq, 0);
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.messages WHERE id = $1", app.message_id), 1)
      << "still in B";
  {
    pqxx::work tx(*imap_);
    ASSERT_TRUE(store::store_flags(tx, account_, b, {{1}, store::StoreOp::kAdd, store::kDeleted, {}, {}}).ok());
    EXPECT_EQ(store::expunge_deleted(tx, account_, b)->uids, (std::vector<int64_t>{1}));
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.messages WHERE id = $1", app.message_id), 0);
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blobs WHERE id = $1", blob), 0);
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blob_chunks WHERE blob_id = $1", blob), 0);
  EXPECT_EQ(count_of(*admin_, "SELECT bytes FROM store.quota_usage WHERE account_id = $1", account_), 0);
}

TEST_F(ImapStoreTest, PurgeKeepsBlobsThatJobsOrStagingStillUse) {
  int64_t job_blob, staged_blob, free_blob;
  {
    pqxx::work tx(*admin_);
    job_blob = tx.exec("INSERT INTO store.blobs(size, chunks) VALUES (0, 0) RETURNING id")[0][0].as<int64_t>();
    staged_blob = tx.exec("INSERT INTO store.blobs(size, chunks) VALUES (0, 0) RETURNING id")[0][0].as<int64_t>();
    free_blob = tx.exec("INSERT INTO store.blobs(size, chunks) VALUES (0, 0) RETURNING id")[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO queue.jobs(queue_id, blob_id, sender, size) VALUES (md5(random()::text), $1, '', 0)",
                   job_blob);
    tx.exec_params("INSERT INTO queue.staging(token, blob_id) VALUES (md5(random()::text), $1)", staged_blob);
    tx.commit();
  }
  auto pop3 = connect("mail_pop3");
  pqxx::work tx(*pop3);
  auto n = tx.exec_params("SELECT store.purge_blobs($1::bigint[])",
                          "{" + std::to_string(job_blob) + "," + std::to_string(staged_blob) + "," +
                              std::to_string(free_blob) + "}");
  EXPECT_EQ(n[0][0].as<int>(), 1) << "only the blob nobody refers to";
  tx.commit();
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blobs WHERE id = $1", free_blob), 0);
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blobs WHERE id = $1", job_blob), 1);
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blobs WHERE id = $1", staged_blob), 1);
}

TEST_F(ImapStoreTest, RepeatedDeliveryOfAnExpungedCopyStoresNothing) {
  int64_t blob, job;
  {
    pqxx::work tx(*admin_);
    blob = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, 1) RETURNING id",
                          int64_t(kMessage.size()))[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2)", blob,
                   pqxx::binarystring(kMessage));
    job = tx.exec_params("INSERT INTO queue.jobs(queue_id, blob_id, sender, size) VALUES (md5(random()::text), $1, '', $2)"
                         " RETURNING id", blob, int64_t(kMessage.size()))[0][0].as<int64_t>();
    tx.commit();
  }
  store::CopyRequest cr;
  cr.job_id = job;
  cr.recipient_id = 7;
  cr.account_id = account_;
  cr.blob_id = blob;
  cr.blob_size = kMessage.size();
  cr.header_prefix = "Delivered-To: u@i.test\r\n";
  auto mda = connect("mail_mda");
  store::StoredCopy first;
  {
    pqxx::work tx(*mda);
    first = store::store_copy(tx, cr);
    tx.commit();
  }
  ASSERT_FALSE(first.already);
  auto pop3 = connect("mail_pop3");
  {
    pqxx::work tx(*pop3);
    EXPECT_EQ(store::expunge(tx, first.mailbox_id, account_, {first.uid}), 1);
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.messages WHERE id = $1", first.message_id), 0);
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blobs WHERE id = $1", blob), 1) << "its job still uses it";
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.deliveries WHERE job_id = $1 AND message_id IS NULL", job), 1);
  {
    pqxx::work tx(*mda);
    auto again = store::store_copy(tx, cr);
    EXPECT_TRUE(again.already);
    EXPECT_EQ(again.message_id, 0);
    cr.recipient_id = 8;  // another recipient of the job, resolving to the same account
    auto other = store::store_copy(tx, cr);
    EXPECT_TRUE(other.already);
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.messages WHERE account_id = $1", account_), 0);
  EXPECT_EQ(count_of(*admin_, "SELECT messages FROM store.mailboxes WHERE id = $1", first.mailbox_id), 0);
}
