// SPDX-License-Identifier: Apache-2.0
// Queue operations against the real PostgreSQL that scripts/test starts, as
// the mta's role (mail_mta), each test in the suite's throw-away database:
// list filters and job states, show, hold (a claim never takes a held leg;
// finish keeps a leg held while it was worked on), release, retry (due now,
// the destination's backoff cleared), delete silently or with a bounce, by
// job or by destination, and the end of finished jobs: removed after
// queue.keep_finished (SKIP LOCKED between two sweeps), after which the
// mda's store sweep frees their bodies.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "mail/pg/testing.h"
#include "mail/queue/finished.h"
#include "mail/queue/pg_queue.h"
#include "mail/queue/queue_admin.h"
#include "mail/store/sweep.h"

using namespace mail;
using namespace std::chrono_literals;
using queue::JobState;

namespace {

class QueueAdminTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mta", 4);
    admin_ = std::make_unique<pqxx::connection>(db_->conninfo());
    sql("INSERT INTO directory.domains(name) VALUES ('local.test') ON CONFLICT DO NOTHING");
    // Every test starts from an empty queue.
    sql("DELETE FROM queue.jobs");
    sql("DELETE FROM queue.destinations");
    opts_.lease = 30s;
    opts_.retry_min = 1h;  // a tempfail's next attempt is far away
    opts_.retry_max = 2h;
    opts_.hostname = "mx.local.test";
    opts_.chunk_size = 64;
  }
  queue::Accepted submit(const std::string& sender, std::vector<std::string> rcpts, const std::string& body = "") {
    auto lease = pool_->acquire();
    queue::Submission s(*lease, 4096);  // the bounce returns the header of the first chunk
    s.append(body.empty() ? "Subject: test\r\n\r\nhello\r\n" : body);
    queue::Envelope env;
    env.sender = sender;
    env.recipients = std::move(rcpts);
    return s.commit(env);
  }
  pqxx::result sql(const std::string& q) {
    pqxx::work tx(*admin_);
    auto r = tx.exec(q);
    tx.commit();
    return r;
  }
  template <class... A>
  pqxx::result sqlp(const std::string& q, A&&... a) {
    pqxx::work tx(*admin_);
    auto r = tx.exec_params(q, std::forward<A>(a)...);
    tx.commit();
    return r;
  }
  std::string scalar(const std::string& q, int64_t id) { return sqlp(q, id)[0][0].c_str(); }
  // The leg of `acc` to `destination`.
  int64_t leg(const queue::Accepted& acc, const std::string& destination) {
    return sqlp("SELECT id FROM queue.legs WHERE job_id = $1 AND destination = $2", acc.job_id, destination)[0][0]
        .as<int64_t>();
  }
  std::vector<std::string> ids(const queue::ListResult& r) {
    std::vector<std::string> out;
    for (const auto& j : r.jobs) out.push_back(j.queue_id);
    return out;
  }
  queue::ListResult list(queue::ListFilter f) { return queue::QueueAdmin(*pool_, opts_).list(f); }

  static pg::testing::TempDatabase* db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pqxx::connection> admin_;
  queue::QueueOptions opts_;
};
pg::testing::TempDatabase* QueueAdminTest::db_ = nullptr;

using Ids = std::vector<std::string>;

}  // namespace

