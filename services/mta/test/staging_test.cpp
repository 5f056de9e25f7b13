// SPDX-License-Identifier: Apache-2.0
// Transfer.Stage / Append / Commit / Discard and the staging sweep, over a
// real gRPC channel into a real PostgreSQL (a throw-away database, as the
// mail_mta role): each Append is its own committed transaction (visible at
// once, holding no connection afterwards); Commit links the staged blob to
// the job; a wrong size commits nothing; a repeated Append is a no-op; an
// abandoned staging blob is swept after the grace period and a job's blob
// never is.
#include "staging_sweeper.h"
#include "transfer_fixture.h"

using namespace mail;
using namespace mail::mta::test;

namespace {

class StagingTest : public TransferFixture {
 protected:
  void SetUp() override {
    mta::TransferOptions opts;
    opts.max_message_size = 100000;
    opts.max_chunk = 20000;
    // One connection: if any call kept it between calls, the next would
    // wait for the pool's timeout and fail.
    start(opts, 1, std::chrono::milliseconds(2000));
  }

  std::string stage() {
    grpc::ClientContext ctx;
    pb::StageRequest req;
    pb::StageReply rep;
    auto st = stub_->Stage(&ctx, req, &rep);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(rep.staging_id().size(), 32u);
    return rep.staging_id();
  }
  grpc::Status append(const std::string& id, uint64_t offset, const std::string& chunk, uint64_t* staged = nullptr) {
    grpc::ClientContext ctx;
    pb::AppendRequest req;
    req.set_staging_id(id);
    req.set_offset(offset);
    req.set_chunk(chunk);
    pb::AppendReply rep;
    auto st = stub_->Append(&ctx, req, &rep);
    if (staged) *staged = rep.staged();
    return st;
  }
  grpc::Status commit(const std::string& id, uint64_t size, uint64_t offset, const std::string& last,
                      pb::SubmitReply* reply, const std::string& key = "") {
    grpc::ClientContext ctx;
    pb::CommitRequest req;
    req.set_staging_id(id);
    auto* e = req.mutable_envelope();
    e->set_sender("a@remote.test");
    e->add_recipients("b@remote.test");
    e->set_size_hint(size);
    e->set_client_ip("127.0.0.1");
    e->set_idempotency_key(key);
    req.set_offset(offset);
    req.set_chunk(last);
    return stub_->Commit(&ctx, req, reply);
  }
  grpc::Status discard(const std::string& id) {
    grpc::ClientContext ctx;
    pb::DiscardRequest req;
    req.set_staging_id(id);
    pb::DiscardReply rep;
    return stub_->Discard(&ctx, req, &rep);
  }

  int64_t staged_bytes(const std::string& id) {
    return count(
        "SELECT COALESCE(sum(length(c.data)), 0) FROM queue.staging s JOIN store.blob_chunks c ON c.blob_id = s.blob_id"
        " WHERE s.token = $1",
        id);
  }
  int64_t blob_of(const std::string& id) { return count("SELECT blob_id FROM queue.staging WHERE token = $1", id); }
  void age(const std::string& id, const std::string& interval) {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    tx.exec_params("UPDATE queue.staging SET touched_at = now() - $2::interval WHERE token = $1", id, interval);
    tx.commit();
  }

};

}  // namespace

TEST_F(StagingTest, EachAppendIsItsOwnShortTransaction) {
  // Two messages staged in turns over a pool of ONE connection: every
  // Append committed and gave the connection back before the next call.
  const std::string a = stage(), b = stage();
  uint64_t staged = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(append(a, i * 1000, std::string(1000, 'a'), &staged).ok());
    EXPECT_EQ(staged, (i + 1) * 1000u);
    ASSERT_TRUE(append(b, i * 700, std::string(700, 'b')).ok());
    // Already committed: another connection sees the bytes before any Commit.
    EXPECT_EQ(staged_bytes(a), (i + 1) * 1000);
    EXPECT_EQ(staged_bytes(b), (i + 1) * 700);
  }
  EXPECT_EQ(count("SELECT count(*) FROM queue.jobs"), 0) << "staging makes no job";
  EXPECT_TRUE(announced_.empty());
  EXPECT_TRUE(discard(a).ok());
  EXPECT_TRUE(discard(b).ok());
}

