// SPDX-License-Identifier: Apache-2.0
// Outbound: the mta's SMTP client side. A claimed remote leg (one job's
// recipients for one destination domain) is carried by a coroutine on the
// outbound io_context (one thread carries every conversation): route it
// (Router), take a cached connection to that destination or open one hop
// after the other, run one transaction for all its recipients, and commit
// each recipient's outcome as soon as the remote server has answered
// (PgQueue::finish, on the blocking pool). While it waits on a remote the
// leg's lease is renewed, so no other worker takes it over.
//
// Limits: outbound.max_connections conversations at once (submit() waits
// when they are all busy: the worker thread stops taking work), and
// outbound.max_per_destination per domain (more legs for it wait their
// turn); a destination backed off in queue.destinations is deferred
// without an attempt.
//
// Trusts: remote servers not at all (libs/smtp client: bounded, typed
// replies); a reply's text goes into the queue and bounces as data.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mail/metrics/registry.h"
#include "mail/queue/pg_queue.h"
#include "mail/queue/redis_signals.h"
#include "outbound_config.h"
#include "routing.h"

namespace mail::mta {

class Outbound {
 public:
  Outbound(queue::PgQueue& queue, pg::Pool& pool, OutboundOptions options, queue::RedisOptions redis,
           metrics::Registry& registry);
  ~Outbound();
  void start();
  /// Finish the conversations under way (each commits its outcome), close
  /// cached connections, join the thread.
  void stop();
  /// Carry a remote leg claimed by `owner`; blocks while max_connections
  /// are busy.
  void submit(queue::Job job, std::string owner);

 private:
  struct Idle {
    std::unique_ptr<smtpc::ClientSession> session;
    std::chrono::steady_clock::time_point since;
  };
  struct Destination {
    size_t active = 0;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiting;
    std::vector<Idle> idle;
  };

  net::awaitable<void> deliver(queue::Job job, std::string owner);
  /// `had_failures`: the destination's record shows failures to clear on success.
  net::awaitable<std::vector<queue::RecipientResult>> attempt(const queue::Job& job, bool had_failures);
  net::awaitable<void> keep_lease(int64_t leg_id, std::string owner, std::shared_ptr<bool> done);
  net::awaitable<void> acquire(const std::string& destination);
  void release(const std::string& destination);
  net::awaitable<void> reap_idle();
  boost::asio::ssl::context& tls_context(smtpc::TlsPolicy policy);
  void count(const char* outcome, size_t n);

  queue::PgQueue& queue_;
  pg::Pool& pool_;
  OutboundOptions opts_;
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::unique_ptr<dns::Resolver> resolver_;
  std::unique_ptr<Router> router_;
  boost::asio::ssl::context plain_tls_;
  std::unique_ptr<boost::asio::ssl::context> verify_tls_;
  std::map<std::string, Destination> destinations_;  // io thread only
  bool stopping_ = false;                             // io thread only

  std::mutex mu_;
  std::condition_variable cv_;
  size_t inflight_ = 0;
  std::mutex redis_mu_;
  queue::RedisSignals redis_;

  prometheus::Family<prometheus::Counter>& outcomes_;
  prometheus::Family<prometheus::Counter>& connections_;
  prometheus::Gauge& active_;
  prometheus::Histogram& latency_;
};

}  // namespace mail::mta
