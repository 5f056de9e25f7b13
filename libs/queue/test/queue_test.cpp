// SPDX-License-Identifier: Apache-2.0
// Integration tests of the queue against the real PostgreSQL and Redis that
// scripts/test starts: commit, leases (expiry and reclaim), results and
// retries, idempotency keys, and the Redis stream/retry set surviving a flush.
#include <map>
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "mail/common/strings.h"
#include "mail/pg/testing.h"
#include "mail/queue/pg_queue.h"
#include "mail/queue/redis_signals.h"

using namespace mail;
using namespace std::chrono_literals;

namespace {

class QueueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    // The queue runs as the mta's role, so missing grants fail here too.
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mta", 4);
    pqxx::connection admin(db_->conninfo());
    pqxx::work tx(admin);
    tx.exec("INSERT INTO directory.domains(name) VALUES ('local.test') ON CONFLICT DO NOTHING");
    tx.commit();
  }
  queue::Accepted submit(const std::string& body, std::vector<std::string> rcpts, const std::string& key = "") {
    auto lease = pool_->acquire();
    queue::Submission s(*lease, 8);  // tiny chunks: exercise the chunking
    s.append(body);
    queue::Envelope env;
    env.sender = "sender@remote.test";
    env.recipients = std::move(rcpts);
    env.idempotency_key = key;
    return s.commit(env);
  }
  static pg::testing::TempDatabase* db_;
  std::unique_ptr<pg::Pool> pool_;
};
pg::testing::TempDatabase* QueueTest::db_ = nullptr;

queue::QueueOptions fast_options() {
  queue::QueueOptions o;
  o.lease = 300ms;
  o.retry_min = 200ms;
  o.retry_max = 1s;
  return o;
}

}  // namespace

TEST_F(QueueTest, CommitStoresBodyJobAndRoutedRecipients) {
  auto acc = submit("Subject: x\r\n\r\nhello world\r\n", {"a@local.test", "b@remote.test", "a@local.test"});
  EXPECT_EQ(acc.queue_id.size(), 12u);
  EXPECT_EQ(acc.local_recipients, 1);
  pool_->with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT string_agg(encode(data, 'escape'), '' ORDER BY seq), count(*) FROM store.blob_chunks bc"
        " JOIN queue.jobs j ON j.blob_id = bc.blob_id WHERE j.id = $1", acc.job_id);
    EXPECT_EQ(r[0][0].as<std::string>(), "Subject: x\r\n\r\nhello world\r\n");
    EXPECT_EQ(r[0][1].as<int>(), 4);  // 29 bytes in chunks of 8
    auto rr = tx.exec_params("SELECT address, route FROM queue.recipients WHERE job_id = $1 ORDER BY address", acc.job_id);
    EXPECT_EQ(rr.size(), 2u);  // the duplicate collapsed
    EXPECT_EQ(rr[0][1].as<std::string>(), "local");
    EXPECT_EQ(rr[1][1].as<std::string>(), "remote");
    return 0;
  });
}

