// SPDX-License-Identifier: Apache-2.0
// The msa's DATA memory budget (see data_budget.h).
#include "data_budget.h"

#include <vector>

namespace mail::msa {

bool DataBudget::try_reserve(size_t n) {
  size_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (cur + n > limit_) return false;
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
  publish(cur + n);
  return true;
}

void DataBudget::force_reserve(size_t n) { publish(used_.fetch_add(n, std::memory_order_relaxed) + n); }

void DataBudget::release(size_t n) {
  publish(used_.fetch_sub(n, std::memory_order_relaxed) - n);
  if (waiting_.load() == 0) return;
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, f] : waiters_) wake.push_back(f);
  }
  for (const auto& f : wake) f();
}

uint64_t DataBudget::add_waiter(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  const uint64_t id = ++next_waiter_;
  waiters_.emplace(id, std::move(wake));
  waiting_.store(waiters_.size());
  return id;
}

void DataBudget::remove_waiter(uint64_t id) {
  std::lock_guard lock(mu_);
  waiters_.erase(id);
  waiting_.store(waiters_.size());
}

void DataBudget::publish(size_t now) {
  if (in_use_) in_use_->Set(static_cast<double>(now));
}

bool BudgetShare::grow_to(size_t want) {
  if (want <= held_) return true;
  if (!budget_.try_reserve(want - held_)) return false;
  held_ = want;
  return true;
}

void BudgetShare::force_to(size_t want) {
  if (want <= held_) return;
  budget_.force_reserve(want - held_);
  held_ = want;
}

void BudgetShare::shrink_to(size_t keep) {
  if (keep >= held_) return;
  budget_.release(held_ - keep);
  held_ = keep;
}

}  // namespace mail::msa