TEST_F(QueueAdminTest, ListFiltersByStateSenderRecipientDomainAndAge) {
  queue::PgQueue q(*pool_, opts_);
  queue::QueueAdmin admin(*pool_, opts_);
  auto fresh = submit("a@local.test", {"x@far.test", "y@far.test"});
  auto deferred = submit("b@local.test", {"z@near.test"});
  auto held = submit("a@local.test", {"w@far.test", "v@local.test"});
  auto active = submit("", {"u@near.test"});
  // Oldest first: make the order fresh, deferred, held, active by age.
  int age = 400;
  for (auto* a : {&fresh, &deferred, &held, &active}) {
    sqlp("UPDATE queue.jobs SET received_at = now() - $2 * interval '1 second' WHERE id = $1", a->job_id, age);
    age -= 100;
  }
  {
    auto job = q.claim(leg(deferred, "near.test"), "w1");
    ASSERT_TRUE(job);
    q.finish(*job, "w1", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "connect to mx.near.test: refused"}});
  }
  EXPECT_EQ(admin.hold({held.queue_id, "far.test"}).legs, 1);
  ASSERT_TRUE(q.claim(leg(active, "near.test"), "w2"));

  auto all = list({});
  ASSERT_EQ(ids(all), (Ids{fresh.queue_id, deferred.queue_id, held.queue_id, active.queue_id}));
  EXPECT_FALSE(all.more);
  EXPECT_FALSE(all.total);
  EXPECT_EQ(all.jobs[0].state, JobState::queued);
  EXPECT_EQ(all.jobs[1].state, JobState::deferred);
  EXPECT_EQ(all.jobs[2].state, JobState::held);
  EXPECT_EQ(all.jobs[3].state, JobState::active);
  // The deferred job: its attempt, its error, its next attempt an hour away.
  const auto& d = all.jobs[1];
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_error, "connect to mx.near.test: refused");
  ASSERT_TRUE(d.next_attempt);
  EXPECT_GT(*d.next_attempt, all.now + 50min);
  EXPECT_EQ(d.sender, "b@local.test");
  ASSERT_EQ(d.recipients.size(), 1u);
  EXPECT_EQ(d.recipients[0].address, "z@near.test");
  EXPECT_EQ(d.recipients[0].destination, "near.test");
  EXPECT_EQ(all.jobs[0].pending, 2);
  EXPECT_GE(all.now - all.jobs[0].received_at, 399s);
  // The held job's local leg is still queued: its next attempt is that one's.
  EXPECT_TRUE(all.jobs[2].next_attempt);

  for (auto [state, want] : {std::pair{JobState::queued, fresh.queue_id}, std::pair{JobState::deferred, deferred.queue_id},
                             std::pair{JobState::held, held.queue_id}, std::pair{JobState::active, active.queue_id}}) {
    queue::ListFilter f;
    f.state = state;
    EXPECT_EQ(ids(list(f)), Ids{want}) << queue::job_state_name(state);
  }
  queue::ListFilter f;
  f.sender = "a@local.test";
  EXPECT_EQ(ids(list(f)), (Ids{fresh.queue_id, held.queue_id}));
  f.sender = "";  // the null sender
  EXPECT_EQ(ids(list(f)), Ids{active.queue_id});
  f = {};
  f.recipient = "v@local.test";
  EXPECT_EQ(ids(list(f)), Ids{held.queue_id});
  f.recipient = "nobody@far.test";
  EXPECT_TRUE(list(f).jobs.empty());
  f = {};
  f.destination = "far.test";
  EXPECT_EQ(ids(list(f)), (Ids{fresh.queue_id, held.queue_id}));
  f.state = JobState::held;
  EXPECT_EQ(ids(list(f)), Ids{held.queue_id});
  f = {};
  f.older_than = 250s;
  EXPECT_EQ(ids(list(f)), (Ids{fresh.queue_id, deferred.queue_id}));
  f = {};
  f.limit = 2;
  f.with_total = true;
  auto page = list(f);
  EXPECT_EQ(ids(page), (Ids{fresh.queue_id, deferred.queue_id}));
  EXPECT_TRUE(page.more);
  ASSERT_TRUE(page.total);
  EXPECT_EQ(*page.total, 4);
  EXPECT_GT(*page.total_size, 0);
  f.state = JobState::deferred;
  EXPECT_EQ(*list(f).total, 1);
  // A delivered recipient no longer matches; a finished job is not listed.
  sqlp("UPDATE queue.recipients SET state = 'delivered' WHERE job_id = $1 AND address = 'x@far.test'", fresh.job_id);
  f = {};
  f.recipient = "x@far.test";
  EXPECT_TRUE(list(f).jobs.empty());
  sqlp("UPDATE queue.jobs SET state = 'done' WHERE id = $1", fresh.job_id);
  EXPECT_EQ(list({}).jobs.size(), 3u);
}

TEST_F(QueueAdminTest, ListNamesAFewRecipientsAndCountsTheRest) {
  std::vector<std::string> rcpts;
  for (int i = 0; i < 8; ++i) rcpts.push_back("r" + std::to_string(i) + "@far.test");
  submit("a@local.test", rcpts);
  auto r = list({});
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].recipients.size(), queue::kListRecipients);
  EXPECT_EQ(r.jobs[0].recipients[0].address, "r0@far.test");
  EXPECT_EQ(r.jobs[0].pending, 8);
}

