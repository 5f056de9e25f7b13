// SPDX-License-Identifier: Apache-2.0
// PgMaildropStore against a real PostgreSQL (a throw-away database with the
// migrations applied): lease exclusion and renewal, the snapshot, whole and
// chunked reads adding up to the indexed size, and QUIT's commit (deletes
// only with the lease, releases it); the first login makes the default mailboxes.
#include <gtest/gtest.h>

#include "mail/pg/pool.h"
#include "mail/pg/testing.h"
#include "mail/store/mailstore.h"
#include "pg_maildrop.h"

using namespace mail;
using namespace mail::pop3d;

namespace {

class PgMaildropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    // As the service's own role, so that missing grants fail here.
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_pop3", 2);
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    auto d = tx.exec(
        "INSERT INTO directory.domains(name) VALUES ('p.test') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
        " RETURNING id");
    account_ = tx.exec_params(
                     "INSERT INTO directory.accounts(domain_id, address, password_hash) VALUES ($1, $2, 'x') RETURNING id",
                     d[0][0].as<int64_t>(), "u" + std::to_string(++counter_) + "@p.test")[0][0]
                   .as<int64_t>();
    // A body in three chunks, one line starting with a dot.
    const std::string chunks[] = {"Subject: hi\r\n\r\n", ".dot line\r\n", "end\r\n"};
    int64_t blob = tx.exec("INSERT INTO store.blobs(size, chunks) VALUES (0, 3) RETURNING id")[0][0].as<int64_t>();
    size_t size = 0;
    for (int i = 0; i < 3; ++i) {
      tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)", blob, i,
                     pqxx::binarystring(chunks[i]));
      size += chunks[i].size();
    }
    tx.exec_params("UPDATE store.blobs SET size = $2 WHERE id = $1", blob, static_cast<int64_t>(size));
    for (int job = 1; job <= 2; ++job) {
      store::CopyRequest r;
      r.job_id = job;
      r.recipient_id = job;
      r.account_id = account_;
      r.blob_id = blob;
      r.blob_size = size;
      r.header_size = 15;
      r.header_prefix = "Return-Path: <a@b.test>\r\n";
      store::store_copy(tx, r);
    }
    tx.commit();
  }

  static pg::testing::TempDatabase* db_;
  static int counter_;
  std::unique_ptr<pg::Pool> pool_;
  int64_t account_ = 0;
};
pg::testing::TempDatabase* PgMaildropTest::db_ = nullptr;
int PgMaildropTest::counter_ = 0;

/// The value of a store call that must not fail (a failure fails the test
/// and gives T's default).
template <class T>
T ok(common::Result<T> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : T{};
}

}  // namespace

TEST_F(PgMaildropTest, LeaseIsExclusiveAndRenewable) {
  PgMaildropStore s(*pool_);
  OpenResult a = ok(s.open(account_, "A", 60));
  ASSERT_TRUE(a.locked);
  ASSERT_EQ(a.maildrop.messages.size(), 2u);
  EXPECT_GT(a.maildrop.uidvalidity, 0);
  EXPECT_FALSE(ok(s.open(account_, "B", 60)).locked);
  EXPECT_TRUE(ok(s.renew(account_, "A", 60)));
  EXPECT_FALSE(ok(s.renew(account_, "B", 60)));
  EXPECT_TRUE(s.release(account_, "B").ok());  // not the holder: no effect
  EXPECT_FALSE(ok(s.open(account_, "B", 60)).locked);
  EXPECT_TRUE(s.release(account_, "A").ok());
  EXPECT_TRUE(ok(s.open(account_, "B", 60)).locked);
}

TEST_F(PgMaildropTest, ExpiredLeaseCanBeTaken) {
  PgMaildropStore s(*pool_);
  ASSERT_TRUE(ok(s.open(account_, "A", 0)).locked);  // expires at once
  EXPECT_TRUE(ok(s.open(account_, "B", 60)).locked);
  EXPECT_FALSE(ok(s.renew(account_, "A", 60)));
}

TEST_F(PgMaildropTest, WholeAndChunkedReadsMatchTheIndexedSize) {
  PgMaildropStore s(*pool_);
  OpenResult o = ok(s.open(account_, "A", 60));
  ASSERT_TRUE(o.locked);
  const auto& e = o.maildrop.messages[0];
  auto whole = ok(s.read_message(e.message_id));
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, "Return-Path: <a@b.test>\r\nSubject: hi\r\n\r\n.dot line\r\nend\r\n");
  EXPECT_EQ(whole->size(), e.size);
  std::string parts;
  size_t n = 0;
  for (; auto p = ok(s.read_part(e.message_id, n)); ++n) parts += *p;
  EXPECT_EQ(n, 4u) << "prefix + 3 chunks";
  EXPECT_EQ(parts, *whole);
  EXPECT_FALSE(ok(s.read_message(987654321)));
  EXPECT_FALSE(ok(s.read_part(987654321, 0)));
}