TEST_F(QueueTest, LeaseExcludesOthersUntilItExpires) {
  queue::PgQueue q(*pool_, fast_options());
  auto acc = submit("x\r\n", {"a@local.test"});
  auto a = q.claim(acc.legs[0], "worker-a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pending.size(), 1u);
  EXPECT_FALSE(q.claim(acc.legs[0], "worker-b")) << "a leased job must not be claimed twice";
  EXPECT_TRUE(q.renew(acc.legs[0], "worker-a"));
  EXPECT_FALSE(q.renew(acc.legs[0], "worker-b"));
  std::this_thread::sleep_for(450ms);
  auto b = q.claim(acc.legs[0], "worker-b");
  ASSERT_TRUE(b) << "an expired lease must be reclaimable";
  EXPECT_EQ(b->attempts, 2);
  EXPECT_FALSE(q.renew(acc.legs[0], "worker-a")) << "the old owner lost its lease";
}

TEST_F(QueueTest, TempfailSchedulesRetryAndDeliveredFinishes) {
  queue::PgQueue q(*pool_, fast_options());
  auto acc = submit("x\r\n", {"a@local.test", "b@local.test"});
  auto job = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(job);
  ASSERT_EQ(job->pending.size(), 2u);
  {
    // The mda marks a delivered recipient inside its own delivery transaction.
    pqxx::connection mda(db_->conninfo() + " user=mail_mda");
    pqxx::work tx(mda);
    tx.exec_params("UPDATE queue.recipients SET state = 'delivered' WHERE id = $1", job->pending[0].id);
    tx.commit();
  }
  auto next = q.finish(*job, "w",
                       {{job->pending[0].id, queue::Outcome::delivered, "2.0.0", ""},
                        {job->pending[1].id, queue::Outcome::tempfail, "4.2.2", "mailbox full"}});
  ASSERT_TRUE(next.next);
  EXPECT_GT(*next.next, std::chrono::system_clock::now());
  EXPECT_TRUE(next.bounce_legs.empty()) << "nothing failed for good yet";
  EXPECT_FALSE(q.claim(acc.legs[0], "w")) << "not due yet";
  auto sched = q.scheduled(100);
  EXPECT_TRUE(std::any_of(sched.begin(), sched.end(), [&](auto& p) { return p.first == acc.legs[0]; }));
  std::this_thread::sleep_for(300ms);
  auto again = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->pending.size(), 1u) << "the delivered recipient is not retried";
  EXPECT_EQ(again->pending[0].address, "b@local.test");
  auto done = q.finish(*again, "w", {{again->pending[0].id, queue::Outcome::permfail, "5.1.1", "gone"}});
  EXPECT_FALSE(done.next) << "finished";
  ASSERT_EQ(done.bounce_legs.size(), 1u) << "the permanent failure is bounced to the sender";
  pool_->with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT j.sender, r.address, string_agg(encode(bc.data, 'escape'), '' ORDER BY bc.seq) FROM queue.jobs j"
        " JOIN queue.recipients r ON r.job_id = j.id JOIN store.blob_chunks bc ON bc.blob_id = j.blob_id"
        " WHERE j.id = (SELECT job_id FROM queue.legs WHERE id = $1) GROUP BY j.sender, r.address", done.bounce_legs[0]);
    EXPECT_EQ(r[0][0].as<std::string>(), "") << "bounces have a null sender";
    EXPECT_EQ(r[0][1].as<std::string>(), "sender@remote.test");
    std::string body = r[0][2].as<std::string>();
    EXPECT_NE(body.find("Final-Recipient: rfc822; b@local.test"), std::string::npos);
    EXPECT_NE(body.find("Status: 5.1.1"), std::string::npos);
    EXPECT_NE(body.find("Auto-Submitted: auto-replied"), std::string::npos);
    return 0;
  });
  // The bounce itself fails: a null-sender message is never bounced.
  auto bjob = q.claim(done.bounce_legs[0], "w");
  ASSERT_TRUE(bjob);
  auto bdone = q.finish(*bjob, "w", {{bjob->pending[0].id, queue::Outcome::permfail, "5.1.1", "no such sender"}});
  EXPECT_TRUE(bdone.bounce_legs.empty());
  auto st = q.stats();
  EXPECT_GE(st.depth, 0);
}

TEST_F(QueueTest, ATempfailPastTheMaximumAgeFailsForGood) {
  queue::QueueOptions o = fast_options();
  o.max_age = 1s;  // counted in seconds: a test's short age is not cut to zero
  queue::PgQueue q(*pool_, o);
  auto acc = submit("x\r\n", {"late@local.test"});
  auto first = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(first);
  auto r1 = q.finish(*first, "w", {{first->pending[0].id, queue::Outcome::tempfail, "4.2.2", "mailbox full"}});
  EXPECT_TRUE(r1.next) << "young: retried";
  EXPECT_TRUE(r1.bounce_legs.empty());
  std::this_thread::sleep_for(1200ms);
  auto again = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(again);
  auto r2 = q.finish(*again, "w", {{again->pending[0].id, queue::Outcome::tempfail, "4.2.2", "mailbox full"}});
  EXPECT_FALSE(r2.next) << "older than max_age: given up";
  ASSERT_FALSE(r2.bounce_legs.empty());
  pool_->with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params("SELECT state, last_code, last_error FROM queue.recipients WHERE job_id = $1", acc.job_id);
    EXPECT_EQ(r[0][0].as<std::string>(), "failed");
    EXPECT_EQ(r[0][1].as<std::string>(), "4.4.7");
    EXPECT_EQ(r[0][2].as<std::string>(), "message expired in queue: mailbox full");
    return 0;
  });
}

