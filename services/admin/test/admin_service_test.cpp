// SPDX-License-Identifier: Apache-2.0
// Admin and Directory gRPC services over an in-memory fake directory, through
// a real in-process gRPC server on port 0: status mapping, replies, metrics,
// that passwords never reach the log, and the login throttle RPCs (in the
// test's Redis).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "admin_service.h"
#include "directory_service.h"
#include "mail/common/log.h"
#include "mail/rpc/channel.h"
#include "status.h"

namespace mail::admin {
namespace {

namespace dpb = mail::directory::v1;
using directory::Error;
using directory::ErrorCode;
template <class T>
using Result = directory::Result<T>;

const std::string kAdminToken = "admin-token-0123456789abcdef";
const std::string kMsaToken = "msa-token-0123456789abcdef";

// Just enough of a directory: state in maps; magic names produce errors.
class FakeDirectory final : public directory::Directory {
 public:
  Result<directory::DomainInfo> add_domain(std::string_view name) override {
    std::string n(name);
    if (n == "down.test") return Error{ErrorCode::unavailable, "database unavailable"};
    if (n == "bug.test") return Error{ErrorCode::internal, "database error: relation does not exist"};
    if (n.empty() || n.find(' ') != std::string::npos) return Error{ErrorCode::invalid_argument, "invalid domain name: " + n};
    if (!domains_.insert(n).second) return Error{ErrorCode::already_exists, "domain " + n + " already exists"};
    return directory::DomainInfo{1, n, 0};
  }
  directory::Status delete_domain(std::string_view name, bool force) override {
    last_force_ = force;
    if (name == "busy.test") return Error{ErrorCode::failed_precondition, "domain busy.test still has 2 accounts"};
    if (!domains_.erase(std::string(name))) return Error{ErrorCode::not_found, "domain " + std::string(name) + " does not exist"};
    return directory::Done{};
  }
  Result<std::vector<directory::DomainInfo>> list_domains() override {
    std::vector<directory::DomainInfo> out;
    for (const auto& d : domains_) out.push_back({0, d, 0});
    return out;
  }
  Result<directory::AccountInfo> add_account(std::string_view address, std::string_view password,
                                             uint64_t quota) override {
    std::string a(address);
    if (accounts_.count(a)) return Error{ErrorCode::already_exists, "account " + a + " already exists"};
    accounts_[a] = {static_cast<int64_t>(accounts_.size() + 1), std::string(password), quota};
    return info(a);
  }
  directory::Status delete_account(std::string_view address) override {
    if (!accounts_.erase(std::string(address))) return Error{ErrorCode::not_found, "no"};
    return directory::Done{};
  }
  Result<directory::AccountInfo> get_account(std::string_view address) override {
    if (!accounts_.count(std::string(address))) return Error{ErrorCode::not_found, "account " + std::string(address) + " does not exist"};
    return info(std::string(address));
  }
  Result<std::vector<directory::AccountInfo>> list_accounts(std::string_view) override {
    std::vector<directory::AccountInfo> out;
    for (const auto& [a, _] : accounts_) out.push_back(info(a));
    return out;
  }
  directory::Status set_password(std::string_view address, std::string_view password) override {
    auto it = accounts_.find(std::string(address));
    if (it == accounts_.end()) return Error{ErrorCode::not_found, "no"};
    it->second.password = password;
    return directory::Done{};
  }
  Result<directory::AccountInfo> set_quota(std::string_view address, uint64_t quota) override {
    auto it = accounts_.find(std::string(address));
    if (it == accounts_.end()) return Error{ErrorCode::not_found, "no"};
    it->second.quota = quota;
    return info(it->first);
  }
  Result<directory::AccountInfo> set_disabled(std::string_view address, bool disabled) override {
    auto it = accounts_.find(std::string(address));
    if (it == accounts_.end()) return Error{ErrorCode::not_found, "no"};
    it->second.disabled = disabled;
    return info(it->first);
  }
  Result<directory::AliasInfo> add_alias(std::string_view address, const std::vector<std::string>& targets) override {
    auto& t = aliases_[std::string(address)];
    for (const auto& x : targets) t.insert(x);
    return directory::AliasInfo{std::string(address), {t.begin(), t.end()}};
  }
  directory::Status delete_alias(std::string_view address, std::string_view target) override {
    last_alias_target_ = target;
    if (!aliases_.erase(std::string(address))) return Error{ErrorCode::not_found, "no"};
    return directory::Done{};
  }
  Result<std::vector<directory::AliasInfo>> list_aliases(std::string_view) override {
    std::vector<directory::AliasInfo> out;
    for (const auto& [a, t] : aliases_) out.push_back({a, {t.begin(), t.end()}});
    return out;
  }
  Result<std::optional<directory::AuthResult>> authenticate(std::string_view user, std::string_view pw) override {
    if (user == "down@x.test") return Error{ErrorCode::unavailable, "database unavailable"};
    auto it = accounts_.find(std::string(user));
    if (it == accounts_.end() || it->second.password != pw) return std::optional<directory::AuthResult>{};
    return std::optional<directory::AuthResult>(directory::AuthResult{it->second.id, it->first});
  }
  Result<std::vector<std::string>> sender_addresses(int64_t id) override {
    if (id != 1) return Error{ErrorCode::not_found, "account does not exist"};
    return std::vector<std::string>{"a@x.test", "sales@x.test"};
  }
  Result<directory::RecipientCheck> check_recipient(std::string_view address, uint64_t size) override {
    using S = directory::RecipientStatus;
    std::string a(address);
    if (a == "garbage") return Error{ErrorCode::invalid_argument, "invalid address: garbage"};
    if (a == "a@x.test")
      return directory::RecipientCheck{size > 5000 ? S::local_too_large : size > 100 ? S::local_over_quota : S::local_ok, a};
    if (a.ends_with("@x.test")) return directory::RecipientCheck{S::local_unknown, a};
    return directory::RecipientCheck{S::not_local, a};
  }
  bool ready() override { return true; }

