// SPDX-License-Identifier: Apache-2.0
// mailctl queue commands against an in-process fake Queue server (port 0):
// what each command asks, what it prints, its exit code (0 done, 1 refused,
// 3 unreachable), and account show's line about queued mail, also when the
// queue server cannot be reached.
#include "queue_commands.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <sstream>

#include "commands.h"

namespace mail::mailctl {
namespace {

namespace pb = mail::queue::v1;

class FakeQueue final : public pb::Queue::Service {
 public:
  grpc::Status ListJobs(grpc::ServerContext*, const pb::ListJobsRequest* req, pb::ListJobsReply* rep) override {
    last_list = *req;
    rep->set_now_unix_ms(1736157600000);
    if (req->sender() == "busy@example.test") {
      rep->set_total(12);
      rep->set_total_size(3 << 20);
    }
    if (req->has_sender() && req->sender() != "busy@example.test") {
      rep->set_total(0);
      rep->set_total_size(0);
      return grpc::Status::OK;
    }
    auto* j = rep->add_jobs();
    j->set_queue_id("4F2A0C1B9D3E");
    j->set_received_unix_ms(1736157600000 - 65000);
    j->set_size(2048);
    j->set_sender("busy@example.test");
    j->set_state(pb::DEFERRED);
    j->set_attempts(2);
    j->set_next_attempt_unix_ms(1736157600000 + 30000);
    j->set_last_error("connect to mx.deferred.test: refused");
    auto* r = j->add_recipients();
    r->set_address("x@deferred.test");
    r->set_destination("deferred.test");
    j->set_pending_recipients(1);
    rep->set_more(req->limit() == 1);
    return grpc::Status::OK;
  }
  grpc::Status GetJob(grpc::ServerContext*, const pb::GetJobRequest* req, pb::JobDetail* rep) override {
    if (req->queue_id() != "4F2A0C1B9D3E") return {grpc::StatusCode::NOT_FOUND, "no job " + req->queue_id() + " in the queue"};
    rep->set_now_unix_ms(1736157600000);
    rep->mutable_job()->set_queue_id(req->queue_id());
    rep->mutable_job()->set_state(pb::HELD);
    return grpc::Status::OK;
  }
  grpc::Status Retry(grpc::ServerContext* ctx, const pb::Target* req, pb::ActionReply* rep) override {
    deadline_left = ctx->deadline() - std::chrono::system_clock::now();
    last_target = *req;
    rep->set_legs(3);
    rep->set_jobs(2);
    rep->set_announced(3);
    return grpc::Status::OK;
  }
  grpc::Status Hold(grpc::ServerContext*, const pb::Target* req, pb::ActionReply* rep) override {
    last_target = *req;
    if (req->queue_id() == "DENIED") return {grpc::StatusCode::PERMISSION_DENIED, "caller not allowed"};
    rep->set_legs(1);
    rep->set_jobs(1);
    return grpc::Status::OK;
  }
  grpc::Status Release(grpc::ServerContext*, const pb::Target* req, pb::ActionReply* rep) override {
    last_target = *req;
    if (req->domain() == "down.test") return {grpc::StatusCode::UNAVAILABLE, "queue database unavailable"};
    rep->set_legs(0);
    return grpc::Status::OK;
  }
  grpc::Status Delete(grpc::ServerContext*, const pb::DeleteRequest* req, pb::ActionReply* rep) override {
    last_target = req->target();
    last_bounce = req->bounce();
    rep->set_legs(1);
    rep->set_jobs(1);
    rep->set_bounces(req->bounce() ? 1 : 0);
    return grpc::Status::OK;
  }

  pb::ListJobsRequest last_list;
  pb::Target last_target;
  bool last_bounce = false;
  std::chrono::system_clock::duration deadline_left{};
};

class FakeAdmin final : public mail::admin::v1::Admin::Service {
 public:
  grpc::Status GetAccount(grpc::ServerContext*, const mail::admin::v1::AccountRequest* req,
                          mail::admin::v1::Account* rep) override {
    rep->set_address(req->address());
    return grpc::Status::OK;
  }
};

class QueueCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&queue_);
    b.RegisterService(&admin_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(); }

  int run(const std::vector<std::string>& args, int queue_port = 0) {
    out_.str("");
    err_.str("");
    const std::string here = "127.0.0.1:" + std::to_string(port_);
    auto parsed = parse_args(args, here, "127.0.0.1:" + std::to_string(queue_port ? queue_port : port_));
    EXPECT_TRUE(std::holds_alternative<Command>(parsed));
    const Command& cmd = std::get<Command>(parsed);
    auto queue = pb::Queue::NewStub(grpc::CreateChannel(cmd.queue_server, grpc::InsecureChannelCredentials()));
    if (is_queue_verb(cmd.verb)) return execute_queue(cmd, *queue, out_, err_);
    auto admin = mail::admin::v1::Admin::NewStub(grpc::CreateChannel(cmd.server, grpc::InsecureChannelCredentials()));
    return execute(cmd, *admin, "", out_, err_, queue.get());
  }

  FakeQueue queue_;
  FakeAdmin admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::ostringstream out_, err_;
};

