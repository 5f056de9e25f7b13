// SPDX-License-Identifier: Apache-2.0
// Trust between services over real gRPC: a small Delivery server whose one
// handler starts with a CallGuard, called through rpc::make_channel with no,
// a wrong, a forbidden and an accepted token; and the token configuration.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <fstream>

#include "mail/delivery/v1/delivery.grpc.pb.h"
#include "mail/rpc/channel.h"
#include "mail/rpc/guard.h"
#include "mail/rpc/tls.h"
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

// `service` on a free loopback port (written to *port).
std::unique_ptr<grpc::Server> serve(grpc::Service* service, const std::shared_ptr<grpc::ServerCredentials>& creds,
                                    int* port) {
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", creds, port);
  b.RegisterService(service);
  return b.BuildAndStart();
}

// One Deliver call on `channel`; the guard's caller name in *caller.
grpc::Status deliver(const std::shared_ptr<grpc::Channel>& channel, std::string* caller) {
  auto stub = pb::Delivery::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pb::DeliverRequest req;
  pb::DeliverReply rep;
  auto st = stub->Deliver(&ctx, req, &rep);
  if (caller && rep.results_size() == 1) *caller = rep.results(0).detail();
  return st;
}

class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_.add("mta", kMta);
    tokens_.add("msa", kMsa);
    guard_.emplace(tokens_, "delivery", std::vector<std::string>{"mta"}, metrics_);
    service_.emplace(*guard_);
    server_ = serve(&*service_, grpc::InsecureServerCredentials(), &port_);
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status call(const std::string& token, std::string* caller = nullptr) {
    return deliver(make_channel("127.0.0.1:" + std::to_string(port_), token), caller);
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

// ---- mutual TLS -------------------------------------------------------------

/// A CA, a server certificate for localhost and client certificates with
/// the common names mta and msa, made with the openssl command line.
class Pki {
 public:
  Pki() {
    char tmpl[] = "/tmp/rpc-pki-XXXXXX";
    dir_ = mkdtemp(tmpl);
    const std::string script = "set -e; cd " + dir_ +
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem"
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout other.key -out other.pem"
        "; for n in server mta msa stranger; do"
        "   openssl req -newkey rsa:2048 -nodes -subj /CN=$n -keyout $n.key -out $n.csr;"
        "   printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > $n.ext;"
        "   ca=ca; [ $n = stranger ] && ca=other;"
        "   openssl x509 -req -in $n.csr -CA $ca.pem -CAkey $ca.key -CAcreateserial -days 2 -extfile $n.ext -out $n.pem;"
        " done";
    std::ofstream(dir_ + "/make.sh") << script << "\n";
    ok_ = std::system(("bash " + dir_ + "/make.sh >" + dir_ + "/make.log 2>&1").c_str()) == 0;
  }
  ~Pki() { std::system(("rm -rf " + dir_).c_str()); }
  std::string path(const std::string& f) const { return dir_ + "/" + f; }
  bool ok() const { return ok_; }

 private:
  std::string dir_;
  bool ok_ = false;
};

class MtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << "openssl could not make the test certificates";
    auto server_cfg = Config::from_map({{"grpc.tls.cert", pki_.path("server.pem")},
                                        {"grpc.tls.key", pki_.path("server.key")},
                                        {"grpc.tls.client_ca", pki_.path("ca.pem")}});
    tokens_.add("msa", kMsa);
    tokens_.accept_certificates(client_certificates(server_cfg));
    guard_.emplace(tokens_, "delivery", std::vector<std::string>{"mta"}, metrics_);
    service_.emplace(*guard_);
    server_ = serve(&*service_, server_credentials(server_cfg), &port_);
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status call(const std::string& who, const std::string& token, std::string* caller = nullptr) {
    std::map<std::string, std::string> m{{"grpc.tls.ca", pki_.path("ca.pem")}, {"grpc.tls.server_name", "localhost"}};
    if (!who.empty()) {
      m["grpc.tls.cert"] = pki_.path(who + ".pem");
      m["grpc.tls.key"] = pki_.path(who + ".key");
    }
    return deliver(make_channel("127.0.0.1:" + std::to_string(port_), token, channel_security(Config::from_map(m))),
                   caller);
  }

  static Pki pki_;
  metrics::Registry metrics_;
  CallerTokens tokens_;
  std::optional<CallGuard> guard_;
  std::optional<GuardedDelivery> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};
Pki MtlsTest::pki_;

TEST_F(MtlsTest, VerifiedCertificateNamesTheCaller) {
  std::string caller;
  auto st = call("mta", "", &caller);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(caller, "mta");
}

TEST_F(MtlsTest, CertificateOfAnotherServiceIsForbidden) {
  EXPECT_EQ(call("msa", "").error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MtlsTest, NoOrForeignCertificateGetsNoConnection) {
  EXPECT_EQ(call("", "").error_code(), grpc::StatusCode::UNAVAILABLE) << "the handshake asks for a certificate";
  EXPECT_EQ(call("stranger", "").error_code(), grpc::StatusCode::UNAVAILABLE) << "signed by another CA";
}

TEST_F(MtlsTest, TokenStillCountsOverTls) {
  // The msa's certificate with the msa's token: a known caller, not allowed here.
  EXPECT_EQ(call("msa", kMsa).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call("mta", "forged-token-0123456789").error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "a wrong token is not rescued by a good certificate";
}

TEST(Tls, ConfigErrors) {
  EXPECT_THROW(server_credentials(Config::from_map({{"grpc.tls.cert", "/nonexistent.pem"}})), ConfigError);
  EXPECT_THROW(channel_security(Config::from_map({{"grpc.tls.ca", "/nonexistent.pem"}})), ConfigError);
  EXPECT_FALSE(channel_security(Config::from_map({})).credentials) << "plaintext unless configured";
  EXPECT_FALSE(client_certificates(Config::from_map({})));
}

}  // namespace
}  // namespace mail::rpc
