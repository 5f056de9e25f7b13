// SPDX-License-Identifier: Apache-2.0
// Worker, scheduler and reconciler threads of the mta.
#include "dispatcher.h"

#include <grpcpp/grpcpp.h>

#include "mail/common/log.h"

namespace mail::mta {

namespace pb = mail::delivery::v1;
using namespace std::chrono_literals;

Dispatcher::Dispatcher(queue::PgQueue& queue, std::shared_ptr<grpc::Channel> mda,
                       DispatcherOptions opts, metrics::Registry& registry, Outbound* outbound)
    : queue_(queue),
      mda_(pb::Delivery::NewStub(std::move(mda))),
      opts_(std::move(opts)),
      outbound_(outbound),
      announcer_(std::make_unique<queue::RedisSignals>(opts_.redis)),
      outcomes_(registry.counter_family("mail_mta_recipient_outcomes_total",
                                        "Delivery attempts per recipient, by route and outcome")),
      attempt_duration_(registry.histogram("mail_mta_attempt_duration_seconds",
                                           "Time to work one job (claim, deliver, record)",
                                           metrics::Registry::latency_buckets())),
      depth_(registry.gauge("mail_mta_queue_depth", "Jobs in the queue not yet finished")),
      oldest_(registry.gauge("mail_mta_queue_oldest_age_seconds", "Age of the oldest unfinished job")),
      legs_(registry.gauge_family("mail_mta_queue_legs",
                                  "Unfinished legs (a job's recipients for one destination) by state: due, active, deferred, held")),
      legs_oldest_(registry.gauge_family("mail_mta_queue_legs_oldest_age_seconds",
                                         "Age of the oldest message among the unfinished legs, by state")),
      reannounced_(registry.counter("mail_mta_reconciler_reannounced_total",
                                    "Jobs the reconciler announced again because no worker had them")),
      busy_(registry.gauge("mail_mta_workers_busy", "Workers working a job now")) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  running_ = true;
  announcer_->ensure_group();
  for (int i = 0; i < opts_.workers; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
  threads_.emplace_back([this] { scheduler_loop(); });
  threads_.emplace_back([this] { reconciler_loop(); });
}

void Dispatcher::stop() {
  if (!running_.exchange(false)) return;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Dispatcher::announce(int64_t leg_id) {
  std::lock_guard g(announce_mu_);
  if (!announcer_->announce(leg_id)) log::warn("redis announce failed; the reconciler will pick the leg up", {{"leg", leg_id}});
}

bool Dispatcher::redis_ok() {
  std::lock_guard g(announce_mu_);
  return announcer_->ping();
}

void Dispatcher::sleep_for(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (running_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, 100ms));
}

void Dispatcher::worker_loop(int index) {
  queue::RedisSignals redis(opts_.redis);
  const std::string consumer = opts_.consumer_prefix + "-" + std::to_string(index);
  const std::string owner = opts_.owner_prefix + ":" + std::to_string(index);
  bool pending_first = true;  // re-read what this consumer took before a restart
  while (running_) {
    auto entries = redis.read(consumer, 1, 1000ms, pending_first);
    if (!entries) {
      sleep_for(500ms);  // Redis down or group just recreated
      continue;
    }
    if (pending_first && entries->empty()) {
      pending_first = false;
      continue;
    }
    for (const auto& e : *entries) {
      if (e.job_id > 0) {
        try {
          process(redis, e.job_id, owner);
        } catch (const std::exception& ex) {
          // The lease expires and the reconciler announces the job again.
          log::warn("job failed", {{"job", e.job_id}, {"error", ex.what()}});
          sleep_for(200ms);
        }
      }
      redis.ack(e.id);
    }
  }
}

void Dispatcher::process(queue::RedisSignals& redis, int64_t leg_id, const std::string& owner) {
  auto job = queue_.claim(leg_id, owner);
  if (!job) return;  // someone else has it, it is done or held, or not due yet
  if (!job->local() && outbound_) {
    // The SMTP conversation runs on the outbound io thread; this worker
    // goes back to the stream (it waits here only while every outbound
    // connection is busy).
    outbound_->submit(std::move(*job), owner);
    return;
  }
  busy_.Increment();
  auto start = std::chrono::steady_clock::now();
  std::vector<queue::RecipientResult> results;
  if (job->local()) {
    if (!job->pending.empty()) results = deliver_local(*job);
  } else {
    for (const auto& r : job->pending) {
      results.push_back({r.id, queue::Outcome::tempfail, "4.4.0", "outbound delivery is disabled (outbound.enabled)"});
      outcomes_.Add({{"route", "remote"}, {"outcome", "tempfail"}}).Increment();
    }
  }
  auto done = queue_.finish(*job, owner, results);
  busy_.Decrement();
  attempt_duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (done.next) redis.schedule(leg_id, *done.next);
  for (int64_t leg : done.bounce_legs) redis.announce(leg);
}

std::vector<queue::RecipientResult> Dispatcher::deliver_local(const queue::Job& job) {
  const auto& rcpts = job.pending;
  pb::DeliverRequest req;
  req.set_job_id(job.id);
  req.set_queue_id(job.queue_id);
  req.set_blob_id(job.blob_id);
  req.set_sender(job.sender);
  for (const auto& r : rcpts) {
    auto* pr = req.add_recipients();
    pr->set_recipient_id(r.id);
    pr->set_address(r.address);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + opts_.deliver_timeout);
  pb::DeliverReply reply;
  grpc::Status st = mda_->Deliver(&ctx, req, &reply);
  std::vector<queue::RecipientResult> out;
  if (!st.ok()) {
    log::warn("mda unreachable; will retry", {{"queue_id", job.queue_id}, {"grpc", static_cast<int>(st.error_code())},
                                              {"error", st.error_message()}});
    for (const auto& r : rcpts) {
      out.push_back({r.id, queue::Outcome::tempfail, "4.4.1", "local delivery agent unavailable: " + st.error_message()});
      outcomes_.Add({{"route", "local"}, {"outcome", "tempfail"}}).Increment();
    }
    return out;
  }
  for (const auto& r : rcpts) {
    queue::RecipientResult res{r.id, queue::Outcome::tempfail, "4.3.0", "no answer for this recipient"};
    for (const auto& rr : reply.results()) {
      if (rr.recipient_id() != r.id) continue;
      res.code = rr.enhanced_code();
      res.detail = rr.detail();
      res.outcome = rr.outcome() == pb::DELIVERED  ? queue::Outcome::delivered
                    : rr.outcome() == pb::PERMFAIL ? queue::Outcome::permfail
                                                   : queue::Outcome::tempfail;
    }
    const char* name = res.outcome == queue::Outcome::delivered  ? "delivered"
                       : res.outcome == queue::Outcome::permfail ? "permfail"
                                                                 : "tempfail";
    outcomes_.Add({{"route", "local"}, {"outcome", name}}).Increment();
    if (res.outcome == queue::Outcome::permfail)
      log::warn("recipient failed", {{"queue_id", job.queue_id}, {"rcpt", r.address}, {"code", res.code}, {"detail", res.detail}});
    out.push_back(std::move(res));
  }
  return out;
}

void Dispatcher::scheduler_loop() {
  queue::RedisSignals redis(opts_.redis);
  while (running_) {
    for (int64_t id : redis.take_due(std::chrono::system_clock::now(), 500)) redis.announce(id);
    sleep_for(250ms);
  }
}

void Dispatcher::reconciler_loop() {
  queue::RedisSignals redis(opts_.redis);
  const auto grace = std::max<std::chrono::milliseconds>(opts_.reconcile_interval, 2000ms);
  while (running_) {
    try {
      redis.ensure_group();
      auto ids = queue_.overdue(grace, 1000);
      for (int64_t id : ids) redis.announce(id);
      if (!ids.empty()) {
        reannounced_.Increment(static_cast<double>(ids.size()));
        log::info("reconciler re-announced overdue jobs", {{"count", ids.size()}});
      }
      auto st = queue_.stats();
      depth_.Set(static_cast<double>(st.depth));
      oldest_.Set(st.oldest_age_seconds);
      for (const auto& l : st.legs) {
        legs_.Add({{"state", l.state}}).Set(static_cast<double>(l.legs));
        legs_oldest_.Add({{"state", l.state}}).Set(l.oldest_age_seconds);
      }
    } catch (const std::exception& e) {
      log::warn("reconciler pass failed", {{"error", e.what()}});
    }
    sleep_for(opts_.reconcile_interval);
  }
}

}  // namespace mail::mta