TEST_F(QueueCommandsTest, ListSendsTheFiltersAndPrintsOneLinePerJob) {
  EXPECT_EQ(run({"queue", "list", "--domain", "deferred.test", "--state", "deferred", "--older-than", "1m",
                 "--recipient", "x@deferred.test", "--limit", "20"}),
            kExitOk);
  EXPECT_EQ(queue_.last_list.domain(), "deferred.test");
  EXPECT_EQ(queue_.last_list.state(), pb::DEFERRED);
  EXPECT_EQ(queue_.last_list.older_than_seconds(), 60u);
  EXPECT_EQ(queue_.last_list.recipient(), "x@deferred.test");
  EXPECT_EQ(queue_.last_list.limit(), 20u);
  EXPECT_FALSE(queue_.last_list.has_sender());
  const std::string text = out_.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(text.find("4F2A0C1B9D3E  1m 5s  2K    busy@example.test  x@deferred.test (deferred.test)  deferred  2"
                      "         in 30s  connect to mx.deferred.test: refused\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(err_.str(), "");
  EXPECT_EQ(run({"queue", "list", "--limit", "1"}), kExitOk);
  EXPECT_NE(err_.str().find("more jobs match"), std::string::npos) << "said on stderr, not in the list";
  EXPECT_EQ(run({"queue", "list", "--sender", "<>"}), kExitOk);
  EXPECT_TRUE(queue_.last_list.has_sender());
  EXPECT_EQ(queue_.last_list.sender(), "");
}

TEST_F(QueueCommandsTest, ShowAndActions) {
  EXPECT_EQ(run({"queue", "show", "4f2a0c1b9d3e"}), kExitOk);
  EXPECT_EQ(out_.str().rfind("queue id:    4F2A0C1B9D3E\nstate:       held\n", 0), 0u) << out_.str();
  EXPECT_EQ(run({"queue", "show", "0123456789AB"}), kExitRefused);
  EXPECT_EQ(err_.str(), "mailctl: no job 0123456789AB in the queue\n");

  EXPECT_EQ(run({"queue", "retry", "--domain", "deferred.test"}), kExitOk);
  EXPECT_EQ(out_.str(), "retry domain deferred.test: 3 legs of 2 jobs due now\n");
  EXPECT_EQ(queue_.last_target.domain(), "deferred.test");
  EXPECT_EQ(queue_.last_target.queue_id(), "");
  EXPECT_GT(queue_.deadline_left, kQueueRpcDeadline) << "actions have the longer deadline";
  EXPECT_EQ(run({"queue", "hold", "4F2A0C1B9D3E"}), kExitOk);
  EXPECT_EQ(out_.str(), "hold job 4F2A0C1B9D3E: 1 leg of 1 job held\n");
  EXPECT_EQ(run({"queue", "release", "4F2A0C1B9D3E", "--domain", "far.test"}), kExitOk);
  EXPECT_EQ(out_.str(), "release job 4F2A0C1B9D3E to far.test: 0 legs of 0 jobs released, due now\n");
  EXPECT_EQ(run({"queue", "delete", "4F2A0C1B9D3E"}), kExitOk);
  EXPECT_EQ(out_.str(), "delete job 4F2A0C1B9D3E: 1 leg of 1 job deleted, no bounce (silently)\n");
  EXPECT_FALSE(queue_.last_bounce);
  EXPECT_EQ(run({"queue", "delete", "4F2A0C1B9D3E", "--bounce"}), kExitOk);
  EXPECT_EQ(out_.str(), "delete job 4F2A0C1B9D3E: 1 leg of 1 job deleted, 1 bounce queued to the sender\n");
  EXPECT_TRUE(queue_.last_bounce);
}

TEST_F(QueueCommandsTest, RefusedAndUnreachable) {
  EXPECT_EQ(run({"queue", "hold", "DENIED"}), kExitRefused);
  EXPECT_NE(err_.str().find("refused our token (permission denied): caller not allowed"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"queue", "release", "--domain", "down.test"}), kExitUnreachable);
  EXPECT_NE(err_.str().find("unavailable: queue database unavailable"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"queue", "list"}, 1), kExitUnreachable);
  EXPECT_EQ(err_.str().rfind("mailctl: queue server 127.0.0.1:1 unavailable", 0), 0u) << err_.str();
}

TEST_F(QueueCommandsTest, AccountShowSaysWhatIsQueued) {
  EXPECT_EQ(run({"account", "show", "busy@example.test"}), kExitOk);
  EXPECT_EQ(queue_.last_list.sender(), "busy@example.test");
  EXPECT_TRUE(queue_.last_list.with_total());
  EXPECT_NE(out_.str().find("queued:    12 messages (3M), oldest 1m 5s: 4F2A0C1B9D3E (deferred), ...\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(run({"account", "show", "quiet@example.test"}), kExitOk);
  EXPECT_NE(out_.str().find("queued:    none\n"), std::string::npos) << out_.str();
  // The mta away: one line says so, the rest is printed, the command succeeds.
  EXPECT_EQ(run({"account", "show", "busy@example.test"}, 1), kExitOk);
  EXPECT_NE(out_.str().find("address:   busy@example.test\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("queued:    unknown (queue server 127.0.0.1:1 unreachable: "), std::string::npos)
      << out_.str();
  EXPECT_EQ(err_.str(), "");
}

}  // namespace
}  // namespace mail::mailctl
