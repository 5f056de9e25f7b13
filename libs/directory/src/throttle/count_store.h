// SPDX-License-Identifier: Apache-2.0
// count_store.h: where the login throttle keeps its counters. Two
// implementations with one behaviour: RedisCounts (shared by every process,
// each operation one EVALSHA round trip) and MemoryCounts (this process only,
// bounded, for while Redis is unreachable). The rules that read the counters
// are in throttle_rules.h; a store only counts, expires and deletes.
// Trusts: its caller for the key names (throttle::Keys).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "throttle_rules.h"

struct redisContext;

namespace mail::directory::throttle {

class CountStore {
 public:
  virtual ~CountStore() = default;
  /// The counters of one attempt; nullopt when the store could not answer.
  virtual std::optional<ThrottleState> read(const Keys& k) = 0;
  /// Counts one failure in the address, account and pair counters (each
  /// living `window` after its last failure) and blocks the address or pair
  /// for block_time when its count reaches its limit (an existing block is
  /// not extended). The counters afterwards; nullopt when unavailable.
  virtual std::optional<ThrottleState> fail(const Keys& k, const ThrottleConfig& c) = 0;
  /// Deletes the pair's counter and block and marks the pair known.
  virtual bool succeed(const Keys& k, const ThrottleConfig& c) = 0;
  /// Deletes the counters named in `exact` and those matching one of
  /// `patterns`, each holding exactly one '*' (names hold no other glob
  /// character). The number deleted, or -1 when unavailable.
  virtual int64_t erase(const std::vector<std::string>& exact, const std::vector<std::string>& patterns) = 0;
};

/// This process's counters: an LRU-bounded map of expiring integers.
class MemoryCounts final : public CountStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  MemoryCounts(size_t max_entries, Clock clock);

  std::optional<ThrottleState> read(const Keys& k) override;
  std::optional<ThrottleState> fail(const Keys& k, const ThrottleConfig& c) override;
  bool succeed(const Keys& k, const ThrottleConfig& c) override;
  int64_t erase(const std::vector<std::string>& exact, const std::vector<std::string>& patterns) override;
  void clear();
  size_t size() const { return map_.size(); }

 private:
  struct Entry {
    int64_t value = 0;
    std::chrono::steady_clock::time_point expires;
    std::list<std::string>::iterator lru;
  };
  Entry* find(const std::string& key);
  Entry& put(const std::string& key, int64_t value, std::chrono::milliseconds ttl);
  int64_t incr(const std::string& key, std::chrono::milliseconds ttl);
  std::chrono::milliseconds remaining(const std::string& key);
  void remove(const std::string& key);

  size_t max_entries_;
  Clock clock_;
  std::unordered_map<std::string, Entry> map_;
  std::list<std::string> lru_;  ///< least recently written first
};

/// The shared counters in Redis. Not thread-safe: the throttle serializes
/// calls. On any error the connection is dropped; the next call reconnects.
class RedisCounts final : public CountStore {
 public:
  explicit RedisCounts(const ThrottleConfig& c);
  ~RedisCounts() override;
  RedisCounts(const RedisCounts&) = delete;
  RedisCounts& operator=(const RedisCounts&) = delete;

  std::optional<ThrottleState> read(const Keys& k) override;
  std::optional<ThrottleState> fail(const Keys& k, const ThrottleConfig& c) override;
  bool succeed(const Keys& k, const ThrottleConfig& c) override;
  int64_t erase(const std::vector<std::string>& exact, const std::vector<std::string>& patterns) override;

 private:
  bool connect();
  void drop();
  /// EVALSHA of one of the scripts loaded at connect: its array of integers.
  std::optional<std::vector<long long>> eval(int script, const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args);

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
  std::string prefix_;
  redisContext* ctx_ = nullptr;
  std::vector<std::string> shas_;
};

}  // namespace mail::directory::throttle
