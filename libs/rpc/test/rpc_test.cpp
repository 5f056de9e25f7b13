// SPDX-License-Identifier: Apache-2.0
// Trust between services over real gRPC: a small Delivery server whose one
// handler starts with a CallGuard, called through rpc::make_channel with no,
// a wrong, a forbidden and an accepted token; and the token configuration.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "mail/delivery/v1/delivery.grpc.pb.h"
#include "mail/rpc/channel.h"
#include "mail/rpc/guard.h"
#include "mail/rpc/tokens.h"

namespace mail::rpc {
namespace {

namespace pb = mail::delivery::v1;
using common::Config;
using common::ConfigError;

const std::string kMta = "mta-token-0123456789abcdef";
const std::string kMsa = "msa-token-0123456789abcdef";

class GuardedDelivery final : public pb::Delivery::Service {
 public:
  explicit GuardedDelivery(const CallGuard& g) : guard_(g) {}
  grpc::Status Deliver(grpc::ServerContext* ctx, const pb::DeliverRequest*, pb::DeliverReply* rep) override {
    std::string caller;
    if (auto st = guard_.check(*ctx, "Deliver", &caller); !st.ok()) return st;
    rep->add_results()->set_detail(caller);
    return grpc::Status::OK;
  }

 private:
  const CallGuard& guard_;
};

class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_.add("mta", kMta);
    tokens_.add("msa", kMsa);
    guard_.emplace(tokens_, "delivery", std::vector<std::string>{"mta"}, metrics_);
    service_.emplace(*guard_);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&*service_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status call(const std::string& token, std::string* caller = nullptr) {
    auto stub = pb::Delivery::NewStub(make_channel("127.0.0.1:" + std::to_string(port_), token));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    pb::DeliverRequest req;
    pb::DeliverReply rep;
    auto st = stub->Deliver(&ctx, req, &rep);
    if (caller && rep.results_size() == 1) *caller = rep.results(0).detail();
    return st;
  }

  std::string metrics_text() { return metrics_.serialize(); }

  metrics::Registry metrics_;
  CallerTokens tokens_;
  std::optional<CallGuard> guard_;
  std::optional<GuardedDelivery> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(RpcTest, AcceptedCallerPassesWithItsName) {
  std::string caller;
  auto st = call(kMta, &caller);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(caller, "mta");
}

TEST_F(RpcTest, NoTokenIsUnauthenticatedAndCounted) {
  EXPECT_EQ(call("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(metrics_text().find("mail_rpc_refused_total{api=\"delivery\",reason=\"missing\"} 1"), std::string::npos)
      << metrics_text();
}

TEST_F(RpcTest, WrongTokenIsUnauthenticated) {
  EXPECT_EQ(call("not-a-token-of-anyone-here").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(kMta + "x").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(kMta.substr(0, kMta.size() - 1)).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(metrics_text().find("reason=\"unknown\"} 3"), std::string::npos) << metrics_text();
}

TEST_F(RpcTest, AnotherServicesTokenIsPermissionDenied) {
  auto st = call(kMsa);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(st.error_message().find("msa"), std::string::npos);
  EXPECT_NE(metrics_text().find("reason=\"forbidden\"} 1"), std::string::npos) << metrics_text();
}

TEST_F(RpcTest, OnlyTheBearerSchemeCounts) {
  auto stub = pb::Delivery::NewStub(make_channel("127.0.0.1:" + std::to_string(port_), ""));
  for (const std::string& value : {kMta, "Basic " + kMta, "bearer" + kMta, std::string("Bearer ")}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", value);
    pb::DeliverRequest req;
    pb::DeliverReply rep;
    EXPECT_EQ(stub->Deliver(&ctx, req, &rep).error_code(), grpc::StatusCode::UNAUTHENTICATED) << value;
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + kMta);
  pb::DeliverRequest req;
  pb::DeliverReply rep;
  EXPECT_TRUE(stub->Deliver(&ctx, req, &rep).ok());
}

TEST(Tokens, IdentifyKnowsOnlyExactTokens) {
  CallerTokens t;
  t.add("a", "aaaaaaaaaaaaaaaaaaaa");
  t.add("b", "bbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(t.identify("aaaaaaaaaaaaaaaaaaaa"), "a");
  EXPECT_EQ(t.identify("bbbbbbbbbbbbbbbbbbbb"), "b");
  EXPECT_FALSE(t.identify("aaaaaaaaaaaaaaaaaaa"));
  EXPECT_FALSE(t.identify(""));
  EXPECT_FALSE(t.identify(std::string(kMaxTokenBytes + 1, 'a')));
}

TEST(Tokens, MalformedOrSharedTokensAreConfigErrors) {
  CallerTokens t;
  EXPECT_THROW(t.add("a", "short"), ConfigError);
  EXPECT_THROW(t.add("a", "has a space in the middle"), ConfigError);
  EXPECT_THROW(t.add("", "aaaaaaaaaaaaaaaaaaaa"), ConfigError);
  t.add("a", "aaaaaaaaaaaaaaaaaaaa\n");  // a file's newline is dropped
  EXPECT_EQ(t.identify("aaaaaaaaaaaaaaaaaaaa"), "a");
  EXPECT_THROW(t.add("b", "aaaaaaaaaaaaaaaaaaaa"), ConfigError);  // shared with a
  EXPECT_THROW(t.add("a", "cccccccccccccccccccc"), ConfigError);  // a twice
}

TEST(Tokens, FromConfigReadsEachCallersFile) {
  char path[] = "/tmp/rpc-token-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "file-token-0123456789\n";
  auto c = Config::from_map({{"auth.callers", "msa, pop3"},
                             {"auth.caller.msa.token_file", path},
                             {"auth.caller.pop3.token", "inline-token-0123456789"},
                             {"auth.token_file", path}});
  auto t = CallerTokens::from_config(c);
  EXPECT_EQ(t.identify("file-token-0123456789"), "msa");
  EXPECT_EQ(t.identify("inline-token-0123456789"), "pop3");
  EXPECT_EQ(own_token(c), "file-token-0123456789");
  std::remove(path);

  EXPECT_THROW(CallerTokens::from_config(Config::from_map({{"auth.callers", "imap"}})), ConfigError);
  EXPECT_THROW(own_token(Config::from_map({})), ConfigError);
  EXPECT_TRUE(CallerTokens::from_config(Config::from_map({})).empty());
}

TEST(Guard, AllowListNamesOnlyKnownCallers) {
  CallerTokens t;
  t.add("mta", kMta);
  metrics::Registry m;
  EXPECT_THROW(CallGuard(t, "delivery", {"mta", "mda"}, m), ConfigError);
  EXPECT_NO_THROW(CallGuard(t, "delivery", {"mta"}, m));
  auto c = Config::from_map({{"auth.allow.delivery", "mta, tester"}});
  EXPECT_EQ(allowed_callers(c, "delivery", {"x"}), (std::vector<std::string>{"mta", "tester"}));
  EXPECT_EQ(allowed_callers(c, "transfer", {"msa"}), (std::vector<std::string>{"msa"}));
}

}  // namespace
}  // namespace mail::rpc
