// SPDX-License-Identifier: Apache-2.0
// pubsub.h: Redis pub/sub for the platform's hints: a Publisher that
// PUBLISHes a text payload after a commit, and a Subscriber thread that
// hands every payload of its channel to a callback. Used for the
// directory's change notices (the edges' caches) and the store's mailbox
// notices (IMAP sessions). Pub/sub is fire-and-forget: a notice is a hint,
// never the truth, so every subscriber also learns when it (re)subscribed
// (on_subscribed) and must then assume it missed anything.
//
// Trusts: Redis is the platform's own; payloads are the callers' to parse.
// Diagnostics: a failed publish is logged (warn) and reported as false; a
// lost subscription is logged once until it is back.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "mail/common/config.h"

struct redisContext;

namespace mail::pubsub {

struct Endpoint {
  std::string host;  ///< empty: pub/sub is off
  int port = 6379;
  std::string channel;
  std::chrono::milliseconds timeout{1000};  ///< connect and publish
};

/// redis.host (unset: off), redis.port (6379), and the channel from
/// `channel_key` (default `channel`). ConfigError for a bad port.
Endpoint endpoint_from_config(const common::Config& config, const std::string& channel_key,
                              const std::string& channel);

/// Blocking (a short timeout); thread-safe; reconnects on the next call
/// after an error.
class Publisher {
 public:
  explicit Publisher(Endpoint endpoint);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// False (and logged) when it could not be sent.
  bool publish(std::string_view payload);
  bool enabled() const { return !endpoint_.host.empty(); }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
};

/// A thread that SUBSCRIBEs to the channel and calls on_message for every
/// payload; on a lost connection it retries every `retry`; each time it is
/// subscribed (again) it calls on_subscribed first.
class Subscriber {
 public:
  Subscriber(Endpoint endpoint, std::function<void(std::string_view)> on_message,
             std::function<void()> on_subscribed, std::chrono::milliseconds retry = std::chrono::milliseconds(1000));
  ~Subscriber();  ///< stop()
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void start();  ///< no-op without a host
  void stop();   ///< wakes the thread (shuts its socket) and joins it
  bool subscribed() const { return subscribed_.load(); }

 private:
  void loop();

  Endpoint endpoint_;
  std::function<void(std::string_view)> on_message_;
  std::function<void()> on_subscribed_;
  std::chrono::milliseconds retry_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<int> fd_{-1};
  std::mutex wait_mu_;
  std::thread thread_;
};

}  // namespace mail::pubsub