  bool last_force_ = true;
  std::string last_alias_target_;

 public:  // the tests look at the state
  struct Acct {
    int64_t id;
    std::string password;
    uint64_t quota;
    bool disabled = false;
  };
  directory::AccountInfo info(const std::string& a) {
    const Acct& x = accounts_.at(a);
    directory::AccountInfo i;
    i.id = x.id;
    i.address = a;
    i.quota_bytes = x.quota;
    i.used_bytes = 7;
    i.messages = 1;
    i.disabled = x.disabled;
    return i;
  }
  std::set<std::string> domains_;
  std::map<std::string, Acct> accounts_;
  std::map<std::string, std::set<std::string>> aliases_;
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::init("admin-test", log::Level::debug);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&admin_);
    b.RegisterService(&dirsvc_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
    admin_stub_ = v1::Admin::NewStub(channel(kAdminToken));
    dir_stub_ = dpb::Directory::NewStub(channel(kMsaToken));
    subscriber_.start();
    ASSERT_TRUE(next_notice()) << "no Redis for change notices at MAIL_TEST_REDIS";  // the "all" of subscribing
  }
  void TearDown() override {
    subscriber_.stop();
    server_->Shutdown();
  }

  std::shared_ptr<grpc::Channel> channel(const std::string& token) {
    return rpc::make_channel("127.0.0.1:" + std::to_string(port_), token);
  }

  static rpc::CallerTokens tokens() {
    rpc::CallerTokens t;
    t.add("admin", kAdminToken);
    t.add("msa", kMsaToken);
    return t;
  }

  static directory::RedisEndpoint redis() {
    directory::RedisEndpoint e;
    const char* env = std::getenv("MAIL_TEST_REDIS");
    std::string v = env && *env ? env : "127.0.0.1:26380";
    e.host = v.substr(0, v.rfind(':'));
    e.port = std::stoi(v.substr(v.rfind(':') + 1));
    e.channel = "mail:test:admin:" + std::to_string(::getpid());
    return e;
  }

  std::optional<directory::ChangeNotice> next_notice(std::chrono::milliseconds within = std::chrono::seconds(5)) {
    std::unique_lock lock(notice_mu_);
    if (!notice_cv_.wait_for(lock, within, [&] { return !notices_.empty(); })) return std::nullopt;
    auto n = notices_.front();
    notices_.pop_front();
    return n;
  }

  grpc::Status add_domain(const std::string& name) {
    grpc::ClientContext ctx;
    v1::DomainRequest req;
    req.set_name(name);
    v1::Domain rep;
    return admin_stub_->AddDomain(&ctx, req, &rep);
  }

