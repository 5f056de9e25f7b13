// SPDX-License-Identifier: Apache-2.0
// runtime.cpp: I/O threads, the blocking pool, and the signal-driven stop.
// Trusts its caller; logs exceptions that escape handlers and keeps running.
#include "mail/net/runtime.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <csignal>
#include <thread>
#include <vector>

#include "mail/common/log.h"

namespace mail::net {

Runtime::Runtime(size_t io_threads, size_t blocking_threads)
    : io_threads_(std::max<size_t>(1, io_threads)),
      io_(static_cast<int>(io_threads_)),
      blocking_(std::max<size_t>(1, blocking_threads)),
      signals_(io_, SIGINT, SIGTERM),
      work_(io_.get_executor()) {
  await_signal();
}

Runtime::~Runtime() {
  io_.stop();
  if (!pool_joined_) blocking_.join();
}

void Runtime::on_stop(std::function<awaitable<void>()> f) { on_stop_ = std::move(f); }

void Runtime::await_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (stop_requested_.exchange(true)) {
      log::warn("second signal, stopping now", {{"signal", signo}});
      io_.stop();
      return;
    }
    log::info("signal received, stopping", {{"signal", signo}});
    begin_stop();
    await_signal();
  });
}

void Runtime::request_stop() {
  if (stop_requested_.exchange(true)) return;
  asio::post(io_, [this] { begin_stop(); });
}

void Runtime::begin_stop() {
  if (!on_stop_) {
    io_.stop();
    return;
  }
  asio::co_spawn(io_, on_stop_(), [this](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("stop sequence failed", {{"error", ex.what()}});
      } catch (...) {
        log::error("stop sequence failed", {{"error", "unknown"}});
      }
    }
    work_.reset();
    io_.stop();
  });
}

void Runtime::run() {
  auto loop = [this] {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        log::error("exception escaped an I/O handler", {{"error", e.what()}});
      } catch (...) {
        log::error("exception escaped an I/O handler", {{"error", "unknown"}});
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < io_threads_; ++i) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
  blocking_.join();
  pool_joined_ = true;
  // Sessions still suspended (waiting on a read, a timer or an offloaded
  // call whose completion was posted after the stop) end here, while what
  // they refer to still exists.
  io_.destroy_pending();
}

}  // namespace mail::net
