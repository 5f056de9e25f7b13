// SPDX-License-Identifier: Apache-2.0
// periodic.h: a thread that runs `tick` every `interval` (the first time one
// interval after start()) until stop(), which wakes it at once and joins
// it. For background sweeps (the mta's staging sweep, the mda's store
// sweep). stopping() lets a long tick give up early. Thread-safe.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace mail::common {

class PeriodicThread {
 public:
  PeriodicThread(std::chrono::milliseconds interval, std::function<void()> tick)
      : interval_(interval), tick_(std::move(tick)) {}
  ~PeriodicThread() { stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool stopping() const {
    std::lock_guard lk(mu_);
    return stopping_;
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    while (!stopping_) {
      if (cv_.wait_for(lk, interval_, [this] { return stopping_; })) break;
      lk.unlock();
      tick_();
      lk.lock();
    }
  }

  const std::chrono::milliseconds interval_;
  const std::function<void()> tick_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mail::common
