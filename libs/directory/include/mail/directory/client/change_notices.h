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
#include "mail/pubsub/pubsub.h"

namespace mail::directory {

struct ChangeNotice {
  bool all = true;          ///< forget everything
  int64_t account_id = 0;   ///< when !all
  std::string address;      ///< the account's address, normalized (when !all)
};

/// "account 42 a@b.test" / "all"; anything else parses as all.
ChangeNotice parse_change_notice(std::string_view payload);
std::string format_change_notice(const ChangeNotice& notice);

/// The directory's channel on the platform's Redis (mail/pubsub/pubsub.h).
struct RedisEndpoint : pubsub::Endpoint {
  RedisEndpoint() { channel = "mail:directory:changes"; }
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
  explicit ChangePublisher(RedisEndpoint endpoint) : publisher_(std::move(endpoint)) {}
  bool publish(const ChangeNotice& notice) { return publisher_.publish(format_change_notice(notice)); }
  bool enabled() const { return publisher_.enabled(); }

 private:
  pubsub::Publisher publisher_;
};

/// The edges' side: a thread that SUBSCRIBEs and hands every notice to
/// `on_notice`; on a lost connection it retries every `retry` and, once
/// subscribed again, hands over an "all" notice first.
class ChangeSubscriber {
 public:
  ChangeSubscriber(RedisEndpoint endpoint, std::function<void(const ChangeNotice&)> on_notice,
                   std::chrono::milliseconds retry = std::chrono::milliseconds(1000))
      : subscriber_(
            std::move(endpoint), [on_notice](std::string_view p) { on_notice(parse_change_notice(p)); },
            [on_notice] { on_notice(ChangeNotice{}); }, retry) {}

  void start() { subscriber_.start(); }  ///< no-op when the endpoint has no host
  void stop() { subscriber_.stop(); }    ///< wakes the thread (shuts its socket) and joins it
  /// True while subscribed (for tests and logs).
  bool subscribed() const { return subscriber_.subscribed(); }

 private:
  pubsub::Subscriber subscriber_;
};

}  // namespace mail::directory
