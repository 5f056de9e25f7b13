// SPDX-License-Identifier: Apache-2.0
// UserIpLimit: at most N logged-in sessions per (account, client address)
// in this process, as Dovecot's mail_max_userip_connections (default 10):
// a phone or desktop client that opens a connection per folder is fine,
// a runaway one cannot take every slot of the process. Counted at login,
// released when the session ends. 0 means no limit. Thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mail::imapd {

class UserIpLimit {
 public:
  explicit UserIpLimit(size_t max_per_user_ip) : max_(max_per_user_ip) {}

  /// Takes a slot for the pair; false (nothing taken) when it is full.
  bool acquire(int64_t account_id, const std::string& ip) {
    if (max_ == 0) return true;
    std::lock_guard lock(mu_);
    size_t& n = counts_[key(account_id, ip)];
    if (n >= max_) return false;
    ++n;
    return true;
  }
  void release(int64_t account_id, const std::string& ip) {
    if (max_ == 0) return;
    std::lock_guard lock(mu_);
    auto it = counts_.find(key(account_id, ip));
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  size_t max() const { return max_; }
  size_t pairs() const {
    std::lock_guard lock(mu_);
    return counts_.size();
  }

 private:
  static std::string key(int64_t account_id, const std::string& ip) { return std::to_string(account_id) + " " + ip; }

  const size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> counts_;
};

}  // namespace mail::imapd
