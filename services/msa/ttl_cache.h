// SPDX-License-Identifier: Apache-2.0
// TtlCache: a small thread-safe map whose entries expire after a fixed time,
// for the directory answers the msa may reuse briefly (DESIGN: "cached
// briefly by the callers"). Bounded: when full, expired entries are swept,
// and if that frees nothing the cache starts over, so a flood of distinct
// keys (a dictionary attack on RCPT) costs bounded memory, never unbounded.
// The clock is a parameter so tests need not sleep.
#pragma once
#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace mail::msa {

template <class K, class V>
class TtlCache {
 public:
  using Clock = std::chrono::steady_clock;

  /// ttl <= 0 disables the cache (get always misses, put does nothing).
  TtlCache(std::chrono::milliseconds ttl, size_t max_entries)
      : ttl_(ttl), max_entries_(max_entries ? max_entries : 1) {}

  std::optional<V> get(const K& key, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    if (it->second.second <= now) {
      map_.erase(it);
      return std::nullopt;
    }
    return it->second.first;
  }

  void put(const K& key, V value, Clock::time_point now = Clock::now()) {
    if (ttl_.count() <= 0) return;
    std::lock_guard lock(mu_);
    if (map_.size() >= max_entries_ && !map_.count(key)) {
      for (auto it = map_.begin(); it != map_.end();) it = it->second.second <= now ? map_.erase(it) : std::next(it);
      if (map_.size() >= max_entries_) map_.clear();
    }
    map_.insert_or_assign(key, std::make_pair(std::move(value), now + ttl_));
  }

  void erase(const K& key) {
    std::lock_guard lock(mu_);
    map_.erase(key);
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  std::chrono::milliseconds ttl_;
  size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<K, std::pair<V, Clock::time_point>> map_;
};

}  // namespace mail::msa