  dpb::AuthenticateReply auth(const std::string& user, const std::string& pw, grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    dpb::AuthenticateRequest req;
    req.set_username(user);
    req.set_password(pw);
    req.set_client_ip("192.0.2.7");
    req.set_protocol("pop3");
    dpb::AuthenticateReply rep;
    grpc::Status s = dir_stub_->Authenticate(&ctx, req, &rep);
    if (status) *status = s;
    return rep;
  }

  // The value of one series in the text exposition ("" when absent).
  std::string metric(const std::string& name, const std::vector<std::string>& labels) {
    std::string text = registry_.serialize();
    size_t pos = 0;
    while ((pos = text.find(name + "{", pos)) != std::string::npos) {
      size_t end = text.find('\n', pos);
      std::string line = text.substr(pos, end - pos);
      bool all = true;
      for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
      if (all) return line.substr(line.rfind(' ') + 1);
      pos = end;
    }
    return "";
  }

  FakeDirectory dir_;
  metrics::Registry registry_;
  RpcMetrics metrics_{registry_};
  rpc::CallerTokens tokens_ = tokens();
  rpc::CallGuard admin_guard_{tokens_, "admin", {"admin"}, registry_};
  rpc::CallGuard dir_guard_{tokens_, "directory", {"msa"}, registry_};
  directory::ChangePublisher publisher_{redis()};
  // The edges' shared throttle in the test's Redis, under a key prefix of its own.
  static directory::ThrottleConfig throttle_config() {
    directory::ThrottleConfig c;
    c.redis_host = redis().host;
    c.redis_port = redis().port;
    c.key_prefix = "mail:test:throttle:" + std::to_string(::getpid()) + ":";
    c.redis_timeout = std::chrono::milliseconds(1000);
    return c;
  }
  directory::LoginThrottle throttle_{throttle_config(), registry_, "admin"};
  AdminService admin_{dir_, metrics_, admin_guard_, publisher_, &throttle_};
  DirectoryService dirsvc_{dir_, metrics_, dir_guard_};
  std::mutex notice_mu_;
  std::condition_variable notice_cv_;
  std::deque<directory::ChangeNotice> notices_;
  directory::ChangeSubscriber subscriber_{redis(), [this](const directory::ChangeNotice& n) {
                                            std::lock_guard lock(notice_mu_);
                                            notices_.push_back(n);
                                            notice_cv_.notify_all();
                                          }};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Admin::Stub> admin_stub_;
  std::unique_ptr<dpb::Directory::Stub> dir_stub_;
  int port_ = 0;
};

TEST(StatusMapping, EveryErrorCode) {
  const std::pair<ErrorCode, grpc::StatusCode> cases[] = {
      {ErrorCode::already_exists, grpc::StatusCode::ALREADY_EXISTS},
      {ErrorCode::not_found, grpc::StatusCode::NOT_FOUND},
      {ErrorCode::invalid_argument, grpc::StatusCode::INVALID_ARGUMENT},
      {ErrorCode::failed_precondition, grpc::StatusCode::FAILED_PRECONDITION},
      {ErrorCode::unavailable, grpc::StatusCode::UNAVAILABLE},
      {ErrorCode::limit, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {ErrorCode::internal, grpc::StatusCode::INTERNAL},
  };
  for (auto [in, want] : cases) {
    grpc::Status s = to_grpc_status(Error{in, "msg"});
    EXPECT_EQ(s.error_code(), want) << directory::to_string(in);
    if (in != ErrorCode::internal) {
      EXPECT_EQ(s.error_message(), "msg");
    }
  }
  EXPECT_EQ(to_grpc_status(Error{ErrorCode::internal, "database error: secret detail"}).error_message().find("secret"),
            std::string::npos);
  EXPECT_STREQ(status_code_name(grpc::StatusCode::ALREADY_EXISTS), "ALREADY_EXISTS");
}

TEST_F(ServiceTest, AdminStatusesAndMetrics) {
  EXPECT_TRUE(add_domain("x.test").ok());
  grpc::Status dup = add_domain("x.test");
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(dup.error_message(), "domain x.test already exists");
  EXPECT_EQ(add_domain("a b").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(add_domain("down.test").error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::Status bug = add_domain("bug.test");
  EXPECT_EQ(bug.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(bug.error_message().find("relation"), std::string::npos);

  {
    grpc::ClientContext ctx;
    v1::DomainRequest req;
    req.set_name("busy.test");
    v1::Empty rep;
    grpc::Status s = admin_stub_->DeleteDomain(&ctx, req, &rep);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_FALSE(dir_.last_force_);
  }

  EXPECT_EQ(metric("mail_admin_grpc_requests_total", {"method=\"AddDomain\"", "code=\"OK\""}), "1");
  EXPECT_EQ(metric("mail_admin_grpc_requests_total", {"method=\"AddDomain\"", "code=\"ALREADY_EXISTS\""}), "1");
  EXPECT_EQ(metric("mail_admin_grpc_requests_total", {"method=\"DeleteDomain\"", "code=\"FAILED_PRECONDITION\""}), "1");
  EXPECT_EQ(metric("mail_admin_grpc_request_duration_seconds_count", {"method=\"AddDomain\"", "service=\"Admin\""}), "5");
}

TEST_F(ServiceTest, AccountsAliasesReplies) {
  {
    grpc::ClientContext ctx;
    v1::AddAccountRequest req;
    req.set_address("a@x.test");
    req.set_password("pw");
    req.set_quota_bytes(1000);
    v1::Account rep;
    ASSERT_TRUE(admin_stub_->AddAccount(&ctx, req, &rep).ok());
    EXPECT_EQ(rep.address(), "a@x.test");
    EXPECT_EQ(rep.quota_bytes(), 1000u);
    EXPECT_EQ(rep.used_bytes(), 7u);
  }
  {
    grpc::ClientContext ctx;
    v1::AccountRequest req;
    req.set_address("a@x.test");
    v1::Account rep;
    ASSERT_TRUE(admin_stub_->GetAccount(&ctx, req, &rep).ok());
    ASSERT_EQ(rep.send_as_size(), 2) << "show says which addresses it may send as";
    EXPECT_EQ(rep.send_as(0), "a@x.test");
    EXPECT_EQ(rep.send_as(1), "sales@x.test");
  }
  {
    grpc::ClientContext ctx;
    v1::AccountRequest req;
    req.set_address("nobody@x.test");
    v1::Account rep;
    grpc::Status s = admin_stub_->GetAccount(&ctx, req, &rep);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(s.error_message(), "account nobody@x.test does not exist");
  }
  {
    grpc::ClientContext ctx;
    v1::AddAliasRequest req;
    req.set_address("sales@x.test");
    req.add_targets("a@x.test");
    req.add_targets("b@remote.example");
    v1::Alias rep;
    ASSERT_TRUE(admin_stub_->AddAlias(&ctx, req, &rep).ok());
    EXPECT_EQ(rep.targets_size(), 2);
  }
  {
    grpc::ClientContext ctx;
    v1::DeleteAliasRequest req;
    req.set_address("sales@x.test");
    req.set_target("b@remote.example");
    v1::Empty rep;
    ASSERT_TRUE(admin_stub_->DeleteAlias(&ctx, req, &rep).ok());
    EXPECT_EQ(dir_.last_alias_target_, "b@remote.example");
  }
  {
    grpc::ClientContext ctx;
    v1::ListAccountsReply rep;
    ASSERT_TRUE(admin_stub_->ListAccounts(&ctx, v1::ListAccountsRequest{}, &rep).ok());
    ASSERT_EQ(rep.accounts_size(), 1);
    EXPECT_EQ(rep.accounts(0).messages(), 1u);
  }
}

TEST_F(ServiceTest, DirectoryQuestions) {
  ASSERT_TRUE(dir_.add_account("a@x.test", "right", 0).ok());
  auto ok = auth("a@x.test", "right");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.account_id(), 1);
  EXPECT_EQ(ok.address(), "a@x.test");
  auto bad = auth("a@x.test", "wrong");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.account_id(), 0);
  grpc::Status s;
  auth("down@x.test", "x", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(metric("mail_admin_auth_attempts_total", {"result=\"ok\""}), "1");
  EXPECT_EQ(metric("mail_admin_auth_attempts_total", {"result=\"fail\""}), "1");
  EXPECT_EQ(metric("mail_admin_auth_attempts_total", {"result=\"error\""}), "1");

  {
    grpc::ClientContext ctx;
    dpb::SenderAddressesRequest req;
    req.set_account_id(1);
    dpb::SenderAddressesReply rep;
    ASSERT_TRUE(dir_stub_->SenderAddresses(&ctx, req, &rep).ok());
    EXPECT_EQ(rep.addresses_size(), 2);
  }
  const std::tuple<std::string, uint64_t, dpb::RecipientStatus> checks[] = {
      {"a@x.test", 10, dpb::LOCAL_OK},
      {"a@x.test", 1000, dpb::LOCAL_OVER_QUOTA},
      {"a@x.test", 6000, dpb::LOCAL_TOO_LARGE},
      {"zz@x.test", 0, dpb::LOCAL_UNKNOWN},
      {"zz@elsewhere.example", 0, dpb::NOT_LOCAL},
  };
  for (const auto& [addr, size, want] : checks) {
    grpc::ClientContext ctx;
    dpb::CheckRecipientRequest req;
    req.set_address(addr);
    req.set_size(size);
    dpb::CheckRecipientReply rep;
    ASSERT_TRUE(dir_stub_->CheckRecipient(&ctx, req, &rep).ok());
    EXPECT_EQ(rep.status(), want) << addr;
    EXPECT_EQ(rep.normalized(), addr);
  }
  grpc::ClientContext ctx;
  dpb::CheckRecipientRequest req;
  req.set_address("garbage");
  dpb::CheckRecipientReply rep;
  EXPECT_EQ(dir_stub_->CheckRecipient(&ctx, req, &rep).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(metric("mail_admin_recipient_checks_total", {"status=\"local_over_quota\""}), "1");
  EXPECT_EQ(metric("mail_admin_recipient_checks_total", {"status=\"local_too_large\""}), "1");
}

TEST_F(ServiceTest, PasswordsNeverLogged) {
  const std::string secret = "Tr0ub4dor&3-never-in-logs";
  ::testing::internal::CaptureStderr();
  {
    grpc::ClientContext ctx;
    v1::AddAccountRequest req;
    req.set_address("p@x.test");
    req.set_password(secret);
    v1::Account rep;
    EXPECT_TRUE(admin_stub_->AddAccount(&ctx, req, &rep).ok());
  }
  {
    grpc::ClientContext ctx;
    v1::AddAccountRequest req;
    req.set_address("p@x.test");  // refused: logged with its error
    req.set_password(secret);
    v1::Account rep;
    EXPECT_FALSE(admin_stub_->AddAccount(&ctx, req, &rep).ok());
  }
  {
    grpc::ClientContext ctx;
    v1::SetPasswordRequest req;
    req.set_address("p@x.test");
    req.set_password(secret + "2");
    v1::Empty rep;
    EXPECT_TRUE(admin_stub_->SetPassword(&ctx, req, &rep).ok());
  }
  auth("p@x.test", secret);  // now wrong: a failed login is logged
  std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("account added"), std::string::npos) << logged;
  EXPECT_NE(logged.find("authentication failed"), std::string::npos) << logged;
  EXPECT_NE(logged.find("192.0.2.7"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("Tr0ub4dor"), std::string::npos) << logged;
}

TEST_F(ServiceTest, AdminNeedsAnAdministratorsToken) {
  struct Case {
    std::string token;
    grpc::StatusCode want;
  };
  for (const Case& c : {Case{"", grpc::StatusCode::UNAUTHENTICATED},
                        Case{"wrong-token-0123456789abcdef", grpc::StatusCode::UNAUTHENTICATED},
                        Case{kMsaToken, grpc::StatusCode::PERMISSION_DENIED}}) {
    auto stub = v1::Admin::NewStub(channel(c.token));
    grpc::ClientContext ctx;
    v1::SetPasswordRequest req;
    req.set_address("victim@x.test");
    req.set_password("taken-over");
    v1::Empty rep;
    EXPECT_EQ(stub->SetPassword(&ctx, req, &rep).error_code(), c.want) << c.token;
    grpc::ClientContext ctx2;
    v1::DomainRequest dreq;
    dreq.set_name("evil.test");
    v1::Domain drep;
    EXPECT_EQ(stub->AddDomain(&ctx2, dreq, &drep).error_code(), c.want) << c.token;
  }
  EXPECT_TRUE(dir_.domains_.empty()) << "nothing reached the directory";
  EXPECT_EQ(metric("mail_rpc_refused_total", {"api=\"admin\"", "reason=\"missing\""}), "2");
  EXPECT_EQ(metric("mail_rpc_refused_total", {"api=\"admin\"", "reason=\"unknown\""}), "2");
  EXPECT_EQ(metric("mail_rpc_refused_total", {"api=\"admin\"", "reason=\"forbidden\""}), "2");
  EXPECT_EQ(metric("mail_admin_grpc_requests_total", {"method=\"AddDomain\"", "code=\"UNAUTHENTICATED\""}), "2");
  EXPECT_TRUE(add_domain("x.test").ok()) << "the administrator's token works";
}

TEST_F(ServiceTest, LoginThrottleShowAndClear) {
  auto get = [&](const std::string& address, const std::string& account, v1::LoginThrottleState* rep) {
    grpc::ClientContext ctx;
    v1::GetLoginThrottleRequest req;
    req.set_address(address);
    req.set_account(account);
    return admin_stub_->GetLoginThrottle(&ctx, req, rep);
  };
  auto clear = [&](v1::Admin::Stub& stub, const std::string& address, const std::string& account, int64_t* keys) {
    grpc::ClientContext ctx;
    v1::ClearLoginThrottleRequest req;
    req.set_address(address);
    req.set_account(account);
    v1::ClearLoginThrottleReply rep;
    grpc::Status st = stub.ClearLoginThrottle(&ctx, req, &rep);
    if (keys) *keys = rep.keys_deleted();
    return st;
  };
  for (int i = 0; i < 3; ++i) throttle_.failed("192.0.2.7", "a@x.test");
  throttle_.failed("198.51.100.1", "a@x.test");
  v1::LoginThrottleState s;
  ASSERT_TRUE(get("192.0.2.7", "A@X.test", &s).ok());
  EXPECT_EQ(s.address_failures(), 3);
  EXPECT_EQ(s.pair_failures(), 3);
  EXPECT_EQ(s.account_failures(), 4);
  EXPECT_TRUE(s.shared()) << "no Redis for the throttle at MAIL_TEST_REDIS";

  // Only the administrator may look or lift.
  auto edge = v1::Admin::NewStub(channel(kMsaToken));
  EXPECT_EQ(clear(*edge, "192.0.2.7", "", nullptr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext ctx;
  v1::GetLoginThrottleRequest req;
  req.set_address("192.0.2.7");
  EXPECT_EQ(edge->GetLoginThrottle(&ctx, req, &s).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Exactly one subject to clear; addresses must be IP addresses.
  EXPECT_EQ(clear(*admin_stub_, "", "", nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(clear(*admin_stub_, "192.0.2.7", "a@x.test", nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(clear(*admin_stub_, "not-an-ip", "", nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(get("", "", &s).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(get("192.0.2.7", "a@x.test", &s).ok());
  EXPECT_EQ(s.pair_failures(), 3) << "refused calls changed nothing";

  int64_t keys = 0;
  ASSERT_TRUE(clear(*admin_stub_, "192.0.2.7", "", &keys).ok());
  EXPECT_GE(keys, 2);  // the address's count and its pair
  ASSERT_TRUE(get("192.0.2.7", "a@x.test", &s).ok());
  EXPECT_EQ(s.address_failures(), 0);
  EXPECT_EQ(s.pair_failures(), 0);
  EXPECT_EQ(s.account_failures(), 4) << "the account's own count is the account's";
  ASSERT_TRUE(clear(*admin_stub_, "", "a@x.test", &keys).ok());
  EXPECT_GE(keys, 2);
  ASSERT_TRUE(get("198.51.100.1", "a@x.test", &s).ok());
  EXPECT_EQ(s.account_failures(), 0);
  EXPECT_EQ(s.pair_failures(), 0);
  EXPECT_EQ(metric("mail_admin_grpc_requests_total", {"method=\"ClearLoginThrottle\"", "code=\"OK\""}), "2");
}

TEST_F(ServiceTest, DirectoryTakesOnlyTheEdges) {
  ASSERT_TRUE(dir_.add_account("a@x.test", "right", 0).ok());
  for (const std::string& token : {std::string(), std::string("wrong-token-0123456789abcdef"), kAdminToken}) {
    auto stub = dpb::Directory::NewStub(channel(token));
    grpc::ClientContext ctx;
    dpb::AuthenticateRequest req;
    req.set_username("a@x.test");
    req.set_password("right");
    dpb::AuthenticateReply rep;
    auto st = stub->Authenticate(&ctx, req, &rep);
    EXPECT_FALSE(st.ok()) << token;
    EXPECT_FALSE(rep.ok());
    grpc::ClientContext ctx2;
    dpb::CheckRecipientRequest creq;
    creq.set_address("a@x.test");
    dpb::CheckRecipientReply crep;
    EXPECT_FALSE(stub->CheckRecipient(&ctx2, creq, &crep).ok()) << token;
    grpc::ClientContext ctx3;
    dpb::SenderAddressesRequest sreq;
    sreq.set_account_id(1);
    dpb::SenderAddressesReply srep;
    EXPECT_FALSE(stub->SenderAddresses(&ctx3, sreq, &srep).ok()) << token;
  }
  EXPECT_EQ(metric("mail_admin_auth_attempts_total", {"result=\"ok\""}), "") << "no password was checked";
  EXPECT_EQ(metric("mail_rpc_refused_total", {"api=\"directory\"", "reason=\"forbidden\""}), "3");
  EXPECT_TRUE(auth("a@x.test", "right").ok()) << "the msa's token works";
}

TEST_F(ServiceTest, PasswordsAreBytes) {
  const std::string latin1("caf\xe9-\xff\xfe-\x80", 9);
  grpc::ClientContext ctx;
  v1::AddAccountRequest req;
  req.set_address("b@x.test");
  req.set_password(latin1);
  v1::Account rep;
  ASSERT_TRUE(admin_stub_->AddAccount(&ctx, req, &rep).ok());
  grpc::Status st;
  EXPECT_TRUE(auth("b@x.test", latin1, &st).ok()) << st.error_message();
  EXPECT_TRUE(st.ok());
  EXPECT_FALSE(auth("b@x.test", std::string("caf\xc3\xa9-\xff\xfe-\x80", 10), &st).ok()) << "other bytes";
  EXPECT_TRUE(st.ok()) << "a wrong non-UTF-8 password is a plain failure, not an error";
}

TEST_F(ServiceTest, ChangesArePublishedToTheCaches) {
  {
    grpc::ClientContext ctx;
    v1::AddAccountRequest req;
    req.set_address("c@x.test");
    req.set_password("one");
    v1::Account rep;
    ASSERT_TRUE(admin_stub_->AddAccount(&ctx, req, &rep).ok());
    auto n = next_notice();
    ASSERT_TRUE(n);
    EXPECT_FALSE(n->all);
    EXPECT_EQ(n->account_id, rep.id());
    EXPECT_EQ(n->address, "c@x.test");
  }
  const int64_t id = dir_.accounts_.at("c@x.test").id;
  {
    grpc::ClientContext ctx;
    v1::SetPasswordRequest req;
    req.set_address("c@x.test");
    req.set_password("two");
    v1::Empty rep;
    ASSERT_TRUE(admin_stub_->SetPassword(&ctx, req, &rep).ok());
    auto n = next_notice();
    ASSERT_TRUE(n);
    EXPECT_FALSE(n->all);
    EXPECT_EQ(n->account_id, id);
  }
  {
    grpc::ClientContext ctx;
    v1::AddAliasRequest req;
    req.set_address("team@x.test");
    req.add_targets("c@x.test");
    v1::Alias rep;
    ASSERT_TRUE(admin_stub_->AddAlias(&ctx, req, &rep).ok());
    auto n = next_notice();
    ASSERT_TRUE(n);
    EXPECT_TRUE(n->all) << "sender addresses changed";
  }
  {
    grpc::ClientContext ctx;
    v1::SetDisabledRequest req;
    req.set_address("c@x.test");
    req.set_disabled(true);
    v1::Account rep;
    ASSERT_TRUE(admin_stub_->SetDisabled(&ctx, req, &rep).ok());
    EXPECT_TRUE(rep.disabled());
    auto n = next_notice();
    ASSERT_TRUE(n);
    EXPECT_EQ(n->account_id, id) << "a disabled account's cached logins end";
  }
  {
    grpc::ClientContext ctx;
    v1::AccountRequest req;
    req.set_address("c@x.test");
    v1::Empty rep;
    ASSERT_TRUE(admin_stub_->DeleteAccount(&ctx, req, &rep).ok());
    auto n = next_notice();
    ASSERT_TRUE(n);
    EXPECT_EQ(n->account_id, id);
  }
  {
    grpc::ClientContext ctx;  // refused: nothing changed, nothing published
    v1::SetPasswordRequest req;
    req.set_address("c@x.test");
    req.set_password("three");
    v1::Empty rep;
    EXPECT_FALSE(admin_stub_->SetPassword(&ctx, req, &rep).ok());
    EXPECT_FALSE(next_notice(std::chrono::milliseconds(300)));
  }
}

}  // namespace
}  // namespace mail::admin
