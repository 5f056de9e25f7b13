// SPDX-License-Identifier: Apache-2.0
// The Queue API over a real gRPC channel (127.0.0.1, port 0) into a real,
// throw-away PostgreSQL database as the mail_mta role: only the
// administrators' token gets past the guard; malformed requests are
// INVALID_ARGUMENT and change nothing; an unknown queue id is NOT_FOUND;
// addresses, domains and queue ids are normalized as the queue stores them;
// actions announce the legs they make due (and a delete's bounce).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "mail/pg/testing.h"
#include "mail/queue/pg_queue.h"
#include "mail/rpc/channel.h"
#include "queue_service.h"

using namespace mail;
namespace pb = mail::queue::v1;
using grpc::StatusCode;

namespace {

const std::string kAdminToken = "admin-token-0123456789abcdef";
const std::string kMsaToken = "msa-token-0123456789abcdef";

class QueueServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void SetUp() override {
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mta", 4);
    tokens_.add("admin", kAdminToken);
    tokens_.add("msa", kMsaToken);
    guard_ = std::make_unique<rpc::CallGuard>(tokens_, "queue", std::vector<std::string>{"admin"}, metrics_);
    queue::QueueOptions o;
    o.hostname = "mx.local.test";
    admin_ = std::make_unique<queue::QueueAdmin>(*pool_, o);
    service_ = std::make_unique<mta::QueueService>(*admin_, [this](int64_t id) { announced_.push_back(id); },
                                                   metrics_, *guard_);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    stub_ = stub(kAdminToken);
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<pb::Queue::Stub> stub(const std::string& token) {
    return pb::Queue::NewStub(rpc::make_channel("127.0.0.1:" + std::to_string(port_), token));
  }
  queue::Accepted submit(const std::string& sender, std::vector<std::string> rcpts) {
    auto lease = pool_->acquire();
    queue::Submission s(*lease, 4096);
    s.append("Subject: x\r\n\r\nbody\r\n");
    queue::Envelope env;
    env.sender = sender;
    env.recipients = std::move(rcpts);
    return s.commit(env);
  }
  template <class Req, class Rep>
  StatusCode call(grpc::Status (pb::Queue::Stub::*rpc)(grpc::ClientContext*, const Req&, Rep*), const Req& req,
                  Rep* rep, pb::Queue::Stub* s = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ((s ? s : stub_.get())->*rpc)(&ctx, req, rep).error_code();
  }
  pb::Target target(const std::string& id, const std::string& domain = "") {
    pb::Target t;
    t.set_queue_id(id);
    t.set_domain(domain);
    return t;
  }

  inline static pg::testing::TempDatabase* db_ = nullptr;
  std::unique_ptr<pg::Pool> pool_;
  metrics::Registry metrics_;
  rpc::CallerTokens tokens_;
  std::unique_ptr<rpc::CallGuard> guard_;
  std::unique_ptr<queue::QueueAdmin> admin_;
  std::unique_ptr<mta::QueueService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::Queue::Stub> stub_;
  std::vector<int64_t> announced_;
  int port_ = 0;
};

}  // namespace

TEST_F(QueueServiceTest, OnlyTheAdministratorsGetPastTheGuard) {
  auto acc = submit("a@local.test", {"x@far.test"});
  pb::ListJobsReply list;
  EXPECT_EQ(call(&pb::Queue::Stub::ListJobs, pb::ListJobsRequest{}, &list, stub("").get()), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(&pb::Queue::Stub::ListJobs, pb::ListJobsRequest{}, &list, stub("nobody-has-this-token-0123").get()),
            StatusCode::UNAUTHENTICATED);
  pb::ActionReply act;
  EXPECT_EQ(call(&pb::Queue::Stub::Hold, target(acc.queue_id), &act, stub(kMsaToken).get()),
            StatusCode::PERMISSION_DENIED);
  pb::DeleteRequest del;
  *del.mutable_target() = target(acc.queue_id);
  EXPECT_EQ(call(&pb::Queue::Stub::Delete, del, &act, stub(kMsaToken).get()), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call(&pb::Queue::Stub::ListJobs, pb::ListJobsRequest{}, &list), StatusCode::OK);
  ASSERT_EQ(list.jobs_size(), 1);
  EXPECT_EQ(list.jobs(0).state(), pb::QUEUED) << "nothing was held or deleted";
}

