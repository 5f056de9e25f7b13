// SPDX-License-Identifier: Apache-2.0
// Test harness for the SMTP session: real msa sessions on real sockets (port
// 0, all three roles), talking gRPC to an in-process fake Directory and fake
// Transfer. The fakes stand in for the admin service and the mta only; the
// behaviour under test (the session, its gRPC clients, caching, rewriting)
// is the real code. A blocking SMTP client with bounded waits drives it.
#pragma once
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "fake_directory.h"
#include "mail/directory/client/grpc_directory_client.h"
#include "mail/directory/login_throttle.h"
#include "mail/metrics/registry.h"
#include "mail/net/server.h"
#include "mail/net/testing/client.h"
#include "mail/net/tls.h"
#include "mail/rpc/channel.h"
#include "msa_metrics.h"
#include "mta_client.h"
#include "session.h"

namespace mail::msa::test {

namespace asio = net::asio;
namespace dpb = mail::directory::v1;
namespace tpb = mail::transfer::v1;
using namespace std::chrono_literals;

// ---- fakes ---------------------------------------------------------------------

/// The shared fake (tests/support/fake_directory.h) with the msa tests'
/// tables: demo@example.test / secret (account 1, may send as demo@ and
/// alias@); recipients: demo@, postmaster@, other@ ok; full@ over quota;
/// down@ → UNAVAILABLE; other @example.test unknown; other domains not local.
/// `fail = UNAVAILABLE` makes every call fail.
class FakeDirectory : public mail::test::FakeDirectory {
 public:
  FakeDirectory() {
    using R = Recipient;
    add_account("demo@example.test", {"secret", 1, "demo@example.test", {"demo@example.test", "Alias@Example.Test"}});
    for (const char* ok : {"demo@example.test", "postmaster@example.test", "other@example.test"}) add_recipient(ok);
    add_recipient("full@example.test", R{dpb::LOCAL_OVER_QUOTA, std::nullopt, grpc::StatusCode::OK});
    add_recipient("small@example.test", R{dpb::LOCAL_TOO_LARGE, std::nullopt, grpc::StatusCode::OK});
    add_recipient("down@example.test", R{dpb::LOCAL_OK, std::nullopt, grpc::StatusCode::UNAVAILABLE});
    set_recipient_rule([](const dpb::CheckRecipientRequest& req) -> std::optional<R> {
      if (req.address().ends_with("@example.test")) return R{dpb::LOCAL_UNKNOWN, std::nullopt, grpc::StatusCode::OK};
      return std::nullopt;
    });
  }
};

/// Records what it receives; answers Q<n>, or `fail_with` when set. A
/// staged message (Stage/Append/Commit) is recorded like a submitted one,
/// each Append and a non-empty last chunk counting as one chunk; `fail_with`
/// and `fail_times` apply to Submit and Commit alike.
class FakeTransfer final : public tpb::Transfer::Service {
 public:
  grpc::Status Stage(grpc::ServerContext*, const tpb::StageRequest*, tpb::StageReply* reply) override {
    std::lock_guard lock(mu);
    std::string id = "staging-" + std::to_string(++stagings);
    staged[id];
    reply->set_staging_id(id);
    return grpc::Status::OK;
  }
  grpc::Status Append(grpc::ServerContext*, const tpb::AppendRequest* req, tpb::AppendReply* reply) override {
    std::lock_guard lock(mu);
    auto it = staged.find(req->staging_id());
    if (it == staged.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such staging blob");
    if (req->offset() != it->second.data.size()) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "offset");
    it->second.data += req->chunk();
    ++it->second.chunks;
    reply->set_staged(it->second.data.size());
    return grpc::Status::OK;
  }
  grpc::Status Commit(grpc::ServerContext*, const tpb::CommitRequest* req, tpb::SubmitReply* reply) override {
    std::lock_guard lock(mu);
    keys_seen.push_back(req->envelope().idempotency_key());
    if (fail_times > 0) {
      --fail_times;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "configured transient failure");
    }
    if (fail_with != grpc::StatusCode::OK) return grpc::Status(fail_with, "configured failure");
    auto it = staged.find(req->staging_id());
    if (it == staged.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such staging blob");
    if (req->offset() != it->second.data.size()) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "offset");
    std::string data = it->second.data + req->chunk();
    if (data.size() != req->envelope().size_hint())
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "size");
    envelopes.push_back(req->envelope());
    messages.push_back(data);
    chunk_counts.push_back(it->second.chunks + (req->chunk().empty() ? 0 : 1));
    staged.erase(it);
    reply->set_queue_id("Q" + std::to_string(envelopes.size()));
    return grpc::Status::OK;
  }
  grpc::Status Discard(grpc::ServerContext*, const tpb::DiscardRequest* req, tpb::DiscardReply*) override {
    std::lock_guard lock(mu);
    discarded += staged.erase(req->staging_id());
    return grpc::Status::OK;
  }
  /// Bytes held in staging blobs not yet committed.
  size_t staged_bytes() {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& [id, s] : staged) n += s.data.size();
    return n;
  }

  grpc::Status Submit(grpc::ServerContext*, grpc::ServerReader<tpb::SubmitRequest>* reader,
                      tpb::SubmitReply* reply) override {
    tpb::SubmitRequest req;
    tpb::Envelope env;
    std::string data;
    size_t chunks = 0;
    if (!reader->Read(&req) || !req.has_envelope()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "env");
    env = req.envelope();
    while (reader->Read(&req)) {
      data += req.chunk();
      ++chunks;
    }
    std::lock_guard lock(mu);
    keys_seen.push_back(env.idempotency_key());
    if (fail_times > 0) {
      --fail_times;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "configured transient failure");
    }
    if (fail_with != grpc::StatusCode::OK) return grpc::Status(fail_with, "configured failure");
    envelopes.push_back(env);
    messages.push_back(data);
    chunk_counts.push_back(chunks);
    reply->set_queue_id("Q" + std::to_string(envelopes.size()));
    return grpc::Status::OK;
  }
  size_t count() {
    std::lock_guard lock(mu);
    return messages.size();
  }
  std::mutex mu;
  grpc::StatusCode fail_with = grpc::StatusCode::OK;
  int fail_times = 0;  ///< the next n calls fail with UNAVAILABLE
  std::vector<std::string> keys_seen;
  std::vector<tpb::Envelope> envelopes;
  std::vector<std::string> messages;
  std::vector<size_t> chunk_counts;
  struct Staged {
    std::string data;
    size_t chunks = 0;
  };
  std::map<std::string, Staged> staged;
  int stagings = 0;
  size_t discarded = 0;
};