TEST_F(QueueAdminTest, ShowGivesRecipientsLegsAndAttemptHistory) {
  queue::PgQueue q(*pool_, opts_);
  queue::QueueAdmin admin(*pool_, opts_);
  auto acc = submit("a@local.test", {"x@far.test", "y@local.test"});
  auto job = q.claim(leg(acc, "far.test"), "w");
  ASSERT_TRUE(job);
  q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "connect to mx.far.test: refused"}});
  auto d = admin.show(acc.queue_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->job.queue_id, acc.queue_id);
  EXPECT_EQ(d->job.state, JobState::deferred);
  ASSERT_EQ(d->job.recipients.size(), 2u);
  EXPECT_EQ(d->job.recipients[0].address, "x@far.test");
  EXPECT_EQ(d->job.recipients[0].code, "4.4.1");
  EXPECT_EQ(d->job.recipients[0].attempts, 1);
  EXPECT_EQ(d->job.recipients[1].destination, "");
  EXPECT_EQ(d->job.pending, 2);
  ASSERT_EQ(d->legs.size(), 2u);
  const auto far = std::find_if(d->legs.begin(), d->legs.end(), [](auto& l) { return l.destination == "far.test"; });
  ASSERT_NE(far, d->legs.end());
  EXPECT_EQ(far->state, "queued");
  EXPECT_EQ(far->attempts, 1);
  EXPECT_FALSE(far->leased);
  EXPECT_TRUE(far->last_attempt);
  EXPECT_GT(far->next_attempt, d->now + 50min);
  ASSERT_EQ(d->attempts.size(), 1u);
  EXPECT_EQ(d->attempts[0].destination, "far.test");
  EXPECT_EQ(d->attempts[0].deferred, 1);
  EXPECT_EQ(d->attempts[0].detail, "connect to mx.far.test: refused");
  EXPECT_FALSE(d->finished_at);
  EXPECT_FALSE(admin.show("NOSUCHJOB000"));
}

TEST_F(QueueAdminTest, HeldLegsAreNeverClaimedAndFinishKeepsThemHeld) {
  queue::PgQueue q(*pool_, opts_);
  queue::QueueAdmin admin(*pool_, opts_);
  auto a = submit("a@local.test", {"x@far.test"});
  const int64_t la = leg(a, "far.test");
  auto h = admin.hold({a.queue_id, ""});
  EXPECT_EQ(h.legs, 1);
  EXPECT_EQ(h.jobs, 1);
  EXPECT_FALSE(q.claim(la, "w")) << "a claim never takes a held leg";
  EXPECT_EQ(admin.hold({a.queue_id, ""}).legs, 0) << "held already";
  auto r = admin.release({a.queue_id, ""});
  EXPECT_EQ(r.legs, 1);
  EXPECT_EQ(r.announce, std::vector<int64_t>{la});
  // Held while a worker is on it: the attempt keeps its lease and records
  // its outcome, and the leg stays held after it.
  auto job = q.claim(la, "w");
  ASSERT_TRUE(job) << "released: due now";
  EXPECT_EQ(admin.hold({"", "far.test"}).legs, 1);
  EXPECT_TRUE(q.renew(la, "w")) << "a held leg keeps its lease";
  auto fin = q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "refused"}});
  EXPECT_TRUE(fin.next);
  EXPECT_EQ(scalar("SELECT state FROM queue.legs WHERE id = $1", la), "held");
  EXPECT_EQ(scalar("SELECT count(*) FROM queue.attempts WHERE leg_id = $1", la), "1");
  // Even when due and unleased.
  sqlp("UPDATE queue.legs SET next_attempt_at = now() - interval '1 hour' WHERE id = $1", la);
  EXPECT_FALSE(q.claim(la, "w"));
  EXPECT_TRUE(q.overdue(0ms, 100).empty()) << "the reconciler does not wake a held leg";
  // A held leg whose last recipient is done meanwhile is done.
  EXPECT_EQ(admin.release({"", "far.test"}).legs, 1);
  job = q.claim(la, "w");
  ASSERT_TRUE(job);
  admin.hold({a.queue_id, "far.test"});
  fin = q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::delivered, "2.0.0", "ok"}});
  EXPECT_FALSE(fin.next);
  EXPECT_EQ(scalar("SELECT state FROM queue.legs WHERE id = $1", la), "done");
  EXPECT_EQ(scalar("SELECT state FROM queue.jobs WHERE id = $1", a.job_id), "done");
}

