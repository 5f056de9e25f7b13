// SPDX-License-Identifier: Apache-2.0
// fake_directory.h: the one fake of the admin service's Directory gRPC API,
// for the tests of its callers (the shared directory client, the msa and
// pop3 sessions). It answers from tables the test fills: accounts (login
// name + password -> account id and address), sender addresses per
// account, and recipients (address -> status), with a rule for the rest.
// It counts calls and keeps the last requests, and can be made to fail
// (every call, or one recipient) or to answer slowly. The behaviour under
// test is always the caller's; this only stands in for the admin service.
//
// Header-only test support: tests add ${PROJECT_SOURCE_DIR}/tests/support
// to their include path and link mail_proto and gRPC.
// Thread-safe: gRPC calls it from its own threads while the test reads it.
#pragma once
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mail/directory/v1/directory.grpc.pb.h"

namespace mail::test {

class FakeDirectory : public mail::directory::v1::Directory::Service {
 public:
  using pb_status = mail::directory::v1::RecipientStatus;
  struct Account {
    std::string password;
    int64_t id = 0;             ///< 0: "ok" without an account
    std::string address;        ///< as the directory would answer it
    std::vector<std::string> senders;  ///< SenderAddresses of `id`
  };
  struct Recipient {
    pb_status status = mail::directory::v1::LOCAL_OK;
    std::optional<std::string> normalized;  ///< default: the address as asked
    grpc::StatusCode fail = grpc::StatusCode::OK;  ///< answer this status instead
  };
  /// For a recipient not in the table: the answer (nullopt: NOT_LOCAL).
  using RecipientRule = std::function<std::optional<Recipient>(const mail::directory::v1::CheckRecipientRequest&)>;

  // ---- set up (before the calls, or under the calls: all locked) ----------
  void add_account(const std::string& login, Account a) {
    std::lock_guard lock(mu_);
    accounts_[login] = std::move(a);
  }
  void add_recipient(const std::string& address) { add_recipient(address, Recipient()); }
  void add_recipient(const std::string& address, Recipient r) {
    std::lock_guard lock(mu_);
    recipients_[address] = std::move(r);
  }
  void set_recipient_rule(RecipientRule rule) {
    std::lock_guard lock(mu_);
    rule_ = std::move(rule);
  }

  /// Every call answers this status (OK: answer normally).
  std::atomic<grpc::StatusCode> fail{grpc::StatusCode::OK};
  /// Every call waits this long first.
  std::atomic<std::chrono::milliseconds> delay{std::chrono::milliseconds(0)};
  std::atomic<int> auth_calls{0}, sender_calls{0}, rcpt_calls{0};
  /// steady_clock ticks (time_since_epoch) of the last Authenticate call.
  std::atomic<int64_t> last_auth_at{0};

  mail::directory::v1::AuthenticateRequest last_auth() {
    std::lock_guard lock(mu_);
    return last_auth_;
  }

  // ---- the API ------------------------------------------------------------
  grpc::Status Authenticate(grpc::ServerContext*, const mail::directory::v1::AuthenticateRequest* req,
                            mail::directory::v1::AuthenticateReply* rep) override {
    ++auth_calls;
    last_auth_at = std::chrono::steady_clock::now().time_since_epoch().count();
    {
      std::lock_guard lock(mu_);
      last_auth_ = *req;
    }
    if (auto st = common_answer()) return *st;
    std::lock_guard lock(mu_);
    auto it = accounts_.find(req->username());
    if (it != accounts_.end() && it->second.password == req->password()) {
      rep->set_ok(true);
      rep->set_account_id(it->second.id);
      rep->set_address(it->second.address);
    }
    return grpc::Status::OK;
  }

  grpc::Status SenderAddresses(grpc::ServerContext*, const mail::directory::v1::SenderAddressesRequest* req,
                               mail::directory::v1::SenderAddressesReply* rep) override {
    ++sender_calls;
    if (auto st = common_answer()) return *st;
    std::lock_guard lock(mu_);
    for (const auto& [login, a] : accounts_)
      if (a.id != 0 && a.id == req->account_id()) {
        for (const auto& s : a.senders) rep->add_addresses(s);
        break;
      }
    return grpc::Status::OK;
  }

  grpc::Status CheckRecipient(grpc::ServerContext*, const mail::directory::v1::CheckRecipientRequest* req,
                              mail::directory::v1::CheckRecipientReply* rep) override {
    ++rcpt_calls;
    if (auto st = common_answer()) return *st;
    std::optional<Recipient> r;
    {
      std::lock_guard lock(mu_);
      auto it = recipients_.find(req->address());
      if (it != recipients_.end())
        r = it->second;
      else if (rule_)
        r = rule_(*req);
    }
    if (!r) r = Recipient{mail::directory::v1::NOT_LOCAL, std::nullopt, grpc::StatusCode::OK};
    if (r->fail != grpc::StatusCode::OK) return grpc::Status(r->fail, "configured failure");
    rep->set_status(r->status);
    rep->set_normalized(r->normalized.value_or(req->address()));
    return grpc::Status::OK;
  }

 private:
  std::optional<grpc::Status> common_answer() {
    if (delay.load().count() > 0) std::this_thread::sleep_for(delay.load());
    grpc::StatusCode code = fail.load();
    if (code != grpc::StatusCode::OK) return grpc::Status(code, "configured failure");
    return std::nullopt;
  }

  std::mutex mu_;
  std::map<std::string, Account> accounts_;
  std::map<std::string, Recipient> recipients_;
  RecipientRule rule_;
  mail::directory::v1::AuthenticateRequest last_auth_;
};

}  // namespace mail::test