TEST_F(StagingTest, CommitLinksTheStagedBlobToTheJob) {
  const std::string id = stage();
  const int64_t blob = blob_of(id);
  std::string msg = "Subject: staged\r\n\r\n";
  std::string part1 = msg + std::string(5000, 'x') + "\r\n";
  std::string part2 = std::string(3000, 'y') + "\r\n";
  std::string last = "the end\r\n";
  ASSERT_TRUE(append(id, 0, part1).ok());
  ASSERT_TRUE(append(id, part1.size(), part2).ok());
  const uint64_t size = part1.size() + part2.size() + last.size();
  pb::SubmitReply reply;
  auto st = commit(id, size, part1.size() + part2.size(), last, &reply);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(reply.size(), size);
  EXPECT_EQ(count("SELECT blob_id FROM queue.jobs WHERE queue_id = $1", reply.queue_id()), blob)
      << "the job's body is the staged blob itself, not a copy";
  EXPECT_EQ(job_body(reply.queue_id()), part1 + part2 + last);
  EXPECT_EQ(count("SELECT size FROM store.blobs WHERE id = " + std::to_string(blob)), static_cast<int64_t>(size));
  EXPECT_EQ(count("SELECT chunks FROM store.blobs WHERE id = " + std::to_string(blob)), 3);
  EXPECT_EQ(count("SELECT count(*) FROM queue.staging WHERE token = $1", id), 0) << "no longer a staging blob";
  EXPECT_EQ(count("SELECT count(*) FROM queue.recipients r JOIN queue.jobs j ON j.id = r.job_id"
                  " WHERE j.queue_id = $1",
                  reply.queue_id()),
            1);
  EXPECT_EQ(announced_.size(), 1u);
  // A Commit without a last chunk works too.
  const std::string id2 = stage();
  ASSERT_TRUE(append(id2, 0, "x: y\r\n\r\nbody\r\n").ok());
  ASSERT_TRUE(commit(id2, 14, 14, "", &reply).ok());
  EXPECT_EQ(job_body(reply.queue_id()), "x: y\r\n\r\nbody\r\n");
}

