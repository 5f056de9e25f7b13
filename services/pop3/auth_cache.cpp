// SPDX-License-Identifier: Apache-2.0
// AuthCache (see auth_cache.h): a mutex-guarded map with expiry times.
// Trusts its keys to be digests (fixed size), so memory is bounded by
// max_entries.
#include "auth_cache.h"

namespace mail::pop3d {

AuthCache::AuthCache(std::chrono::milliseconds ttl, size_t max_entries, Clock clock)
    : ttl_(ttl), max_entries_(max_entries == 0 ? 1 : max_entries), clock_(std::move(clock)) {}

std::optional<CachedAuth> AuthCache::get(const std::string& key) {
  if (ttl_.count() <= 0 || key.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= clock_()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void AuthCache::put(const std::string& key, CachedAuth value) {
  if (ttl_.count() <= 0 || key.empty()) return;
  std::lock_guard lock(mu_);
  auto now = clock_();
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[key] = Entry{std::move(value), now + ttl_};
}

size_t AuthCache::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace mail::pop3d