// ---- client --------------------------------------------------------------------

/// The shared loopback client (mail/net/testing/client.h) with SMTP
/// conveniences; connect and send failures fail the test.
class Client : public net::testing::Client {
 public:
  explicit Client(uint16_t port) : net::testing::Client(port) {
    EXPECT_TRUE(connected()) << last_error().message();
  }
  void send(const std::string& data) {
    EXPECT_TRUE(net::testing::Client::send(data, 10000ms)) << "send: " << last_error().message();
  }
  std::string cmd(const std::string& c) {
    send(c + "\r\n");
    return reply();
  }
};

// ---- the msa under test ----------------------------------------------------------

inline SmtpSettings test_settings() {
  SmtpSettings s;
  s.hostname = "mail.example.test";
  s.postmaster_domain = "example.test";
  s.limits.max_message_size = 64 * 1024;
  s.limits.max_recipients = 3;
  s.limits.max_text_line = 1000;
  s.max_errors = 20;
  s.max_auth_failures = 3;
  s.auth_failure_delay = 0ms;
  s.reverse_lookup = false;
  s.mta_retry_window = 500ms;
  return s;
}

class Msa {
 public:
  explicit Msa(SmtpSettings settings = test_settings(), size_t chunk_size = 256 * 1024,
               size_t data_budget = 64 * 1024 * 1024)
      : Msa(std::move(settings), chunk_size, data_budget, std::nullopt) {}
  /// `throttle`: sessions consult a login throttle with these settings
  /// (in-process counts: no Redis).
  Msa(SmtpSettings settings, size_t chunk_size, directory::ThrottleConfig throttle)
      : Msa(std::move(settings), chunk_size, 64 * 1024 * 1024, std::move(throttle)) {}
  Msa(SmtpSettings settings, size_t chunk_size, size_t data_budget,
      std::optional<directory::ThrottleConfig> throttle)
      : settings_(std::move(settings)), budget(data_budget), work_(io_.get_executor()) {
    if (throttle) this->throttle.emplace(*throttle, registry, "smtp");
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port_);
    b.RegisterService(&directory_svc);
    b.RegisterService(&transfer_svc);
    grpc_ = b.BuildAndStart();
    std::string target = "127.0.0.1:" + std::to_string(grpc_port_);
    const std::string token = "msa-test-token-0123456789";
    directory_.emplace(rpc::make_channel(target, token),
                       directory::DirectoryClientOptions{.protocol = "smtp",
                                                         .deadline = 2000ms,
                                                         .cache_ttl = 30000ms,
                                                         .recipient_cache_ttl = 10000ms,
                                                         .cache_entries = 1000});
    mta_.emplace(rpc::make_channel(target, token), 5000ms, chunk_size);

