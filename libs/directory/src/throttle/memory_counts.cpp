// SPDX-License-Identifier: Apache-2.0
// MemoryCounts (count_store.h): the throttle's counters in this process, for
// while Redis is unreachable. An unordered_map of expiring integers with an
// LRU list: when full, the counter written least recently goes first, so an
// attacker spraying addresses or accounts evicts its own old counters before
// those of an address it is still hammering. Expired entries are dropped when
// met. Trusts: its caller; bounded by max_entries whatever the traffic.
#include "count_store.h"

namespace mail::directory::throttle {

MemoryCounts::MemoryCounts(size_t max_entries, Clock clock)
    : max_entries_(std::max<size_t>(max_entries, 16)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

MemoryCounts::Entry* MemoryCounts::find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (it->second.expires <= clock_()) {
    lru_.erase(it->second.lru);
    map_.erase(it);
    return nullptr;
  }
  return &it->second;
}

MemoryCounts::Entry& MemoryCounts::put(const std::string& key, int64_t value, std::chrono::milliseconds ttl) {
  auto [it, inserted] = map_.try_emplace(key);
  if (inserted) {
    it->second.lru = lru_.insert(lru_.end(), key);
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);
  }
  it->second.value = value;
  it->second.expires = clock_() + ttl;
  while (map_.size() > max_entries_) {
    map_.erase(lru_.front());
    lru_.pop_front();
  }
  return it->second;
}

int64_t MemoryCounts::incr(const std::string& key, std::chrono::milliseconds ttl) {
  Entry* e = find(key);
  return put(key, (e ? e->value : 0) + 1, ttl).value;
}

std::chrono::milliseconds MemoryCounts::remaining(const std::string& key) {
  Entry* e = find(key);
  if (!e) return std::chrono::milliseconds(0);
  auto left = std::chrono::ceil<std::chrono::milliseconds>(e->expires - clock_());
  return std::max(left, std::chrono::milliseconds(1));
}

void MemoryCounts::remove(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return;
  lru_.erase(it->second.lru);
  map_.erase(it);
}

std::optional<ThrottleState> MemoryCounts::read(const Keys& k) {
  ThrottleState s;
  auto value = [&](const std::string& key) {
    Entry* e = find(key);
    return e ? e->value : 0;
  };
  s.address_failures = value(k.address);
  s.pair_failures = value(k.pair);
  s.account_failures = value(k.account);
  s.address_blocked = remaining(k.address_block);
  s.pair_blocked = remaining(k.pair_block);
  s.known = find(k.known) != nullptr;
  return s;
}

std::optional<ThrottleState> MemoryCounts::fail(const Keys& k, const ThrottleConfig& c) {
  incr(k.address, c.window);
  incr(k.account, c.window);
  incr(k.pair, c.window);
  auto s = read(k);
  if (s->address_failures >= c.max_failures_per_address && s->address_blocked.count() == 0)
    put(k.address_block, 1, c.block_time);
  if (s->pair_failures >= c.max_failures_per_pair && s->pair_blocked.count() == 0) put(k.pair_block, 1, c.block_time);
  return read(k);
}

bool MemoryCounts::succeed(const Keys& k, const ThrottleConfig& c) {
  remove(k.pair);
  remove(k.pair_block);
  put(k.known, 1, c.known_time);
  return true;
}

int64_t MemoryCounts::erase(const std::vector<std::string>& exact, const std::vector<std::string>& patterns) {
  int64_t n = 0;
  for (const auto& key : exact) {
    if (find(key)) {
      remove(key);
      ++n;
    }
  }
  for (const auto& pattern : patterns) {
    const auto star = pattern.find('*');
    const std::string_view head(pattern.data(), star);
    const std::string_view tail = std::string_view(pattern).substr(star + 1);
    for (auto it = lru_.begin(); it != lru_.end();) {
      const std::string& key = *it++;
      if (key.size() >= head.size() + tail.size() && key.starts_with(head) && key.ends_with(tail)) {
        remove(std::string(key));
        ++n;
      }
    }
  }
  return n;
}

void MemoryCounts::clear() {
  map_.clear();
  lru_.clear();
}

}  // namespace mail::directory::throttle
