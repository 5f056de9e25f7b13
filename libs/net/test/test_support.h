// SPDX-License-Identifier: Apache-2.0
// test_support.h: helpers for the net tests: an io_context on a background
// thread, a thread-safe event log the server-side handlers write to, a temp
// directory, and a test client whose every wait is bounded (so a broken
// server fails the test instead of hanging it).
#pragma once
#include "mail/net/asio.h"
#include "mail/net/server.h"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace mail::net::test {

using namespace std::chrono_literals;

/// An io_context run by `threads` background threads for the test's lifetime.
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

/// Blocking-style client built on async operations run with a deadline.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }

  /// Upgrade to TLS (client side, no verification). False on failure.
  bool handshake(std::chrono::milliseconds wait = 5000ms) {
    ctx_.emplace(asio::ssl::context::tls_client);
    ctx_->set_verify_mode(asio::ssl::verify_none);
    tls_.emplace(socket_, *ctx_);
    boost::system::error_code ec = asio::error::timed_out;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) { ec = e; });
    return run(wait) && !ec;
  }

  bool send(const std::string& data, std::chrono::milliseconds wait = 5000ms) {
    boost::system::error_code ec = asio::error::timed_out;
    auto done = [&](boost::system::error_code e, size_t) { ec = e; };
    if (tls_)
      asio::async_write(*tls_, asio::buffer(data), done);
    else
      asio::async_write(socket_, asio::buffer(data), done);
    return run(wait) && !ec;
  }

  /// One line including its "\r\n", or "<eof>", "<timeout>", "<error>".
  std::string line(std::chrono::milliseconds wait = 5000ms) {
    boost::system::error_code ec = asio::error::timed_out;
    size_t n = 0;
    auto done = [&](boost::system::error_code e, size_t k) {
      ec = e;
      n = k;
    };
    if (tls_)
      asio::async_read_until(*tls_, asio::dynamic_buffer(in_), "\n", done);
    else
      asio::async_read_until(socket_, asio::dynamic_buffer(in_), "\n", done);
    if (!run(wait)) return "<timeout>";
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return "<eof>";
    if (ec) return "<error>";
    std::string l = in_.substr(0, n);
    in_.erase(0, n);
    return l;
  }

  /// True when the server closes the connection (eof or reset) within `wait`.
  bool closed(std::chrono::milliseconds wait = 5000ms) {
    std::string l = line(wait);
    return l == "<eof>" || l == "<error>";
  }

  void shutdown_send() {
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  // Runs the client's io_context until the pending operation completes
  // (true) or the deadline passes (false; the operation is cancelled).
  bool run(std::chrono::milliseconds wait) {
    io_.restart();
    io_.run_for(wait);
    if (io_.stopped()) return true;
    boost::system::error_code ec;
    socket_.cancel(ec);
    io_.restart();
    io_.run_for(1000ms);
    return false;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::optional<asio::ssl::context> ctx_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string in_;
  bool connected_ = false;
};

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
