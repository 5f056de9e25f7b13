// SPDX-License-Identifier: Apache-2.0
// Trust between services on the running test stack (scripts/test): every
// gRPC API it serves (Admin, Directory, Transfer, Queue, Delivery) refuses a call
// with no token, with a token nobody has, and with the token of a service
// that is not one of its callers; the allowed caller gets past the guard
// (asked something harmless, it gets the API's own answer). Every service's
// token is tried on every API. Tokens are read
// from the stack's run folder (MAIL_RUN_DIR/secrets), ports from P_*.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "mail/admin/v1/admin.grpc.pb.h"
#include "mail/delivery/v1/delivery.grpc.pb.h"
#include "mail/directory/v1/directory.grpc.pb.h"
#include "mail/queue/v1/queue.grpc.pb.h"
#include "mail/rpc/channel.h"
#include "mail/transfer/v1/transfer.grpc.pb.h"

namespace {

using grpc::StatusCode;

std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

std::string address(const char* port_var, int base) {
  const int offset = std::stoi(env_or("MAIL_PORT_OFFSET", "20000"));
  return "127.0.0.1:" + env_or(port_var, std::to_string(base + offset));
}

std::string token_of(const std::string& name) {
  const std::string dir = env_or("MAIL_RUN_DIR", std::string(MAIL_SOURCE_DIR) + "/.run-test") + "/secrets/";
  std::ifstream in(dir + name + ".token");
  std::stringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

template <class Fn>
StatusCode with_deadline(Fn fn) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return fn(ctx).error_code();
}

StatusCode call_admin(const std::string& token) {
  auto stub = mail::admin::v1::Admin::NewStub(mail::rpc::make_channel(address("P_ADMIN", 7001), token));
  return with_deadline([&](grpc::ClientContext& ctx) {
    mail::admin::v1::ListDomainsReply rep;
    return stub->ListDomains(&ctx, {}, &rep);
  });
}

StatusCode call_directory(const std::string& token) {
  auto stub = mail::directory::v1::Directory::NewStub(mail::rpc::make_channel(address("P_ADMIN", 7001), token));
  return with_deadline([&](grpc::ClientContext& ctx) {
    mail::directory::v1::AuthenticateRequest req;
    req.set_username("demo@example.test");
    req.set_password("demo-password");
    req.set_client_ip("203.0.113.9");  // a claim: believed only from the msa, pop3 or imap
    mail::directory::v1::AuthenticateReply rep;
    return stub->Authenticate(&ctx, req, &rep);
  });
}

StatusCode call_transfer(const std::string& token) {
  auto stub = mail::transfer::v1::Transfer::NewStub(mail::rpc::make_channel(address("P_MTA", 7002), token));
  return with_deadline([&](grpc::ClientContext& ctx) {
    mail::transfer::v1::SubmitReply rep;
    auto w = stub->Submit(&ctx, &rep);
    mail::transfer::v1::SubmitRequest req;
    req.mutable_envelope()->set_sender("forged@remote.test");  // no recipients: INVALID_ARGUMENT past the guard
    w->Write(req);
    w->WritesDone();
    return w->Finish();
  });
}

StatusCode call_queue(const std::string& token) {
  auto stub = mail::queue::v1::Queue::NewStub(mail::rpc::make_channel(address("P_MTA", 7002), token));
  return with_deadline([&](grpc::ClientContext& ctx) {
    mail::queue::v1::Target req;  // neither a queue id nor a domain: INVALID_ARGUMENT past the guard
    mail::queue::v1::ActionReply rep;
    return stub->Hold(&ctx, req, &rep);
  });
}

StatusCode call_delivery(const std::string& token) {
  auto stub = mail::delivery::v1::Delivery::NewStub(mail::rpc::make_channel(address("P_MDA", 7003), token));
  return with_deadline([&](grpc::ClientContext& ctx) {
    mail::delivery::v1::DeliverRequest req;  // no job: INVALID_ARGUMENT past the guard
    mail::delivery::v1::DeliverReply rep;
    return stub->Deliver(&ctx, req, &rep);
  });
}

struct Api {
  const char* name;
  StatusCode (*call)(const std::string&);
  std::set<std::string> allowed;  // the callers it takes
  StatusCode allowed_code;        // what their harmless question gets
};

const Api kApis[] = {
    {"admin", call_admin, {"admin"}, StatusCode::OK},
    {"directory", call_directory, {"msa", "pop3", "imap"}, StatusCode::OK},
    {"transfer", call_transfer, {"msa", "mda"}, StatusCode::INVALID_ARGUMENT},
    {"queue", call_queue, {"admin"}, StatusCode::INVALID_ARGUMENT},
    {"delivery", call_delivery, {"mta"}, StatusCode::INVALID_ARGUMENT},
};

const char* const kServices[] = {"admin", "msa", "pop3", "imap", "mta", "mda"};

TEST(LiveTrust, EveryApiTakesOnlyItsCallers) {
  for (const Api& api : kApis) {
    SCOPED_TRACE(api.name);
    EXPECT_EQ(api.call(""), StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(api.call("a-token-that-nobody-has-0123456789"), StatusCode::UNAUTHENTICATED);
    for (const char* who : kServices) {
      const std::string token = token_of(who);
      ASSERT_FALSE(token.empty()) << "no token file for " << who;
      const StatusCode got = api.call(token);
      if (api.allowed.contains(who)) {
        EXPECT_EQ(got, api.allowed_code) << who << " is a caller";
      } else {
        // A callee that knows the token says "not for you"; one that does
        // not know it says "who are you". Either way nothing is done.
        EXPECT_TRUE(got == StatusCode::PERMISSION_DENIED || got == StatusCode::UNAUTHENTICATED)
            << who << " got " << got;
      }
    }
  }
}

TEST(LiveTrust, KnownServicesAreToldTheyMayNot) {
  // mail-admin knows the edges' tokens (for Directory) and the administrators' (for Admin).
  EXPECT_EQ(call_admin(token_of("msa")), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call_admin(token_of("pop3")), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call_directory(token_of("admin")), StatusCode::PERMISSION_DENIED);
  // The mta knows the administrators' token (for Queue), not for Transfer;
  // the mda does not know it at all.
  EXPECT_EQ(call_transfer(token_of("admin")), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call_queue(token_of("msa")), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call_delivery(token_of("admin")), StatusCode::UNAUTHENTICATED);
}

}  // namespace