TEST_F(QueueAdminTest, RetryMakesLegsDueNowAndClearsTheBackoff) {
  queue::PgQueue q(*pool_, opts_);
  queue::QueueAdmin admin(*pool_, opts_);
  auto a = submit("a@local.test", {"x@far.test"});
  auto b = submit("a@local.test", {"y@far.test", "z@other.test"});
  for (auto* acc : {&a, &b}) {
    auto job = q.claim(leg(*acc, "far.test"), "w");
    ASSERT_TRUE(job);
    q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "refused"}});
  }
  q.record_destination("far.test", false, "refused");
  ASSERT_TRUE(q.destination("far.test").backoff_until);
  EXPECT_FALSE(q.claim(leg(a, "far.test"), "w")) << "not due";
  auto r = admin.retry({"", "far.test"});
  EXPECT_EQ(r.legs, 2);
  EXPECT_EQ(r.jobs, 2);
  std::sort(r.announce.begin(), r.announce.end());
  EXPECT_EQ(r.announce, (std::vector<int64_t>{leg(a, "far.test"), leg(b, "far.test")}));
  EXPECT_FALSE(q.destination("far.test").backoff_until) << "backoff cleared";
  EXPECT_EQ(q.destination("far.test").failures, 0);
  auto job = q.claim(leg(a, "far.test"), "w");
  ASSERT_TRUE(job) << "due now";
  // A leg under way is left to its worker; a held one is not retried.
  EXPECT_EQ(admin.retry({a.queue_id, ""}).legs, 0);
  admin.hold({b.queue_id, "other.test"});
  EXPECT_EQ(admin.retry({b.queue_id, ""}).legs, 1);
  EXPECT_FALSE(admin.retry({"NOSUCHJOB000", ""}).found);
  EXPECT_FALSE(admin.hold({"NOSUCHJOB000", ""}).found);
  EXPECT_FALSE(admin.release({"NOSUCHJOB000", ""}).found);
  EXPECT_FALSE(admin.remove({"NOSUCHJOB000", ""}, true).found);
}

TEST_F(QueueAdminTest, DeleteFailsPendingRecipientsSilentlyOrWithABounce) {
  queue::QueueAdmin admin(*pool_, opts_);
  auto quiet = submit("a@local.test", {"x@far.test", "y@far.test"});
  auto loud = submit("b@local.test", {"z@far.test"}, "Subject: the original\r\n\r\nbody\r\n");
  auto bounce_of_bounce = submit("", {"c@far.test"});
  const auto jobs_before = sql("SELECT count(*) FROM queue.jobs")[0][0].as<int>();

  auto r = admin.remove({quiet.queue_id, ""}, false);
  EXPECT_EQ(r.legs, 1);
  EXPECT_EQ(r.jobs, 1);
  EXPECT_EQ(r.bounces, 0);
  auto rows = sqlp("SELECT state, last_code, last_error, notified FROM queue.recipients WHERE job_id = $1", quiet.job_id);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row[0].as<std::string>(), "failed");
    EXPECT_EQ(row[1].as<std::string>(), "5.0.0");
    EXPECT_EQ(row[2].as<std::string>(), "deleted by the administrator");
    EXPECT_TRUE(row[3].as<bool>()) << "never to be bounced";
  }
  EXPECT_EQ(scalar("SELECT state FROM queue.jobs WHERE id = $1", quiet.job_id), "done");
  EXPECT_EQ(scalar("SELECT count(*) FROM queue.jobs WHERE finished_at IS NOT NULL AND id = $1", quiet.job_id), "1");
  EXPECT_EQ(sql("SELECT count(*) FROM queue.jobs")[0][0].as<int>(), jobs_before) << "no bounce";

  r = admin.remove({loud.queue_id, ""}, true);
  EXPECT_EQ(r.bounces, 1);
  ASSERT_EQ(r.announce.size(), 1u) << "the bounce's leg, to wake";
  auto b = sqlp("SELECT j.sender, r.address, string_agg(encode(c.data, 'escape'), '' ORDER BY c.seq)"
                " FROM queue.legs l JOIN queue.jobs j ON j.id = l.job_id JOIN queue.recipients r ON r.job_id = j.id"
                " JOIN store.blob_chunks c ON c.blob_id = j.blob_id WHERE l.id = $1 GROUP BY j.sender, r.address",
                r.announce[0]);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0][0].as<std::string>(), "");
  EXPECT_EQ(b[0][1].as<std::string>(), "b@local.test");
  const std::string dsn = b[0][2].as<std::string>();
  EXPECT_NE(dsn.find("Final-Recipient: rfc822; z@far.test"), std::string::npos) << dsn;
  EXPECT_NE(dsn.find("Status: 5.0.0"), std::string::npos) << dsn;
  EXPECT_NE(dsn.find("deleted by the administrator"), std::string::npos) << dsn;
  EXPECT_NE(dsn.find("Subject: the original"), std::string::npos) << "the original header is returned";
  EXPECT_EQ(scalar("SELECT notified::text FROM queue.recipients WHERE job_id = $1", loud.job_id), "true");
  EXPECT_EQ(admin.remove({loud.queue_id, ""}, true).legs, 0) << "nothing left to delete";

  r = admin.remove({bounce_of_bounce.queue_id, ""}, true);
  EXPECT_EQ(r.legs, 1);
  EXPECT_EQ(r.bounces, 0) << "a bounce is never bounced";
  EXPECT_TRUE(r.announce.empty());
}

