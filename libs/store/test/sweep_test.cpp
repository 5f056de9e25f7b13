// SPDX-License-Identifier: Apache-2.0
// Mark-and-sweep of expunged messages and their blobs, as the roles that do
// it: expunge (mail_imap, mail_pop3) only marks a message that lost its last
// index row; the mda's sweep (mail_mda) deletes it after the grace (0 here)
// and then the blob nothing refers to. A message copied after its mark (a
// session that had not seen the expunge) survives; blobs of jobs and staging
// rows survive; two sweeps at once neither fail nor wait; the exactly-once
// key stays, so a repeated delivery of an expunged copy stores nothing.
#include "imap_fixture.h"

using namespace mail;
using imap_test::ImapStoreTest;
using imap_test::kMessage;
using std::chrono::seconds;

namespace {

int64_t count_of(pqxx::connection& c, const std::string& sql, int64_t id) {
  pqxx::work tx(c);
  return tx.exec_params(sql, id)[0][0].as<int64_t>();
}

constexpr const char* kMessageRows = "SELECT count(*) FROM store.messages WHERE id = $1";
constexpr const char* kOrphaned = "SELECT count(*) FROM store.messages WHERE id = $1 AND orphaned_at IS NOT NULL";
constexpr const char* kBlobRows = "SELECT count(*) FROM store.blobs WHERE id = $1";

}  // namespace

class SweepTest : public ImapStoreTest {
 protected:
  // Batches until the messages are done and the blob pass has gone round once.
  store::SweepResult sweep_all(seconds grace, size_t limit = 100) {
    store::SweepResult total;
    int64_t cursor = 0;
    for (int i = 0; i < 10000; ++i) {
      auto r = sweep(grace, limit, cursor);
      total.messages += r.messages;
      total.blobs += r.blobs;
      total.bytes += r.bytes;
      cursor = r.blob_cursor;
      if (!r.more && cursor == 0) break;
    }
    return total;
  }
  int64_t blob_of(int64_t message_id) {
    return count_of(*admin_, "SELECT blob_id FROM store.messages WHERE id = $1", message_id);
  }
};

TEST_F(SweepTest, ExpungeOfTheLastCopyMarksAndTheSweepDeletes) {
  int64_t a = mailbox("A");
  int64_t b = mailbox("B");
  auto app = append(a, kMessage);
  const int64_t blob = blob_of(app.message_id);
  {
    pqxx::work tx(*imap_);
    ASSERT_TRUE(store::copy_messages(tx, account_, a, b, {app.uid}).ok());
    auto e = store::expunge_uids(tx, a, account_, {app.uid});
    EXPECT_EQ(e.uids, (std::vector<int64_t>{app.uid}));
    EXPECT_GT(e.modseq, 0);
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, kOrphaned, app.message_id), 0) << "still in B";
  sweep_all(seconds(0));
  EXPECT_EQ(count_of(*admin_, kMessageRows, app.message_id), 1) << "still in B";
  {
    pqxx::work tx(*imap_);
    ASSERT_TRUE(store::store_flags(tx, account_, b, {{1}, store::StoreOp::kAdd, store::kDeleted, {}, {}}).ok());
    EXPECT_EQ(store::expunge_deleted(tx, account_, b)->uids, (std::vector<int64_t>{1}));
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, "SELECT bytes FROM store.quota_usage WHERE account_id = $1", account_), 0);
  EXPECT_EQ(count_of(*admin_, kOrphaned, app.message_id), 1) << "marked, not deleted";
  EXPECT_EQ(count_of(*admin_, kBlobRows, blob), 1);
  {
    // Within the grace a session that has not seen the expunge still reads it.
    pqxx::work tx(*imap_);
    EXPECT_EQ(*store::read_whole_message(tx, account_, app.message_id), kMessage);
  }
  sweep_all(seconds(3600));
  EXPECT_EQ(count_of(*admin_, kMessageRows, app.message_id), 1) << "the grace is not over";
  const int64_t size = count_of(*admin_, "SELECT size FROM store.blobs WHERE id = $1", blob);
  auto freed = sweep_all(seconds(0));
  EXPECT_EQ(count_of(*admin_, kMessageRows, app.message_id), 0);
  EXPECT_EQ(count_of(*admin_, kBlobRows, blob), 0);
  EXPECT_EQ(freed.blobs, 1);
  EXPECT_EQ(freed.bytes, size) << "the sweep says how many bytes it freed";
  EXPECT_GT(size, 0);
  EXPECT_EQ(count_of(*admin_, "SELECT count(*) FROM store.blob_chunks WHERE blob_id = $1", blob), 0);
}