TEST_F(QueueTest, ADelayWarningGoesOnceAfterTheConfiguredTime) {
  queue::QueueOptions o = fast_options();
  o.delay_warning = 1s;
  queue::PgQueue q(*pool_, o);
  auto acc = submit("Subject: slow one\r\n\r\nx\r\n", {"slow@far-away.test"});
  auto attempt = [&] {
    auto job = q.claim(acc.legs[0], "w");
    EXPECT_TRUE(job);
    if (!job) return std::vector<int64_t>{};
    return q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "connect to mx: refused"}})
        .bounce_legs;
  };
  EXPECT_TRUE(attempt().empty()) << "not yet: the message is younger than queue.delay_warning";
  std::this_thread::sleep_for(1200ms);
  auto warned = attempt();
  ASSERT_EQ(warned.size(), 1u) << "one warning to the sender";
  pool_->with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT j.sender, r.address, string_agg(encode(bc.data, 'escape'), '' ORDER BY bc.seq) FROM queue.jobs j"
        " JOIN queue.recipients r ON r.job_id = j.id JOIN store.blob_chunks bc ON bc.blob_id = j.blob_id"
        " WHERE j.id = (SELECT job_id FROM queue.legs WHERE id = $1) GROUP BY j.sender, r.address", warned[0]);
    EXPECT_EQ(r[0][0].as<std::string>(), "") << "null sender, as a bounce";
    EXPECT_EQ(r[0][1].as<std::string>(), "sender@remote.test");
    const std::string body = r[0][2].as<std::string>();
    EXPECT_NE(body.find("Subject: Delayed Mail (still being retried)"), std::string::npos) << body;
    EXPECT_NE(body.find("Final-Recipient: rfc822; slow@far-away.test\r\nAction: delayed\r\nStatus: 4.4.1\r\n"),
              std::string::npos)
        << body;
    EXPECT_NE(body.find("Will-Retry-Until: "), std::string::npos);
    EXPECT_NE(body.find("Content-Type: text/rfc822-headers"), std::string::npos) << "the original headers' part";
    return 0;
  });
  std::this_thread::sleep_for(500ms);  // the third attempt is due 400 ms after the second
  EXPECT_TRUE(attempt().empty()) << "warned once only";
}

TEST_F(QueueTest, IdempotencyKeyReturnsFirstQueueId) {
  std::string key = "k-" + common::random_hex(4);
  auto a = submit("one\r\n", {"a@local.test"}, key);
  auto b = submit("two\r\n", {"a@local.test"}, key);
  EXPECT_FALSE(a.duplicate);
  EXPECT_TRUE(b.duplicate);
  EXPECT_EQ(a.queue_id, b.queue_id);
  EXPECT_EQ(a.job_id, b.job_id);
}

TEST_F(QueueTest, OverdueFindsJobsRedisForgot) {
  queue::PgQueue q(*pool_, fast_options());
  auto acc = submit("x\r\n", {"a@local.test"});
  std::this_thread::sleep_for(150ms);
  auto ids = q.overdue(100ms, 1000);
  EXPECT_TRUE(std::find(ids.begin(), ids.end(), acc.legs[0]) != ids.end());
  ASSERT_TRUE(q.claim(acc.legs[0], "w"));
  ids = q.overdue(0ms, 1000);
  EXPECT_TRUE(std::find(ids.begin(), ids.end(), acc.legs[0]) == ids.end()) << "a leased job is not overdue";
}