TEST_F(StagingTest, WrongSizeCommitsNothing) {
  const int64_t jobs = count("SELECT count(*) FROM queue.jobs");
  const std::string id = stage();
  ASSERT_TRUE(append(id, 0, std::string(4000, 'x')).ok());
  pb::SubmitReply reply;
  EXPECT_EQ(commit(id, 5000, 4000, "tail", &reply).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "fewer bytes than announced";
  EXPECT_EQ(commit(id, 100, 4000, "tail", &reply).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "more bytes than announced";
  EXPECT_EQ(commit(id, 4004, 3000, "tail", &reply).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "last chunk at the wrong offset";
  EXPECT_EQ(commit(id, 0, 4000, "", &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "no size";
  EXPECT_EQ(commit("0123456789abcdef0123456789abcdef", 4, 0, "tail", &reply).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(count("SELECT count(*) FROM queue.jobs"), jobs) << "nothing committed";
  EXPECT_EQ(staged_bytes(id), 4000) << "the refused commits' last chunks were rolled back";
  EXPECT_TRUE(announced_.empty());
  // Still a staging blob: the right size commits it.
  ASSERT_TRUE(commit(id, 4004, 4000, "tail", &reply).ok());
  EXPECT_EQ(job_body(reply.queue_id()), std::string(4000, 'x') + "tail");
}

TEST_F(StagingTest, RepeatedAppendIsIdempotentAndGapsAreRefused) {
  const std::string id = stage();
  uint64_t staged = 0;
  ASSERT_TRUE(append(id, 0, "first chunk\r\n", &staged).ok());
  EXPECT_EQ(staged, 13u);
  ASSERT_TRUE(append(id, 0, "first chunk\r\n", &staged).ok()) << "a lost reply's retry";
  EXPECT_EQ(staged, 13u);
  ASSERT_TRUE(append(id, 13, "second\r\n", &staged).ok());
  ASSERT_TRUE(append(id, 13, "second\r\n", &staged).ok());
  EXPECT_EQ(staged, 21u);
  EXPECT_EQ(count("SELECT count(*) FROM store.blob_chunks WHERE blob_id = " + std::to_string(blob_of(id))), 2)
      << "the repeats wrote nothing";
  EXPECT_EQ(append(id, 0, "first chunk\r\n").error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "not the last append: out of order";
  EXPECT_EQ(append(id, 13, "other length\r\n").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(append(id, 50, "gap").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(append(id, 21, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(append(id, 21, std::string(20001, 'z')).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "over max_chunk";
  EXPECT_EQ(staged_bytes(id), 21);
  EXPECT_EQ(append("no-such-staging-blob", 0, "x").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(discard(id).ok());
}

TEST_F(StagingTest, SizeLimitAndCallers) {
  const std::string id = stage();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(id, i * 20000, std::string(20000, 'x')).ok());
  EXPECT_EQ(append(id, 100000, "x").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  {
    grpc::ClientContext ctx;
    pb::StageRequest req;
    req.set_size_hint(100001);
    pb::StageReply rep;
    EXPECT_EQ(stub_->Stage(&ctx, req, &rep).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  // Only the msa (and the mda) may stage: the mta's own token may not.
  auto other = stub(kMtaToken);
  grpc::ClientContext ctx;
  pb::AppendRequest req;
  req.set_staging_id(id);
  req.set_offset(100000);
  req.set_chunk("x");
  pb::AppendReply rep;
  EXPECT_EQ(other->Append(&ctx, req, &rep).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(discard(id).ok());
}

TEST_F(StagingTest, RepeatedCommitReturnsTheFirstJob) {
  const std::string id = stage();
  ASSERT_TRUE(append(id, 0, "x: y\r\n\r\n").ok());
  pb::SubmitReply first, again;
  ASSERT_TRUE(commit(id, 12, 8, "abc\n", &first, "msa/key-1").ok());
  // The reply was lost and the caller staged the message again.
  const std::string id2 = stage();
  ASSERT_TRUE(append(id2, 0, "x: y\r\n\r\n").ok());
  ASSERT_TRUE(commit(id2, 12, 8, "abc\n", &again, "msa/key-1").ok());
  EXPECT_EQ(again.queue_id(), first.queue_id());
  EXPECT_EQ(count("SELECT count(*) FROM queue.jobs WHERE idempotency_key = 'msa/key-1'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM queue.staging WHERE token = $1", id2), 0) << "the second copy was dropped";
  EXPECT_EQ(announced_.size(), 1u);
}

TEST_F(StagingTest, DiscardDropsTheStagingBlob) {
  const std::string id = stage();
  const int64_t blob = blob_of(id);
  ASSERT_TRUE(append(id, 0, std::string(3000, 'x')).ok());
  ASSERT_TRUE(discard(id).ok());
  EXPECT_EQ(count("SELECT count(*) FROM store.blobs WHERE id = " + std::to_string(blob)), 0);
  EXPECT_EQ(count("SELECT count(*) FROM store.blob_chunks WHERE blob_id = " + std::to_string(blob)), 0);
  EXPECT_TRUE(discard(id).ok()) << "twice is fine";
  EXPECT_EQ(append(id, 3000, "x").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(StagingTest, SweepRemovesAbandonedStagingBlobsAfterTheGraceOnly) {
  queue::StagingStore store(*pool_, {});
  mta::StagingSweeper sweeper(store, {.grace = std::chrono::hours(1), .interval = std::chrono::hours(1), .batch = 2},
                              metrics_);
  sweeper.sweep_once();  // whatever earlier tests left behind
  // Abandoned two hours ago: swept. Abandoned a minute ago: kept.
  std::vector<std::string> old_ones;
  std::vector<int64_t> old_blobs;
  for (int i = 0; i < 5; ++i) {
    old_ones.push_back(stage());
    old_blobs.push_back(blob_of(old_ones.back()));
    ASSERT_TRUE(append(old_ones.back(), 0, std::string(2000, 'o')).ok());
    age(old_ones.back(), "2 hours");
  }
  const std::string fresh = stage();
  ASSERT_TRUE(append(fresh, 0, std::string(2000, 'f')).ok());
  age(fresh, "1 minute");
  // A committed message whose blob is, by some accident, still named by a
  // staging row: it is a job's body and must never be swept.
  const std::string linked = stage();
  ASSERT_TRUE(append(linked, 0, "x: y\r\n\r\nkept\r\n").ok());
  pb::SubmitReply reply;
  ASSERT_TRUE(commit(linked, 14, 14, "", &reply).ok());
  const int64_t job_blob = count("SELECT blob_id FROM queue.jobs WHERE queue_id = $1", reply.queue_id());
  {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    tx.exec_params("INSERT INTO queue.staging(token, blob_id, touched_at) VALUES ('stray', $1, now() - interval '1 day')",
                   job_blob);
    tx.commit();
  }

  EXPECT_EQ(sweeper.sweep_once(), 5) << "in batches of 2";
  for (size_t i = 0; i < old_ones.size(); ++i) {
    EXPECT_EQ(count("SELECT count(*) FROM store.blobs WHERE id = " + std::to_string(old_blobs[i])), 0);
    EXPECT_EQ(count("SELECT count(*) FROM store.blob_chunks WHERE blob_id = " + std::to_string(old_blobs[i])), 0);
    EXPECT_EQ(count("SELECT count(*) FROM queue.staging WHERE token = $1", old_ones[i]), 0);
  }
  EXPECT_EQ(staged_bytes(fresh), 2000) << "within the grace period";
  EXPECT_EQ(job_body(reply.queue_id()), "x: y\r\n\r\nkept\r\n") << "a job's blob is never swept";
  EXPECT_EQ(append(old_ones[0], 2000, "late").error_code(), grpc::StatusCode::NOT_FOUND)
      << "a late append to a swept blob is refused, not resurrected";
  const auto text = [&] {
    std::string s;
    for (const auto& f : metrics_.native()->Collect())
      if (f.name == "mail_mta_staging_swept_total") s = std::to_string(static_cast<int64_t>(f.metric[0].counter.value));
    return s;
  }();
  EXPECT_FALSE(text.empty());
  EXPECT_GE(std::stoll(text), 5);
  EXPECT_EQ(sweeper.sweep_once(), 0) << "nothing else is due";
  EXPECT_TRUE(discard(fresh).ok());
}
