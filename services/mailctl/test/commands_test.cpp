// SPDX-License-Identifier: Apache-2.0
// mailctl commands against an in-process fake Admin server (port 0): output,
// error text and exit codes; password input parsing.
#include "commands.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <sstream>

#include "password_input.h"

namespace mail::mailctl {
namespace {

namespace pb = mail::admin::v1;

class FakeAdmin final : public pb::Admin::Service {
 public:
  grpc::Status AddDomain(grpc::ServerContext* ctx, const pb::DomainRequest* req, pb::Domain* rep) override {
    deadline_left = ctx->deadline() - std::chrono::system_clock::now();
    if (req->name() == "dup.test") return {grpc::StatusCode::ALREADY_EXISTS, "domain dup.test already exists"};
    if (req->name() == "down.test") return {grpc::StatusCode::UNAVAILABLE, "database unavailable"};
    rep->set_name(req->name());
    return grpc::Status::OK;
  }
  grpc::Status ListDomains(grpc::ServerContext*, const pb::ListDomainsRequest*, pb::ListDomainsReply* rep) override {
    auto* d = rep->add_domains();
    d->set_name("example.test");
    d->set_accounts(2);
    d = rep->add_domains();
    d->set_name("evil\x1b[31m.test");
    return grpc::Status::OK;
  }
  grpc::Status AddAccount(grpc::ServerContext*, const pb::AddAccountRequest* req, pb::Account* rep) override {
    last_password = req->password();
    if (req->address() == "demo@example.test")
      return {grpc::StatusCode::ALREADY_EXISTS, "account demo@example.test already exists"};
    rep->set_address(req->address());
    rep->set_quota_bytes(req->quota_bytes());
    return grpc::Status::OK;
  }
  grpc::Status GetAccount(grpc::ServerContext*, const pb::AccountRequest* req, pb::Account* rep) override {
    if (req->address() != "a@example.test") return {grpc::StatusCode::NOT_FOUND, "account " + req->address() + " does not exist"};
    rep->set_id(7);
    rep->set_address(req->address());
    rep->set_quota_bytes(1ULL << 30);
    rep->set_used_bytes(1ULL << 29);
    rep->set_messages(3);
    rep->add_send_as("a@example.test");
    rep->add_send_as("sales@example.test");
    return grpc::Status::OK;
  }
  grpc::Status ListAccounts(grpc::ServerContext*, const pb::ListAccountsRequest*, pb::ListAccountsReply* rep) override {
    auto* a = rep->add_accounts();
    a->set_address("a@example.test");
    a->set_quota_bytes(0);
    a->set_used_bytes(1536);
    a->set_messages(2);
    return grpc::Status::OK;
  }
  grpc::Status ListAliases(grpc::ServerContext*, const pb::ListAliasesRequest*, pb::ListAliasesReply* rep) override {
    auto* a = rep->add_aliases();
    a->set_address("sales@example.test");
    a->add_targets("a@example.test");
    a->add_targets("b@remote.example");
    return grpc::Status::OK;
  }
  grpc::Status SetDisabled(grpc::ServerContext*, const pb::SetDisabledRequest* req, pb::Account* rep) override {
    if (req->address() == "locked@example.test") return {grpc::StatusCode::UNAUTHENTICATED, "credentials not accepted"};
    rep->set_address(req->address());
    rep->set_disabled(req->disabled());
    return grpc::Status::OK;
  }
  grpc::Status DeleteAlias(grpc::ServerContext*, const pb::DeleteAliasRequest* req, pb::Empty*) override {
    last_target = req->target();
    return grpc::Status::OK;
  }

  grpc::Status ClearLoginThrottle(grpc::ServerContext*, const pb::ClearLoginThrottleRequest* req,
                                  pb::ClearLoginThrottleReply* rep) override {
    last_address = req->address();
    last_account = req->account();
    if (req->address() == "192.0.2.99") return {grpc::StatusCode::UNAVAILABLE, "redis unreachable"};
    rep->set_keys_deleted(3);
    return grpc::Status::OK;
  }
  grpc::Status GetLoginThrottle(grpc::ServerContext*, const pb::GetLoginThrottleRequest*,
                                pb::LoginThrottleState* rep) override {
    rep->set_address_failures(20);
    rep->set_address_blocked_ms(845000);
    rep->set_account_failures(4);
    rep->set_pair_failures(2);
    rep->set_known(true);
    rep->set_shared(true);
    return grpc::Status::OK;
  }

  std::string last_address, last_account;
  std::chrono::system_clock::duration deadline_left{};
  std::string last_password, last_target;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&fake_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { server_->Shutdown(); }

  int run(const std::vector<std::string>& args, const std::string& password = "", int port = 0) {
    out_.str("");
    err_.str("");
    std::string server = "127.0.0.1:" + std::to_string(port ? port : port_);
    auto parsed = parse_args(args, server);
    EXPECT_TRUE(std::holds_alternative<Command>(parsed));
    const Command& cmd = std::get<Command>(parsed);
    auto stub = pb::Admin::NewStub(grpc::CreateChannel(cmd.server, grpc::InsecureChannelCredentials()));
    return execute(cmd, *stub, password, out_, err_);
  }