TEST_F(QueueTest, EachDestinationIsALegOfItsOwn) {
  queue::PgQueue q(*pool_, fast_options());
  auto acc = submit("x\r\n", {"a@local.test", "b@Remote.test", "c@remote.test", "d@other.test"});
  ASSERT_EQ(acc.legs.size(), 3u) << "local, remote.test and other.test";
  std::map<std::string, queue::Job> legs;
  for (int64_t id : acc.legs) {
    auto job = q.claim(id, "w-" + std::to_string(id));
    ASSERT_TRUE(job) << "each leg has its own lease";
    EXPECT_EQ(job->id, acc.job_id);
    legs[job->destination] = *job;
  }
  ASSERT_EQ(legs.count(""), 1u);
  EXPECT_TRUE(legs[""].local());
  ASSERT_EQ(legs["remote.test"].pending.size(), 2u) << "the domain is matched without regard to case";
  EXPECT_EQ(legs["remote.test"].pending[0].route, "remote");
  ASSERT_EQ(legs["other.test"].pending.size(), 1u);
  // other.test answers at once; remote.test is slow and retried; the job waits for it.
  const auto& other = legs["other.test"];
  auto r1 = q.finish(other, "w-" + std::to_string(other.leg_id),
                     {{other.pending[0].id, queue::Outcome::delivered, "2.0.0", "250 2.0.0 Ok: queued as X"}});
  EXPECT_FALSE(r1.next);
  const auto& remote = legs["remote.test"];
  auto r2 = q.finish(remote, "w-" + std::to_string(remote.leg_id),
                     {{remote.pending[0].id, queue::Outcome::tempfail, "4.4.1", "connect to mx: refused"},
                      {remote.pending[1].id, queue::Outcome::tempfail, "4.4.1", "connect to mx: refused"}});
  ASSERT_TRUE(r2.next);
  const auto& local = legs[""];
  q.finish(local, "w-" + std::to_string(local.leg_id), {{local.pending[0].id, queue::Outcome::permfail, "5.1.1", "gone"}});
  auto state = [&] {
    return pool_->with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto r = tx.exec_params(
          "SELECT j.state, (SELECT string_agg(destination || '=' || state || '/' || attempts || '/' || last_error, ','"
          " ORDER BY destination) FROM queue.legs WHERE job_id = j.id),"
          " (SELECT state FROM queue.recipients WHERE job_id = j.id AND address = 'd@other.test')"
          " FROM queue.jobs j WHERE j.id = $1",
          acc.job_id);
      return r[0][0].as<std::string>() + " " + r[0][1].as<std::string>() + " " + r[0][2].as<std::string>();
    });
  };
  EXPECT_EQ(state(), "queued =done/1/gone,other.test=done/1/,remote.test=queued/1/connect to mx: refused delivered")
      << "a remote 250 is recorded by the queue; the job waits for its last leg";
  std::this_thread::sleep_for(250ms);
  auto again = q.claim(remote.leg_id, "w");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 2);
  q.finish(*again, "w",
           {{again->pending[0].id, queue::Outcome::delivered, "2.0.0", "250 ok"},
            {again->pending[1].id, queue::Outcome::delivered, "2.0.0", "250 ok"}});
  EXPECT_EQ(state().substr(0, 5), "done ") << "every leg done: the job is done";
}

TEST_F(QueueTest, StatsCountTheLegsByState) {
  queue::PgQueue q(*pool_, fast_options());
  auto legs = [&] {
    std::map<std::string, int64_t> m;
    for (const auto& l : q.stats().legs) m[l.state] = l.legs;
    return m;
  };
  auto before = legs();
  ASSERT_EQ(before.size(), 4u) << "due, active, deferred and held are always there";
  auto acc = submit("x\r\n", {"a@stats-one.test", "b@stats-two.test"});
  auto now = legs();
  EXPECT_EQ(now["due"], before["due"] + 2);
  auto job = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(job);
  EXPECT_EQ(legs()["active"], before["active"] + 1);
  q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "refused"}});
  now = legs();
  EXPECT_EQ(now["deferred"], before["deferred"] + 1);
  EXPECT_EQ(now["due"], before["due"] + 1);
  EXPECT_EQ(now["active"], before["active"]);
}

