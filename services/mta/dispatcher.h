// SPDX-License-Identifier: Apache-2.0
// Dispatcher: the mta's workers. Each worker waits on the Redis stream (its own
// stable consumer name, so a restarted process first re-reads what it took and
// never acknowledged), claims the job's lease in PostgreSQL, hands local
// recipients to the mda (Delivery.Deliver), records the results and schedules
// a retry. A scheduler moves due retries from the sorted set to the stream; a
// reconciler re-announces jobs that PostgreSQL says are due but nobody works
// on (Redis flushed, a worker died) and refreshes the queue gauges.
// Trusts: the mda's answers only as far as their types (unknown outcome = tempfail).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mail/metrics/registry.h"
#include "mail/delivery/v1/delivery.grpc.pb.h"
#include "mail/queue/pg_queue.h"
#include "mail/queue/redis_signals.h"
#include "outbound.h"

namespace mail::mta {

struct DispatcherOptions {
  int workers = 8;
  std::string consumer_prefix;  // stable per host: "<hostname>"
  std::string owner_prefix;     // unique per process: "<hostname>:<pid>"
  std::chrono::milliseconds reconcile_interval{30000};
  std::chrono::milliseconds deliver_timeout{30000};
  queue::RedisOptions redis;
};

class Dispatcher {
 public:
  /// `outbound` carries remote legs (nullptr: outbound delivery disabled,
  /// remote recipients wait in the queue).
  Dispatcher(queue::PgQueue& queue, std::shared_ptr<grpc::Channel> mda, DispatcherOptions opts,
             metrics::Registry& registry, Outbound* outbound);
  ~Dispatcher();
  void start();
  /// Stop taking work, let in-flight deliveries finish, join the threads.
  void stop();
  /// Wake a worker for a newly committed leg (best effort; the reconciler is the safety net).
  void announce(int64_t leg_id);
  bool redis_ok();

 private:
  void worker_loop(int index);
  void scheduler_loop();
  void reconciler_loop();
  void process(queue::RedisSignals& redis, int64_t leg_id, const std::string& owner);
  std::vector<queue::RecipientResult> deliver_local(const queue::Job& job);
  void sleep_for(std::chrono::milliseconds d);

  queue::PgQueue& queue_;
  std::unique_ptr<mail::delivery::v1::Delivery::Stub> mda_;
  DispatcherOptions opts_;
  Outbound* outbound_;
  std::atomic<bool> running_{false};
  std::vector<std::thread> threads_;
  std::mutex announce_mu_;
  std::unique_ptr<queue::RedisSignals> announcer_;

  prometheus::Family<prometheus::Counter>& outcomes_;
  prometheus::Histogram& attempt_duration_;
  prometheus::Gauge& depth_;
  prometheus::Gauge& oldest_;
  prometheus::Family<prometheus::Gauge>& legs_;
  prometheus::Family<prometheus::Gauge>& legs_oldest_;
  prometheus::Counter& reannounced_;
  prometheus::Gauge& busy_;
};

}  // namespace mail::mta
