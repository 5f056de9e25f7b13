// SPDX-License-Identifier: Apache-2.0
// DataBudget: the process-wide bound on message bytes the msa holds in
// memory during DATA, across all sessions (smtp.data_memory_budget). A
// session reserves before it buffers (its header section, then at most one
// chunk that it forwards to the mta as soon as it is full) and releases
// when the bytes have gone to the mta or the transaction ended.
//
// When a reservation fails the session first forwards what it holds (a
// short chunk), then waits without holding a thread, up to
// smtp.data_timeout, woken by every release (add_waiter); if the budget is
// still spent it stops buffering, reads the rest of the DATA and answers
// 451 4.3.1 (see session_data.cpp).
// Thread-safe; reservations are lock-free, the waiter list takes a mutex
// only while someone waits. The gauge shows the bytes reserved now.
#pragma once
#include <prometheus/gauge.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace mail::msa {

class DataBudget {
 public:
  /// `in_use` (may be null) follows the reserved bytes.
  DataBudget(size_t limit, prometheus::Gauge* in_use = nullptr) : limit_(limit), in_use_(in_use) {}
  DataBudget(const DataBudget&) = delete;
  DataBudget& operator=(const DataBudget&) = delete;

  /// Reserves n bytes if that stays within the limit.
  bool try_reserve(size_t n);
  /// Reserves n bytes whatever the limit (a few bytes of our own header
  /// fields on top of a reservation already made).
  void force_reserve(size_t n);
  void release(size_t n);

  /// `wake` is called (on the releasing thread; it must only post) after
  /// every release until remove_waiter(). Register before the reservation
  /// that may fail, so that no release between the two goes unnoticed.
  uint64_t add_waiter(std::function<void()> wake);
  void remove_waiter(uint64_t id);

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  void publish(size_t now);
  const size_t limit_;
  prometheus::Gauge* in_use_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> waiting_{0};
  std::mutex mu_;
  uint64_t next_waiter_ = 0;
  std::map<uint64_t, std::function<void()>> waiters_;
};

/// A session's share of a DataBudget, released when it goes.
class BudgetShare {
 public:
  explicit BudgetShare(DataBudget& budget) : budget_(budget) {}
  ~BudgetShare() { release_all(); }
  BudgetShare(const BudgetShare&) = delete;
  BudgetShare& operator=(const BudgetShare&) = delete;

  /// Grows the share to at least `want` bytes; false when the budget is spent.
  bool grow_to(size_t want);
  /// Grows the share to `want` bytes even past the limit.
  void force_to(size_t want);
  /// Shrinks the share to `keep` bytes.
  void shrink_to(size_t keep);
  void release_all() { shrink_to(0); }
  size_t held() const { return held_; }

 private:
  DataBudget& budget_;
  size_t held_ = 0;
};

}  // namespace mail::msa