TEST_F(QueueTest, ADeferredLegCountsNoAttempt) {
  queue::PgQueue q(*pool_, fast_options());
  auto acc = submit("x\r\n", {"a@backed-off.test"});
  auto job = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(job);
  q.defer(*job, "w", std::chrono::system_clock::now() + 200ms, "destination backed off");
  EXPECT_FALSE(q.claim(acc.legs[0], "w")) << "not due before the time given";
  std::this_thread::sleep_for(250ms);
  auto again = q.claim(acc.legs[0], "w");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 1) << "the deferral was not an attempt";
}

TEST_F(QueueTest, ADestinationThatKeepsFailingIsBackedOffAsAWhole) {
  queue::PgQueue q(*pool_, fast_options());
  const std::string name = "down-" + common::random_hex(3) + ".test";
  EXPECT_EQ(q.destination(name).failures, 0);
  EXPECT_FALSE(q.destination(name).backoff_until);
  q.record_destination(name, false, "connect to 127.0.0.9:25: refused");
  auto st = q.destination(name);
  EXPECT_EQ(st.failures, 1);
  ASSERT_TRUE(st.backoff_until);
  EXPECT_GT(*st.backoff_until, std::chrono::system_clock::now());
  EXPECT_EQ(st.last_error, "connect to 127.0.0.9:25: refused");
  q.record_destination(name, false, "again");
  EXPECT_EQ(q.destination(name).failures, 2);
  q.record_destination(name, true, "");
  st = q.destination(name);
  EXPECT_EQ(st.failures, 0) << "one success clears the record";
  EXPECT_FALSE(st.backoff_until);
}

namespace {
queue::RedisOptions redis_options() {
  const char* env = std::getenv("MAIL_TEST_REDIS");
  if (!env) throw std::runtime_error("MAIL_TEST_REDIS is not set: run the tests through scripts/test");
  std::string hp = env;
  queue::RedisOptions o;
  o.host = hp.substr(0, hp.find(':'));
  o.port = std::stoi(hp.substr(hp.find(':') + 1));
  std::string tag = common::random_hex(4);
  o.stream = "test:" + tag + ":jobs";
  o.retry_set = "test:" + tag + ":retry";
  return o;
}
}  // namespace

TEST(RedisSignalsTest, StreamGroupSurvivesFlushOfItsKeys) {
  auto opts = redis_options();
  queue::RedisSignals r(opts);
  ASSERT_TRUE(r.ping());
  ASSERT_TRUE(r.ensure_group());
  ASSERT_TRUE(r.ensure_group()) << "an existing group is fine";
  ASSERT_TRUE(r.announce(42));
  auto got = r.read("c1", 10, 100ms, false);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].job_id, 42);
  // Not acknowledged: after a "restart" the same consumer sees it again.
  auto pend = r.read("c1", 10, 0ms, true);
  ASSERT_TRUE(pend);
  ASSERT_EQ(pend->size(), 1u);
  EXPECT_TRUE(r.ack((*got)[0].id));
  pend = r.read("c1", 10, 0ms, true);
  ASSERT_TRUE(pend);
  EXPECT_TRUE(pend->empty());
  // After FLUSHALL the stream and its group are gone: a stream that never
  // existed is the same state. read() reports NOGROUP once, then recreates.
  auto o2 = opts;
  o2.stream = opts.stream + ":gone";
  queue::RedisSignals fresh(o2);
  EXPECT_FALSE(fresh.read("c1", 10, 10ms, false)) << "NOGROUP is reported";
  auto after = fresh.read("c1", 10, 10ms, false);
  ASSERT_TRUE(after) << "the group was recreated after NOGROUP";
  EXPECT_TRUE(fresh.announce(7));
  after = fresh.read("c1", 10, 100ms, false);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].job_id, 7);
}

TEST(RedisSignalsTest, RetrySetHandsEachDueJobOut) {
  queue::RedisSignals r(redis_options());
  auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(r.schedule(1, now - 1s));
  ASSERT_TRUE(r.schedule(2, now + 1h));
  auto due = r.take_due(now, 100);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], 1);
  EXPECT_TRUE(r.take_due(now, 100).empty()) << "taken once";
}
