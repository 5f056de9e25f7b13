// SPDX-License-Identifier: Apache-2.0
// runtime.h: the threads of a service process. An io_context run by N I/O
// threads (network only, never blocking), a bounded thread_pool of M threads
// for blocking work (see offload.h), and SIGINT/SIGTERM handling.
//
// A service main looks like:
//   net::Runtime rt(cfg.io_threads, cfg.blocking_threads);
//   net::Server smtp(rt.io(), opts, handler);
//   metrics::HttpServer http(rt.io(), rt.blocking(), http_opts, registry, ready);
//   rt.on_stop([&]() -> net::awaitable<void> { co_await smtp.stop(); co_await http.stop(); });
//   smtp.start(); http.start();
//   rt.run();   // returns after the stop coroutine has finished
#pragma once
#include "mail/net/asio.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <functional>
#include <mutex>

namespace mail::net {

class Runtime {
 public:
  /// io_threads and blocking_threads are raised to at least 1.
  Runtime(size_t io_threads, size_t blocking_threads);
  /// Stops the io_context and joins the blocking pool if run() did not.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  asio::io_context& io() { return io_; }
  asio::thread_pool& blocking() { return blocking_; }

  /// The graceful-stop coroutine, run once on `io()` at the first SIGINT or
  /// SIGTERM or request_stop(). When it completes (or throws: logged) the
  /// io_context stops and run() returns. A second signal while it runs stops
  /// the io_context at once. Without one, a signal stops at once. Set it
  /// before run().
  void on_stop(std::function<awaitable<void>()> f);

  /// Begin the stop sequence from any thread (idempotent).
  void request_stop();

  /// Run io() on io_threads threads (the calling thread is one of them)
  /// until stopped, then wait for the blocking pool to drain, then destroy
  /// every handler still pending on io() (coroutine frames of sessions that
  /// did not end in time included), so that when run() returns nothing
  /// running on this Runtime refers to the caller's objects any more: a
  /// service may let its locals go out of scope in any order. I/O objects
  /// (servers, sockets, timers) may still be destroyed afterwards. Call once.
  void run();

 private:
  void begin_stop();
  void await_signal();

  // An io_context whose pending handlers can be destroyed before the
  // context itself (execution_context::shutdown is protected).
  struct Io : asio::io_context {
    using asio::io_context::io_context;
    void destroy_pending() { shutdown(); }
  };

  size_t io_threads_;
  Io io_;
  asio::thread_pool blocking_;
  asio::signal_set signals_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::function<awaitable<void>()> on_stop_;
  std::atomic<bool> stop_requested_{false};
  bool pool_joined_ = false;
};

}  // namespace mail::net