    dir_ = std::filesystem::temp_directory_path() / ("msa-test-" + std::to_string(::getpid()));
    net::ensure_self_signed((dir_ / "cert.pem").string(), (dir_ / "key.pem").string(), "mail.example.test");
    tls_.emplace(net::make_server_tls_context((dir_ / "cert.pem").string(), (dir_ / "key.pem").string()));
    metrics_.emplace(registry);
    ctx_.emplace(SessionContext{settings_, &*tls_, *directory_, *mta_, pool_, *metrics_, sessions, budget,
                                this->throttle ? &*this->throttle : nullptr});

    for (Listener l : {Listener::kMx, Listener::kSubmission, Listener::kSubmissions}) {
      net::ServerOptions o;
      o.address = "127.0.0.1";
      o.port = 0;
      o.timeout = settings_.command_timeout;
      if (l == Listener::kSubmissions) o.implicit_tls = &*tls_;
      auto handler = [this, l](net::Connection& c) -> net::awaitable<void> {
        auto s = std::make_shared<Session>(c, l, *ctx_);
        co_await s->run();
      };
      servers_.push_back(std::make_unique<net::Server>(io_, o, handler));
      servers_.back()->start();
    }
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~Msa() {
    for (auto& s : servers_) asio::co_spawn(io_, s->stop(0ms), asio::use_future).get();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    pool_.join();
    grpc_->Shutdown(std::chrono::system_clock::now() + 1s);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  uint16_t port(Listener l) const { return servers_[static_cast<size_t>(l)]->port(); }

  FakeDirectory directory_svc;
  FakeTransfer transfer_svc;
  metrics::Registry registry;
  net::SessionRegistry sessions;
  std::optional<directory::LoginThrottle> throttle;

 private:
  SmtpSettings settings_;

 public:
  DataBudget budget;

 private:
  int grpc_port_ = 0;
  std::unique_ptr<grpc::Server> grpc_;
  std::optional<directory::GrpcDirectoryClient> directory_;
  std::optional<MtaClient> mta_;
  std::filesystem::path dir_;
  std::optional<asio::ssl::context> tls_;
  std::optional<MsaMetrics> metrics_;
  std::optional<SessionContext> ctx_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::thread_pool pool_{4};
  std::vector<std::unique_ptr<net::Server>> servers_;
  std::vector<std::thread> threads_;
};

}  // namespace mail::msa::test