TEST_F(SweepTest, CopyFromASnapshotTakenBeforeTheExpungeSucceedsAndSurvives) {
  int64_t a = mailbox("A");
  int64_t c = mailbox("C");
  auto app = append(a, kMessage);
  // Another session's view, taken before the expunge: it still sees the
  // message in A and copies it by id, as COPY does (index row, same message).
  auto other = connect("mail_imap");
  pqxx::transaction<pqxx::isolation_level::repeatable_read> old(*other);
  auto seen = store::message_meta(old, account_, a, {app.uid});
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  {
    pqxx::work tx(*imap_);
    EXPECT_EQ(store::expunge_uids(tx, a, account_, {app.uid}).uids.size(), 1u);
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, kOrphaned, app.message_id), 1);
  old.exec_params(
      "WITH m AS (UPDATE store.mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1,"
      "   messages = messages + 1, unseen = unseen + 1, bytes = bytes + $3 WHERE id = $1"
      "   RETURNING uid_next - 1 AS uid, highest_modseq AS modseq)"
      " INSERT INTO store.mail_index(mailbox_id, uid, message_id, modseq) SELECT $1, uid, $2, modseq FROM m",
      c, (*seen)[0].message_id, static_cast<int64_t>((*seen)[0].size));
  EXPECT_NO_THROW(old.commit()) << "no foreign-key error: the message row is still there";
  sweep_all(seconds(0));
  EXPECT_EQ(count_of(*admin_, kMessageRows, app.message_id), 1) << "it has an index row again";
  EXPECT_EQ(count_of(*admin_, kOrphaned, app.message_id), 0) << "the sweep took the mark away";
  pqxx::work tx(*imap_);
  EXPECT_EQ(*store::read_whole_message(tx, account_, app.message_id), kMessage);
}

TEST_F(SweepTest, CopyAndMoveClearTheMark) {
  int64_t a = mailbox("A");
  int64_t b = mailbox("B");
  int64_t c = mailbox("C");
  auto app = append(a, kMessage);
  // The mark an expunge leaves when it races a COPY that had not committed.
  {
    pqxx::work tx(*admin_);
    tx.exec_params("UPDATE store.messages SET orphaned_at = now() - interval '2 hours' WHERE id = $1", app.message_id);
    tx.commit();
  }
  {
    pqxx::work tx(*imap_);
    ASSERT_TRUE(store::copy_messages(tx, account_, a, b, {app.uid}).ok());
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, kOrphaned, app.message_id), 0) << "COPY clears it";
  {
    pqxx::work tx(*imap_);
    auto m = store::move_messages(tx, account_, a, c, {app.uid});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->expunged.uids.size(), 1u);
    tx.commit();
  }
  EXPECT_EQ(count_of(*admin_, kOrphaned, app.message_id), 0) << "MOVE's source side: it is in B and C";
  sweep_all(seconds(0));
  EXPECT_EQ(count_of(*admin_, kMessageRows, app.message_id), 1);
}

