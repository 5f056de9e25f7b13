// SPDX-License-Identifier: Apache-2.0
// The mda's store sweeper against a real PostgreSQL (a throw-away database)
// as mail_mda: an expunged message and its blob go after the grace (0 here)
// and are counted in mail_mda_store_swept_total{kind}; within the grace
// nothing goes; the thread stops promptly however long its interval.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "mail/pg/testing.h"
#include "mail/store/mailstore.h"
#include "store_sweeper.h"

using namespace mail;
using namespace std::chrono_literals;

namespace {

class StoreSweeperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    admin_ = std::make_unique<pqxx::connection>(db_->conninfo());
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mda", 2);
  }

  // A delivered copy (as the mda stores it) of a blob no job refers to, then
  // expunged by POP3. Returns {message id, blob id}.
  std::pair<int64_t, int64_t> expunged_message() {
    pqxx::work tx(*admin_);
    auto d = tx.exec("INSERT INTO directory.domains(name) VALUES ('s.test') ON CONFLICT (name)"
                     " DO UPDATE SET name = EXCLUDED.name RETURNING id");
    const int64_t account = tx.exec_params(
        "INSERT INTO directory.accounts(domain_id, address, password_hash) VALUES ($1, 'u' || $2 || '@s.test', 'x')"
        " RETURNING id", d[0][0].as<int64_t>(), ++counter_)[0][0].as<int64_t>();
    const std::string body = "Subject: x\r\n\r\nbody\r\n";
    const int64_t blob = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, 1) RETURNING id",
                                        static_cast<int64_t>(body.size()))[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2)", blob, pqxx::binarystring(body));
    tx.commit();
    store::CopyRequest cr;
    cr.job_id = 1000 + counter_;
    cr.recipient_id = 1;
    cr.account_id = account;
    cr.blob_id = blob;
    cr.blob_size = body.size();
    store::StoredCopy copy;
    pool_->with([&](pqxx::connection& c) {
      pqxx::work w(c);
      copy = store::store_copy(w, cr);
      w.commit();
    });
    pqxx::connection pop3(db_->conninfo() + " user=mail_pop3");
    pqxx::work e(pop3);
    EXPECT_EQ(store::expunge(e, copy.mailbox_id, account, {copy.uid}), 1);
    e.commit();
    return {copy.message_id, blob};
  }
  int64_t count(const std::string& sql, int64_t id) {
    pqxx::work tx(*admin_);
    return tx.exec_params(sql, id)[0][0].as<int64_t>();
  }

  static inline pg::testing::TempDatabase* db_ = nullptr;
  static inline int counter_ = 0;
  std::unique_ptr<pqxx::connection> admin_;
  std::unique_ptr<pg::Pool> pool_;
  metrics::Registry metrics_;
};

TEST_F(StoreSweeperTest, DeletesAfterTheGraceAndCounts) {
  auto [message, blob] = expunged_message();
  {
    mda::StoreSweeper within(*pool_, {.grace = 3600s}, metrics_);
    auto s = within.sweep_once();
    EXPECT_EQ(s.messages, 0);
    EXPECT_EQ(count("SELECT count(*) FROM store.messages WHERE id = $1", message), 1) << "still within the grace";
  }
  mda::StoreSweeper sweeper(*pool_, {.grace = 0s, .batch = 1}, metrics_);
  auto s = sweeper.sweep_once();
  EXPECT_EQ(s.messages, 1);
  EXPECT_GE(s.blobs, 1);
  EXPECT_EQ(count("SELECT count(*) FROM store.messages WHERE id = $1", message), 0);
  EXPECT_EQ(count("SELECT count(*) FROM store.blobs WHERE id = $1", blob), 0);
  const std::string text = metrics_.serialize();
  EXPECT_NE(text.find("mail_mda_store_swept_total{kind=\"message\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mail_mda_store_swept_total{kind=\"blob\"}"), std::string::npos) << text;
}

TEST_F(StoreSweeperTest, StopsPromptly) {
  mda::StoreSweeper sweeper(*pool_, {.grace = 0s, .interval = 1h}, metrics_);
  sweeper.start();
  const auto t0 = std::chrono::steady_clock::now();
  sweeper.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(StoreSweeperTest, TheThreadSweepsEveryInterval) {
  auto [message, blob] = expunged_message();
  mda::StoreSweeper sweeper(*pool_, {.grace = 0s, .interval = 50ms}, metrics_);
  sweeper.start();
  for (int i = 0; i < 100 && count("SELECT count(*) FROM store.messages WHERE id = $1", message) > 0; ++i)
    std::this_thread::sleep_for(50ms);
  sweeper.stop();
  EXPECT_EQ(count("SELECT count(*) FROM store.messages WHERE id = $1", message), 0);
  EXPECT_EQ(count("SELECT count(*) FROM store.blobs WHERE id = $1", blob), 0);
}

}  // namespace