  FakeAdmin fake_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::ostringstream out_, err_;
};

TEST_F(CommandsTest, SuccessAndDeadline) {
  EXPECT_EQ(run({"domain", "add", "new.test"}), kExitOk);
  EXPECT_EQ(out_.str(), "domain new.test added\n");
  EXPECT_EQ(err_.str(), "");
  EXPECT_GT(fake_.deadline_left, std::chrono::seconds(5));
  // The server sees the deadline through gRPC's own clock conversion, which
  // may round it up slightly; a deadline far above the limit is the bug.
  EXPECT_LE(fake_.deadline_left, kRpcDeadline + std::chrono::seconds(1));
}

TEST_F(CommandsTest, RefusedIsExitOneWithServerMessage) {
  EXPECT_EQ(run({"account", "add", "demo@example.test", "--password-stdin"}, "pw"), kExitRefused);
  EXPECT_EQ(err_.str(), "mailctl: account demo@example.test already exists\n");
  EXPECT_EQ(fake_.last_password, "pw");
  EXPECT_EQ(run({"account", "show", "x@example.test"}), kExitRefused);
  EXPECT_EQ(err_.str(), "mailctl: account x@example.test does not exist\n");
  EXPECT_EQ(run({"account", "passwd", "a@example.test", "--password-stdin"}, "pw"), kExitRefused);
  EXPECT_EQ(err_.str(), "mailctl: not implemented by the server\n");
}

TEST_F(CommandsTest, DisableAndEnable) {
  EXPECT_EQ(run({"account", "disable", "a@example.test"}), kExitOk);
  EXPECT_EQ(out_.str(), "account a@example.test disabled\n");
  EXPECT_EQ(run({"account", "enable", "a@example.test"}), kExitOk);
  EXPECT_EQ(out_.str(), "account a@example.test enabled\n");
  EXPECT_EQ(run({"account", "show", "a@example.test"}), kExitOk);
  EXPECT_NE(out_.str().find("login:     enabled\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("send as:   a@example.test sales@example.test\n"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, RefusedTokenIsExitOneAndSaysSo) {
  EXPECT_EQ(run({"account", "disable", "locked@example.test"}), kExitRefused);
  EXPECT_NE(err_.str().find("refused our token (unauthenticated)"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, UnavailableIsExitThree) {
  EXPECT_EQ(run({"domain", "add", "down.test"}), kExitUnreachable);
  EXPECT_NE(err_.str().find("unavailable: database unavailable"), std::string::npos) << err_.str();
  int dead_port = port_;
  server_->Shutdown();
  server_->Wait();
  EXPECT_EQ(run({"domain", "list"}, "", dead_port), kExitUnreachable);
  EXPECT_EQ(err_.str().rfind("mailctl: admin server 127.0.0.1:" + std::to_string(dead_port) + " unavailable", 0), 0u)
      << err_.str();
}

TEST_F(CommandsTest, Tables) {
  EXPECT_EQ(run({"domain", "list"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "DOMAIN          ACCOUNTS\n"
            "example.test    2\n"
            "evil?[31m.test  0\n");
  EXPECT_EQ(run({"account", "list"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "ADDRESS         QUOTA      USED  MESSAGES\n"
            "a@example.test  unlimited  1.5K  2\n");
  EXPECT_EQ(run({"alias", "list", "example.test"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "ALIAS               TARGETS\n"
            "sales@example.test  a@example.test, b@remote.example\n");
  EXPECT_EQ(run({"account", "show", "a@example.test"}), kExitOk);
  EXPECT_NE(out_.str().find("quota:     1G (1073741824 bytes)\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("used:      512M (536870912 bytes), 50%\n"), std::string::npos) << out_.str();
  EXPECT_EQ(run({"alias", "delete", "sales@example.test", "b@remote.example"}), kExitOk);
  EXPECT_EQ(fake_.last_target, "b@remote.example");
}

TEST(PasswordInput, FirstLine) {
  EXPECT_EQ(first_line_password("secret\n", "f").password, "secret");
  EXPECT_EQ(first_line_password("secret\r\nignored\n", "f").password, "secret");
  EXPECT_EQ(first_line_password("with space ", "f").password, "with space ");
  EXPECT_EQ(first_line_password("nonl", "f").password, "nonl");
  EXPECT_FALSE(first_line_password("", "f").password);
  EXPECT_FALSE(first_line_password("\nsecond", "f").password);
  EXPECT_EQ(first_line_password("", "file x").error, "empty password from file x");
  EXPECT_FALSE(first_line_password(std::string(kMaxPasswordInput + 1, 'x'), "f").password);
  EXPECT_TRUE(first_line_password(std::string(kMaxPasswordInput, 'x'), "f").password);
}

TEST(PasswordInput, MissingFile) {
  Command c;
  c.password = PasswordSource::file;
  c.password_file = "/nonexistent/pw";
  auto r = read_password(c);
  EXPECT_FALSE(r.password);
  EXPECT_EQ(r.error, "cannot read password file /nonexistent/pw");
}

TEST_F(CommandsTest, Throttle) {
  EXPECT_EQ(run({"throttle", "clear", "--address", "192.0.2.7"}), kExitOk);
  EXPECT_EQ(out_.str(), "login throttle cleared for address 192.0.2.7 (3 keys deleted)\n");
  EXPECT_EQ(fake_.last_address, "192.0.2.7");
  EXPECT_EQ(fake_.last_account, "");
  EXPECT_EQ(run({"throttle", "clear", "--account", "a@example.test"}), kExitOk);
  EXPECT_EQ(out_.str(), "login throttle cleared for account a@example.test (3 keys deleted)\n");
  EXPECT_EQ(run({"throttle", "clear", "--address", "192.0.2.99"}), kExitUnreachable);
  EXPECT_EQ(run({"throttle", "show", "--address", "192.0.2.7", "--account", "a@example.test"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "address:   192.0.2.7: 20 failures, blocked for 14m 5s\n"
            "account:   a@example.test: 4 failures\n"
            "pair:      2 failures, not blocked, known (logged in lately)\n");
}

}  // namespace
}  // namespace mail::mailctl
