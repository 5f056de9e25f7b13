// SPDX-License-Identifier: Apache-2.0
// Transfer.Submit over a real gRPC channel into a real PostgreSQL (a
// throw-away database, as the mail_mta role): what is committed is exactly
// what was streamed; a stream that is shorter or longer than announced, or
// malformed, commits nothing; a caller without an accepted token commits
// nothing either.
#include "transfer_fixture.h"

using namespace mail;
using namespace mail::mta::test;

namespace {

class TransferTest : public TransferFixture {
 protected:
  void SetUp() override {
    mta::TransferOptions opts;
    opts.chunk_size = 1000;  // several chunks per message
    start(opts, 4);
  }

  // Streams the envelope then `pieces`; size_hint = `announce` (or the real size).
  grpc::Status submit(const std::vector<std::string>& pieces, pb::SubmitReply* reply, int64_t announce = -1) {
    grpc::ClientContext ctx;
    auto w = stub_->Submit(&ctx, reply);
    pb::SubmitRequest req;
    auto* e = req.mutable_envelope();
    e->set_sender("a@remote.test");
    e->add_recipients("b@remote.test");
    uint64_t size = 0;
    for (const auto& p : pieces) size += p.size();
    e->set_size_hint(announce < 0 ? size : static_cast<uint64_t>(announce));
    e->set_client_ip("127.0.0.1");
    EXPECT_TRUE(w->Write(req));
    for (const auto& p : pieces) {
      req.set_chunk(p);
      EXPECT_TRUE(w->Write(req));
    }
    w->WritesDone();
    return w->Finish();
  }
  int64_t jobs() { return count("SELECT count(*) FROM queue.jobs"); }
};

}  // namespace

TEST_F(TransferTest, CommitsExactlyWhatWasStreamed) {
  // Many messages of varied sizes and piece boundaries: every one must come
  // back byte for byte (a dangling envelope once refused some of these).
  for (int n = 1; n <= 40; ++n) {
    std::string msg = "Subject: m" + std::to_string(n) + "\r\n\r\n" + std::string(n * 97, static_cast<char>('a' + n % 26)) + "\r\n";
    std::vector<std::string> pieces;
    for (size_t i = 0; i < msg.size(); i += 333 + n) pieces.push_back(msg.substr(i, 333 + n));
    pb::SubmitReply reply;
    auto st = submit(pieces, &reply);
    ASSERT_TRUE(st.ok()) << n << ": " << st.error_message();
    EXPECT_EQ(reply.size(), msg.size());
    EXPECT_EQ(job_body(reply.queue_id()), msg) << n;
  }
  EXPECT_EQ(announced_.size(), 40u) << "each commit wakes a worker";
}

TEST_F(TransferTest, WrongSizeOrShapeCommitsNothing) {
  int64_t before = jobs();
  pb::SubmitReply reply;
  EXPECT_EQ(submit({"Subject: x\r\n\r\nshort\r\n"}, &reply, 1000).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(submit({"Subject: x\r\n\r\nlong\r\n"}, &reply, 3).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(submit({}, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "empty message";
  {
    grpc::ClientContext ctx;
    auto w = stub_->Submit(&ctx, &reply);
    pb::SubmitRequest req;
    req.set_chunk("no envelope first");
    w->Write(req);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(jobs(), before) << "nothing kept";
  EXPECT_TRUE(announced_.empty());
}

TEST_F(TransferTest, OnlyAcceptedCallersSubmit) {
  const int64_t before = jobs();
  struct Case {
    std::string token;
    grpc::StatusCode want;
  };
  for (const Case& c : {Case{"", grpc::StatusCode::UNAUTHENTICATED},
                        Case{"forged-token-0123456789abcdef", grpc::StatusCode::UNAUTHENTICATED},
                        Case{kMtaToken, grpc::StatusCode::PERMISSION_DENIED}}) {
    auto s = stub(c.token);
    grpc::ClientContext ctx;
    pb::SubmitReply reply;
    auto w = s->Submit(&ctx, &reply);
    pb::SubmitRequest req;
    req.mutable_envelope()->set_sender("forged@remote.test");
    req.mutable_envelope()->add_recipients("b@remote.test");
    req.mutable_envelope()->set_auth_user("ceo@example.test");  // a claim nobody vouches for
    req.mutable_envelope()->set_size_hint(8);
    w->Write(req);  // may already fail: the server answers before reading
    req.set_chunk("x: y\r\n\r\n");
    w->Write(req);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), c.want) << c.token;
  }
  EXPECT_EQ(jobs(), before) << "nothing was queued";
  EXPECT_TRUE(announced_.empty());
  pb::SubmitReply reply;
  EXPECT_TRUE(submit({"x: y\r\n\r\nbody\r\n"}, &reply).ok()) << "the msa's token works";
  EXPECT_EQ(jobs(), before + 1);
}

TEST_F(TransferTest, ForwardQueuesTheSameBodyOnceForOtherRecipients) {
  pb::SubmitReply first;
  const std::string msg = "Subject: to an alias\r\n\r\nforward me\r\n";
  ASSERT_TRUE(submit({msg}, &first).ok());
  const int64_t job = count("SELECT id FROM queue.jobs WHERE queue_id = $1", first.queue_id());
  const size_t announced = announced_.size();
  pb::ForwardRequest req;
  req.set_job_id(job);
  req.add_recipients("Target@Remote.Example");
  req.add_recipients("second@elsewhere.example");
  req.set_idempotency_key("fwd:" + std::to_string(job) + ":1");
  pb::SubmitReply a, b;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Forward(&ctx, req, &a).ok());
  }
  EXPECT_NE(a.queue_id(), first.queue_id());
  EXPECT_EQ(job_body(a.queue_id()), msg) << "the forwarded job carries the same body";
  EXPECT_EQ(count("SELECT count(DISTINCT blob_id) FROM queue.jobs WHERE queue_id IN ($1, '" + first.queue_id() + "')",
                  a.queue_id()),
            1)
      << "and shares it: no bytes were copied";
  EXPECT_EQ(count("SELECT count(*) FROM queue.jobs WHERE queue_id = $1 AND sender = 'a@remote.test'", a.queue_id()), 1)
      << "the envelope sender is kept";
  EXPECT_EQ(count("SELECT count(*) FROM queue.legs l JOIN queue.jobs j ON j.id = l.job_id WHERE j.queue_id = $1",
                  a.queue_id()),
            2)
      << "one leg per destination";
  EXPECT_EQ(announced_.size(), announced + 2);
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Forward(&ctx, req, &b).ok());
  }
  EXPECT_EQ(b.queue_id(), a.queue_id()) << "a repeated forward returns the first job";
  EXPECT_EQ(announced_.size(), announced + 2) << "and queues nothing new";

  req.set_job_id(job + 100000);
  req.set_idempotency_key("fwd:none");
  grpc::ClientContext ctx1;
  EXPECT_EQ(stub_->Forward(&ctx1, req, &b).error_code(), grpc::StatusCode::NOT_FOUND);
  req.set_job_id(job);
  req.clear_idempotency_key();
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub_->Forward(&ctx2, req, &b).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext ctx3;
  req.set_idempotency_key("fwd:x");
  EXPECT_EQ(stub(kMtaToken)->Forward(&ctx3, req, &b).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "only accepted callers forward";
}
