// SPDX-License-Identifier: Apache-2.0
// TtlCache: a small thread-safe map whose entries expire a fixed time after
// they were put, for the directory answers the edges may reuse briefly
// (DESIGN: "cached briefly by the callers").
//
// Bounded: when full, expired entries are swept, and if that frees nothing
// the cache starts over, so a flood of distinct keys (a dictionary attack on
// RCPT or on passwords) costs bounded memory, never unbounded. The clock is a
// constructor parameter so that tests move time instead of sleeping.
// Trusts nothing about its keys beyond std::hash; callers bound key length.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace mail::directory {

/// The time source of the caches: steady_clock::now unless a test injects one.
using CacheClock = std::function<std::chrono::steady_clock::time_point()>;

template <class K, class V>
class TtlCache {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// ttl <= 0 disables the cache (get always misses, put does nothing).
  /// At most max_entries (at least 1) are kept.
  TtlCache(std::chrono::milliseconds ttl, size_t max_entries, CacheClock clock = &std::chrono::steady_clock::now)
      : ttl_(ttl), max_entries_(max_entries ? max_entries : 1), clock_(std::move(clock)) {}

  /// The value put under `key` less than ttl ago; an expired entry is dropped.
  std::optional<V> get(const K& key) {
    if (!enabled()) return std::nullopt;
    const TimePoint now = clock_();
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    if (it->second.expires <= now) {
      map_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  /// Stores or replaces; replacing an entry never evicts others.
  void put(const K& key, V value) {
    if (!enabled()) return;
    const TimePoint now = clock_();
    std::lock_guard lock(mu_);
    if (map_.size() >= max_entries_ && !map_.contains(key)) {
      std::erase_if(map_, [now](const auto& kv) { return kv.second.expires <= now; });
      if (map_.size() >= max_entries_) map_.clear();
    }
    map_.insert_or_assign(key, Entry{std::move(value), now + ttl_});
  }

  void erase(const K& key) {
    std::lock_guard lock(mu_);
    map_.erase(key);
  }

  /// Drops every entry whose value matches `pred` (a change notice).
  template <class Pred>
  void erase_if(Pred pred) {
    std::lock_guard lock(mu_);
    std::erase_if(map_, [&](const auto& kv) { return pred(kv.second.value); });
  }

  void clear() {
    std::lock_guard lock(mu_);
    map_.clear();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }

  bool enabled() const { return ttl_.count() > 0; }

 private:
  struct Entry {
    V value;
    TimePoint expires;
  };

  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  const CacheClock clock_;
  mutable std::mutex mu_;
  std::unordered_map<K, Entry> map_;
};

}  // namespace mail::directory