TEST_F(QueueServiceTest, MalformedRequestsAreInvalidAndUnknownJobsNotFound) {
  pb::ActionReply act;
  EXPECT_EQ(call(&pb::Queue::Stub::Hold, target(""), &act), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call(&pb::Queue::Stub::Hold, target("AB CD"), &act), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call(&pb::Queue::Stub::Hold, target(std::string(65, 'A')), &act), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call(&pb::Queue::Stub::Retry, target("", "not a domain!"), &act), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call(&pb::Queue::Stub::Release, target("0123456789AB"), &act), StatusCode::NOT_FOUND);
  pb::JobDetail job;
  pb::GetJobRequest get;
  get.set_queue_id("0123456789AB");
  EXPECT_EQ(call(&pb::Queue::Stub::GetJob, get, &job), StatusCode::NOT_FOUND);
  pb::ListJobsReply list;
  pb::ListJobsRequest req;
  req.set_state(pb::DONE);
  EXPECT_EQ(call(&pb::Queue::Stub::ListJobs, req, &list), StatusCode::INVALID_ARGUMENT);
  req = {};
  req.set_limit(20000);
  EXPECT_EQ(call(&pb::Queue::Stub::ListJobs, req, &list), StatusCode::INVALID_ARGUMENT);
  req = {};
  req.set_sender("not an address");
  EXPECT_EQ(call(&pb::Queue::Stub::ListJobs, req, &list), StatusCode::INVALID_ARGUMENT);
}

TEST_F(QueueServiceTest, ListShowHoldReleaseDelete) {
  // Stored normalized (Transfer normalizes the envelope); asked in any case.
  auto acc = submit("a@local.test", {"x@far.test"});
  auto other = submit("", {"y@near.test"});
  pb::ListJobsRequest req;
  req.set_recipient("X@FAR.test");
  req.set_domain("FAR.TEST.");
  req.set_with_total(true);
  pb::ListJobsReply list;
  ASSERT_EQ(call(&pb::Queue::Stub::ListJobs, req, &list), StatusCode::OK);
  ASSERT_EQ(list.jobs_size(), 1);
  EXPECT_EQ(list.jobs(0).queue_id(), acc.queue_id);
  EXPECT_EQ(list.total(), 1);
  EXPECT_GT(list.now_unix_ms(), 0);
  EXPECT_LE(list.jobs(0).received_unix_ms(), list.now_unix_ms());
  ASSERT_EQ(list.jobs(0).recipients_size(), 1);
  EXPECT_EQ(list.jobs(0).recipients(0).address(), "x@far.test");
  EXPECT_EQ(list.jobs(0).recipients(0).destination(), "far.test");
  req = {};
  req.set_sender("");  // the null sender
  ASSERT_EQ(call(&pb::Queue::Stub::ListJobs, req, &list), StatusCode::OK);
  ASSERT_EQ(list.jobs_size(), 1);
  EXPECT_EQ(list.jobs(0).queue_id(), other.queue_id);

  std::string lower = acc.queue_id;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  pb::ActionReply act;
  ASSERT_EQ(call(&pb::Queue::Stub::Hold, target(lower), &act), StatusCode::OK);
  EXPECT_EQ(act.legs(), 1u);
  EXPECT_EQ(act.jobs(), 1u);
  EXPECT_EQ(act.announced(), 0u);
  pb::GetJobRequest get;
  get.set_queue_id(lower);
  pb::JobDetail job;
  ASSERT_EQ(call(&pb::Queue::Stub::GetJob, get, &job), StatusCode::OK);
  EXPECT_EQ(job.job().state(), pb::HELD);
  ASSERT_EQ(job.legs_size(), 1);
  EXPECT_EQ(job.legs(0).state(), "held");
  EXPECT_EQ(job.job().recipients(0).state(), "pending");
  EXPECT_EQ(job.finished_unix_ms(), 0);

  ASSERT_EQ(call(&pb::Queue::Stub::Release, target("", "far.test"), &act), StatusCode::OK);
  EXPECT_EQ(act.legs(), 1u);
  EXPECT_EQ(act.announced(), 1u);
  ASSERT_EQ(announced_.size(), 1u);
  EXPECT_EQ(announced_[0], acc.legs[0]);

  pb::DeleteRequest del;
  *del.mutable_target() = target(acc.queue_id);
  del.set_bounce(true);
  ASSERT_EQ(call(&pb::Queue::Stub::Delete, del, &act), StatusCode::OK);
  EXPECT_EQ(act.legs(), 1u);
  EXPECT_EQ(act.bounces(), 1u);
  EXPECT_EQ(act.announced(), 1u) << "the bounce's leg";
  EXPECT_EQ(announced_.size(), 2u);
  ASSERT_EQ(call(&pb::Queue::Stub::GetJob, get, &job), StatusCode::OK);
  EXPECT_EQ(job.job().state(), pb::DONE);
  EXPECT_GT(job.finished_unix_ms(), 0);
  EXPECT_EQ(job.job().recipients(0).state(), "failed");
  EXPECT_EQ(job.job().recipients(0).code(), "5.0.0");
  EXPECT_EQ(job.job().recipients(0).error(), "deleted by the administrator");
}