TEST_F(SweepTest, SweepKeepsBlobsThatJobsOrStagingStillUse) {
  int64_t job_blob, staged_blob, free_blob, young_blob;
  {
    pqxx::work tx(*admin_);
    auto old_blob = [&] {
      return tx.exec("INSERT INTO store.blobs(size, chunks, created_at) VALUES (0, 0, now() - interval '2 hours')"
                     " RETURNING id")[0][0].as<int64_t>();
    };
    job_blob = old_blob();
    staged_blob = old_blob();
    free_blob = old_blob();
    young_blob = tx.exec("INSERT INTO store.blobs(size, chunks) VALUES (0, 0) RETURNING id")[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO queue.jobs(queue_id, blob_id, sender, size) VALUES (md5(random()::text), $1, '', 0)",
                   job_blob);
    tx.exec_params("INSERT INTO queue.staging(token, blob_id) VALUES (md5(random()::text), $1)", staged_blob);
    tx.commit();
  }
  // Batches of 2 ids: the pass over all blobs takes several calls.
  auto r = sweep_all(seconds(3600), 2);
  EXPECT_GE(r.blobs, 1);
  EXPECT_EQ(count_of(*admin_, kBlobRows, free_blob), 0) << "nobody refers to it";
  EXPECT_EQ(count_of(*admin_, kBlobRows, job_blob), 1);
  EXPECT_EQ(count_of(*admin_, kBlobRows, staged_blob), 1);
  EXPECT_EQ(count_of(*admin_, kBlobRows, young_blob), 1) << "younger than the grace (an APPEND still writing it)";
  // Only the mda may run the blob half, and pop3/imap may not reach it.
  auto pop3 = connect("mail_pop3");
  pqxx::work tx(*pop3);
  EXPECT_THROW(store::sweep_orphans(tx, seconds(0), 10), pqxx::insufficient_privilege);
}

TEST_F(SweepTest, TwoSweepsAtOnceNeitherFailNorWait) {
  int64_t a = mailbox("A");
  std::vector<int64_t> uids, ids;
  for (int i = 0; i < 12; ++i) {
    auto app = append(a, kMessage);
    uids.push_back(app.uid);
    ids.push_back(app.message_id);
  }
  {
    pqxx::work tx(*imap_);
    EXPECT_EQ(store::expunge_uids(tx, a, account_, uids).uids.size(), uids.size());
    tx.commit();
  }
  // Two replicas: the first holds its batch uncommitted while the second
  // runs; the second skips what the first locked and must not wait for it.
  auto mda1 = connect("mail_mda");
  auto mda2 = connect("mail_mda");
  pqxx::work t1(*mda1);
  pqxx::work t2(*mda2);
  t2.exec("SET LOCAL lock_timeout = '2s'");
  store::SweepResult r1, r2;
  ASSERT_NO_THROW(r1 = store::sweep_orphans(t1, seconds(0), 5));
  ASSERT_NO_THROW(r2 = store::sweep_orphans(t2, seconds(0), 1000));
  EXPECT_EQ(r1.messages, 5);
  EXPECT_GE(r2.messages, 7);
  t2.commit();
  t1.commit();
  sweep_all(seconds(0));
  std::string arr = "{";
  for (size_t i = 0; i < ids.size(); ++i) arr += (i ? "," : "") + std::to_string(ids[i]);
  arr += "}";
  pqxx::work tx(*admin_);
  EXPECT_EQ(tx.exec_params("SELECT count(*) FROM store.messages WHERE id = ANY($1::bigint[])", arr)[0][0].as<int>(), 0);
  EXPECT_EQ(tx.exec_params("SELECT count(*) FROM store.blobs b JOIN store.messages m ON m.blob_id = b.id"
                           " WHERE m.account_id = $1", account_)[0][0].as<int>(), 0);
}

TEST_F(SweepTest, RepeatedDeliveryOfAnExpungedCopyStoresNothing) {
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
  EXPECT_EQ(count_of(*admin_, kOrphaned, first.message_id), 1);
  sweep_all(seconds(0));
  EXPECT_EQ(count_of(*admin_, kMessageRows, first.message_id), 0);
  EXPECT_EQ(count_of(*admin_, kBlobRows, blob), 1) << "its job still uses it";
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
