// SPDX-License-Identifier: Apache-2.0
// AuthCache: a short-lived, bounded, positive cache of directory answers,
// keyed by auth_cache_key(user, password) so no password is kept in clear.
// Only successes are cached: a wrong password always reaches the directory,
// which keeps its own failure counters and lockout. A password change takes
// effect after at most `ttl`. Thread-safe (used from the blocking pool).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace mail::pop3d {

struct CachedAuth {
  int64_t account_id = 0;
  std::string address;
};

class AuthCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// ttl <= 0 disables the cache. At most max_entries are kept: when full,
  /// expired entries are dropped, and if that frees nothing, everything is.
  AuthCache(std::chrono::milliseconds ttl, size_t max_entries, Clock clock = &std::chrono::steady_clock::now);

  std::optional<CachedAuth> get(const std::string& key);
  void put(const std::string& key, CachedAuth value);
  size_t size();

 private:
  struct Entry {
    CachedAuth value;
    std::chrono::steady_clock::time_point expires;
  };

  std::chrono::milliseconds ttl_;
  size_t max_entries_;
  Clock clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace mail::pop3d