TEST_F(QueueAdminTest, DeleteByDomainTakesOnlyThatDestination) {
  queue::QueueAdmin admin(*pool_, opts_);
  auto mixed = submit("a@local.test", {"x@far.test", "y@local.test", "z@near.test"});
  auto other = submit("a@local.test", {"w@far.test"});
  auto r = admin.remove({"", "far.test"}, false);
  EXPECT_EQ(r.legs, 2);
  EXPECT_EQ(r.jobs, 2);
  EXPECT_EQ(scalar("SELECT state FROM queue.jobs WHERE id = $1", mixed.job_id), "queued") << "its other legs remain";
  EXPECT_EQ(scalar("SELECT string_agg(address || ':' || state, ',' ORDER BY address) FROM queue.recipients"
                   " WHERE job_id = $1", mixed.job_id),
            "x@far.test:failed,y@local.test:pending,z@near.test:pending");
  EXPECT_EQ(scalar("SELECT state FROM queue.jobs WHERE id = $1", other.job_id), "done");
  // One job's leg to one destination.
  r = admin.remove({mixed.queue_id, "near.test"}, false);
  EXPECT_EQ(r.legs, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM queue.recipients WHERE job_id = $1 AND state = 'pending'", mixed.job_id), "1");
  queue::ListFilter f;
  f.destination = "far.test";
  EXPECT_TRUE(list(f).jobs.empty());
}

TEST_F(QueueAdminTest, DeleteOfALegUnderWayRecordsNoLateResult) {
  queue::PgQueue q(*pool_, opts_);
  queue::QueueAdmin admin(*pool_, opts_);
  auto a = submit("a@local.test", {"x@far.test"});
  auto job = q.claim(leg(a, "far.test"), "w");
  ASSERT_TRUE(job);
  EXPECT_EQ(admin.remove({a.queue_id, ""}, false).legs, 1);
  EXPECT_FALSE(q.renew(job->leg_id, "w")) << "the lease went with the leg";
  auto fin = q.finish(*job, "w", {{job->pending[0].id, queue::Outcome::tempfail, "4.4.1", "refused"}});
  EXPECT_TRUE(fin.bounce_legs.empty());
  EXPECT_EQ(scalar("SELECT state || ' ' || last_error FROM queue.recipients WHERE job_id = $1", a.job_id),
            "failed deleted by the administrator");
  EXPECT_EQ(scalar("SELECT state FROM queue.legs WHERE id = $1", job->leg_id), "done");
}

TEST_F(QueueAdminTest, FinishedJobsGoAfterTheKeepTimeAndTheStoreSweepFreesTheirBodies) {
  queue::QueueAdmin admin(*pool_, opts_);
  auto old_job = submit("a@local.test", {"x@far.test"});
  auto young = submit("a@local.test", {"y@far.test"});
  auto queued = submit("a@local.test", {"z@far.test"});
  admin.remove({old_job.queue_id, ""}, false);
  admin.remove({young.queue_id, ""}, false);
  sqlp("UPDATE queue.jobs SET finished_at = now() - interval '8 days', received_at = now() - interval '8 days'"
       " WHERE id = $1", old_job.job_id);
  sqlp("UPDATE queue.jobs SET received_at = now() - interval '8 days' WHERE id = $1", queued.job_id);
  sqlp("INSERT INTO queue.attempts(leg_id, deferred, detail) SELECT id, 1, 'x' FROM queue.legs WHERE job_id = $1",
       old_job.job_id);
  // An exactly-once row of the job (as the mda writes them).
  sql("INSERT INTO directory.accounts(domain_id, address, password_hash) SELECT id, 'a@local.test', 'x'"
      " FROM directory.domains WHERE name = 'local.test' ON CONFLICT DO NOTHING");
  sqlp("INSERT INTO store.deliveries(job_id, recipient_id, account_id, message_id)"
       " SELECT $1, 1, a.id, NULL FROM directory.accounts a WHERE a.address = 'a@local.test'", old_job.job_id);
  const int64_t blob = std::stoll(scalar("SELECT blob_id FROM queue.jobs WHERE id = $1", old_job.job_id));
  const int64_t kept = std::stoll(scalar("SELECT blob_id FROM queue.jobs WHERE id = $1", queued.job_id));
  // Both bodies older than the store sweep's grace: only references keep one.
  sqlp("UPDATE store.blobs SET created_at = now() - interval '8 days' WHERE id IN ($1, $2)", blob, kept);

  // A second sweep holding the old job's row makes the first skip it, not wait.
  {
    pqxx::connection other(db_->conninfo() + " user=mail_mta");
    pqxx::work holder(other);
    holder.exec_params("SELECT 1 FROM queue.jobs WHERE id = $1 FOR UPDATE", old_job.job_id);
    auto started = std::chrono::steady_clock::now();
    const int64_t n = pool_->with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      tx.exec("SET LOCAL lock_timeout = '5s'");
      const int64_t removed = queue::remove_finished(tx, std::chrono::hours(24 * 7), 100);
      tx.commit();
      return removed;
    });
    EXPECT_EQ(n, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "SKIP LOCKED: no wait";
  }
  const int64_t n = pool_->with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    const int64_t removed = queue::remove_finished(tx, std::chrono::hours(24 * 7), 100);
    tx.commit();
    return removed;
  });
  EXPECT_EQ(n, 1) << "only the job finished more than 7 days ago";
  EXPECT_EQ(scalar("SELECT count(*) FROM queue.jobs WHERE id = $1", old_job.job_id), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM queue.recipients WHERE job_id = $1", old_job.job_id), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM queue.legs WHERE job_id = $1", old_job.job_id), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM store.deliveries WHERE job_id = $1", old_job.job_id), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM queue.attempts")[0][0].as<int>(), 0);
  EXPECT_TRUE(admin.show(young.queue_id)) << "kept for show";
  EXPECT_FALSE(admin.show(old_job.queue_id));
  EXPECT_TRUE(admin.show(queued.queue_id)) << "an old job still queued stays";

  // The body: no job, message or staging row refers to it now. The mda's
  // sweep (as mail_mda) frees it after its grace, and nothing else.
  EXPECT_EQ(scalar("SELECT count(*) FROM store.blobs WHERE id = $1", blob), "1");
  pqxx::connection mda(db_->conninfo() + " user=mail_mda");
  int64_t cursor = 0;
  for (int i = 0; i < 100; ++i) {
    pqxx::work tx(mda);
    auto r = store::sweep_orphans(tx, std::chrono::hours(1), 100, cursor);
    tx.commit();
    cursor = r.blob_cursor;
    if (!r.more && cursor == 0) break;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM store.blobs WHERE id = $1", blob), "0") << "freed by the store sweep";
  EXPECT_EQ(scalar("SELECT count(*) FROM store.blob_chunks WHERE blob_id = $1", blob), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM store.blobs WHERE id = $1", kept), "1") << "a queued job's body stays";
}