TEST_F(PgMaildropTest, CommitDeletesOnlyWithTheLeaseAndReleasesIt) {
  PgMaildropStore s(*pool_);
  OpenResult o = ok(s.open(account_, "A", 60));
  ASSERT_TRUE(o.locked);
  int64_t uid = o.maildrop.messages[0].uid;

  CommitResult lost = ok(s.commit(account_, "B", 60, o.maildrop.mailbox_id, {uid}, {}));
  EXPECT_FALSE(lost.lease_held);
  EXPECT_EQ(lost.deleted, 0);

  CommitResult done = ok(s.commit(account_, "A", 60, o.maildrop.mailbox_id, {uid}, {}));
  EXPECT_TRUE(done.lease_held);
  EXPECT_EQ(done.deleted, 1);
  OpenResult again = ok(s.open(account_, "B", 60));
  ASSERT_TRUE(again.locked) << "QUIT released the lease";
  ASSERT_EQ(again.maildrop.messages.size(), 1u);
  EXPECT_EQ(again.maildrop.messages[0].uid, o.maildrop.messages[1].uid);
  EXPECT_EQ(again.maildrop.uidvalidity, o.maildrop.uidvalidity);
  // Repeating the commit (e.g. after a lost reply) removes nothing more.
  EXPECT_EQ(ok(s.commit(account_, "B", 60, again.maildrop.mailbox_id, {uid}, {})).deleted, 0);
  // \Seen for what was retrieved: once, and IMAP's index shows it.
  OpenResult third = ok(s.open(account_, "C", 60));
  const int64_t kept = third.maildrop.messages[0].uid;
  EXPECT_EQ(ok(s.commit(account_, "C", 60, third.maildrop.mailbox_id, {}, {kept})).seen, 1);
  pqxx::connection admin(db_->conninfo());
  pqxx::work tx(admin);
  auto f = tx.exec_params("SELECT flags FROM store.mail_index WHERE mailbox_id = $1 AND uid = $2",
                          third.maildrop.mailbox_id, kept);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0][0].as<int>() & store::kSeen, store::kSeen);
  tx.abort();
  OpenResult fourth = ok(s.open(account_, "D", 60));
  EXPECT_EQ(ok(s.commit(account_, "D", 60, fourth.maildrop.mailbox_id, {}, {kept})).seen, 0) << "already seen";
}

TEST(PgMaildropDown, ADatabaseThatIsNotThereIsAnErrorNotAThrow) {
  // Nothing listens on port 1 of loopback; the pool gives up fast.
  pg::Pool pool("host=127.0.0.1 port=1 dbname=x connect_timeout=1", 1, std::chrono::milliseconds(200));
  PgMaildropStore s(pool);
  auto opened = s.open(1, "A", 60);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, common::ErrorCode::unavailable);
  EXPECT_FALSE(s.renew(1, "A", 60).ok());
  EXPECT_FALSE(s.release(1, "A").ok());
  EXPECT_FALSE(s.read_message(1).ok());
  EXPECT_FALSE(s.read_part(1, 0).ok());
  EXPECT_FALSE(s.commit(1, "A", 60, 1, {1}, {}).ok());
}

TEST_F(PgMaildropTest, LoginMakesTheDefaultMailboxes) {
  int64_t fresh;
  {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    fresh = tx.exec_params("INSERT INTO directory.accounts(domain_id, address, password_hash)"
                           " SELECT domain_id, 'fresh' || $1 || '@p.test', 'x' FROM directory.accounts WHERE id = $2"
                           " RETURNING id", ++counter_, account_)[0][0].as<int64_t>();
    tx.commit();
  }
  PgMaildropStore s(*pool_);
  OpenResult o = ok(s.open(fresh, "A", 60));
  ASSERT_TRUE(o.locked);
  EXPECT_NE(o.maildrop.mailbox_id, 0) << "INBOX exists from the first login on";
  EXPECT_TRUE(o.maildrop.messages.empty());
  pqxx::connection c(db_->conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec_params("SELECT count(*) FROM store.mailboxes WHERE account_id = $1", fresh)[0][0].as<int>(), 6);
}
