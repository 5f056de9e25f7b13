// SPDX-License-Identifier: Apache-2.0
// Change notices: how the admin service tells the edges' directory caches
// that an account changed (password set, account deleted or re-created,
// aliases changed), so that an old password is refused within a second
// instead of after the cache's TTL (DESIGN.md, "Trust between services").
//
// Carried by Redis pub/sub on one channel (default "mail:directory:changes").
// The payload is text: "account <id> <address>" or "all". Pub/sub is
// fire-and-forget, so the TTL of the caches stays as the bound when a notice
// is lost, and a subscriber forgets everything whenever it (re)subscribes,
// since notices may have been missed while it was away.
//
// Trusts: Redis is the platform's own; a payload that does not parse is
// taken as "all" (forgetting too much is safe, too little is not).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "mail/common/config.h"

struct redisContext;

namespace mail::directory {

struct ChangeNotice {
  bool all = true;          ///< forget everything
  int64_t account_id = 0;   ///< when !all
  std::string address;      ///< the account's address, normalized (when !all)
};

/// "account 42 a@b.test" / "all"; anything else parses as all.
ChangeNotice parse_change_notice(std::string_view payload);
std::string format_change_notice(const ChangeNotice& notice);

struct RedisEndpoint {
  std::string host;  ///< empty: notices are off
  int port = 6379;
  std::string channel = "mail:directory:changes";
  std::chrono::milliseconds timeout{1000};  ///< connect and publish
};

/// From config redis.host (unset: notices off), redis.port (6379) and
/// directory.notice_channel; ConfigError for a bad port.
RedisEndpoint notice_endpoint(const common::Config& config);

/// The admin service's side: PUBLISH after each committed change. Blocking
/// (a short timeout); thread-safe; reconnects on the next call after an
/// error. A failed publish is logged and reported, never thrown: the change
/// itself is committed, and the caches' TTL still bounds it.
class ChangePublisher {
 public:
  explicit ChangePublisher(RedisEndpoint endpoint);
  ~ChangePublisher();
  ChangePublisher(const ChangePublisher&) = delete;
  ChangePublisher& operator=(const ChangePublisher&) = delete;

  bool publish(const ChangeNotice& notice);
  bool enabled() const { return !endpoint_.host.empty(); }

 private:
  RedisEndpoint endpoint_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
};

/// The edges' side: a thread that SUBSCRIBEs and hands every notice to
/// `on_notice`; on a lost connection it retries every `retry` and, once
/// subscribed again, hands over an "all" notice first.
class ChangeSubscriber {
 public:
  ChangeSubscriber(RedisEndpoint endpoint, std::function<void(const ChangeNotice&)> on_notice,
                   std::chrono::milliseconds retry = std::chrono::milliseconds(1000));
  ~ChangeSubscriber();  ///< stop()
  ChangeSubscriber(const ChangeSubscriber&) = delete;
  ChangeSubscriber& operator=(const ChangeSubscriber&) = delete;

  void start();  ///< no-op when the endpoint has no host
  void stop();   ///< wakes the thread (shuts its socket) and joins it
  /// True while subscribed (for tests and logs).
  bool subscribed() const { return subscribed_.load(); }

 private:
  void loop();

  RedisEndpoint endpoint_;
  std::function<void(const ChangeNotice&)> on_notice_;
  std::chrono::milliseconds retry_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<int> fd_{-1};
  std::mutex wait_mu_;
  std::thread thread_;
};

}  // namespace mail::directory
