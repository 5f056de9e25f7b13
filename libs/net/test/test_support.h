// SPDX-License-Identifier: Apache-2.0
// test_support.h: helpers for the net tests: an io_context on a background
// thread, a thread-safe event log the server-side handlers write to, a temp
// directory, a runner for client coroutines, and the shared bounded-wait
// test client.
#pragma once
#include "mail/net/asio.h"
#include "mail/net/server.h"
#include "mail/net/testing/client.h"

#include <boost/asio/read.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

#include <initializer_list>

namespace mail::net::test {

using namespace std::chrono_literals;

/// An io_context run by `threads` background threads for the test's lifetime.
// The first of `candidates` that is an executable file, or "" (the test then skips).
inline std::string find_program(std::initializer_list<const char*> candidates) {
  for (const char* p : candidates)
    if (::access(p, X_OK) == 0) return p;
  return {};
}

// A port free on 127.0.0.1 now (bound and released; good enough for a test).
inline uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class IoThread {
 public:
  explicit IoThread(int threads = 2) : work_(io.get_executor()) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io.run(); });
  }
  ~IoThread() {
    work_.reset();
    io.stop();
    for (auto& t : threads_) t.join();
  }
  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

/// Strings pushed by server-side handlers, popped by the test with a timeout.
class Events {
 public:
  void push(std::string s) {
    std::lock_guard lock(mu_);
    q_.push_back(std::move(s));
    cv_.notify_all();
  }
  /// The next event, or "<none>" after `wait`.
  std::string pop(std::chrono::milliseconds wait = 5000ms) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !q_.empty(); })) return "<none>";
    std::string s = std::move(q_.front());
    q_.pop_front();
    return s;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> q_;
};

/// A fresh directory under $TMPDIR, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mail-net-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Runs the coroutine `make()` returns on a fresh one-thread io_context (so
/// it is its own strand, as net::connect needs) and waits up to `wait` for
/// its string result; "<hung>" if it did not finish. Exceptions come back
/// as "<exception: what>".
template <class F>
std::string run_coro(F make, std::chrono::milliseconds wait = 20000ms) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  IoThread io(1);
  asio::co_spawn(io.io, make(), [done](std::exception_ptr e, std::string s) {
    if (!e) return done->set_value(std::move(s));
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      done->set_value(std::string("<exception: ") + ex.what() + ">");
    }
  });
  if (result.wait_for(wait) != std::future_status::ready) return "<hung>";
  return result.get();
}

/// The shared blocking loopback client (mail/net/testing/client.h).
using mail::net::testing::Client;

/// A Server on 127.0.0.1, port 0, running `handler` on a background io_context.
struct Fixture {
  explicit Fixture(Handler handler, ServerOptions opts = {}) {
    opts.address = "127.0.0.1";
    opts.port = 0;
    server.emplace(io.io, std::move(opts), std::move(handler));
    server->start();
  }
  uint16_t port() const { return server->port(); }
  IoThread io;
  std::optional<Server> server;
};

}  // namespace mail::net::test
