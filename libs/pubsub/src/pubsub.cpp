// SPDX-License-Identifier: Apache-2.0
// Redis pub/sub (see pubsub.h) with hiredis' blocking API: the publisher
// under a mutex, the subscriber on its own thread, woken for stop() by
// shutting its socket down.
#include "mail/pubsub/pubsub.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include "mail/common/log.h"

namespace mail::pubsub {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

redisContext* connect(const Endpoint& e) {
  redisContext* c = redisConnectWithTimeout(e.host.c_str(), e.port, to_timeval(e.timeout));
  if (c && c->err) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

std::string where(const Endpoint& e) { return e.host + ":" + std::to_string(e.port); }

}  // namespace

Endpoint endpoint_from_config(const common::Config& config, const std::string& channel_key,
                              const std::string& channel) {
  Endpoint e;
  e.host = config.str("redis.host", "");
  const int64_t port = config.integer("redis.port", e.port);
  if (port < 1 || port > 65535) throw common::ConfigError("config redis.port: must be between 1 and 65535");
  e.port = static_cast<int>(port);
  e.channel = config.str(channel_key, channel);
  if (e.channel.empty()) throw common::ConfigError("config " + channel_key + ": must not be empty");
  return e;
}

Publisher::Publisher(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

Publisher::~Publisher() {
  if (ctx_) redisFree(ctx_);
}

bool Publisher::publish(std::string_view payload) {
  if (!enabled()) return false;
  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {  // a second try on a fresh connection
    if (!ctx_) {
      ctx_ = connect(endpoint_);
      if (ctx_) redisSetTimeout(ctx_, to_timeval(endpoint_.timeout));
    }
    if (!ctx_) break;
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, "PUBLISH %b %b", endpoint_.channel.data(),
                                                    endpoint_.channel.size(), payload.data(), payload.size()));
    const bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r) freeReplyObject(r);
    if (ok) return true;
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  log::warn("notice not published (a hint: subscribers resynchronise by other means)",
            {{"channel", endpoint_.channel}, {"notice", std::string(payload)}, {"redis", where(endpoint_)}});
  return false;
}

Subscriber::Subscriber(Endpoint endpoint, std::function<void(std::string_view)> on_message,
                       std::function<void()> on_subscribed, std::chrono::milliseconds retry)
    : endpoint_(std::move(endpoint)),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)),
      retry_(retry) {}

Subscriber::~Subscriber() { stop(); }

void Subscriber::start() {
  if (endpoint_.host.empty() || thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Subscriber::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(wait_mu_);
    const int fd = fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
}

void Subscriber::loop() {
  bool warned = false;
  while (!stopping_) {
    redisContext* c = connect(endpoint_);
    if (c) {
      redisEnableKeepAlive(c);
      auto* r = static_cast<redisReply*>(
          redisCommand(c, "SUBSCRIBE %b", endpoint_.channel.data(), endpoint_.channel.size()));
      const bool ok = r && r->type == REDIS_REPLY_ARRAY;
      if (r) freeReplyObject(r);
      if (ok) {
        {
          std::lock_guard lock(wait_mu_);
          fd_ = c->fd;
        }
        if (stopping_) ::shutdown(c->fd, SHUT_RDWR);
        log::info("subscribed to notices", {{"channel", endpoint_.channel}});
        warned = false;
        if (on_subscribed_) on_subscribed_();  // anything may have changed while we were away
        subscribed_ = true;  // after the announcement: whoever sees subscribed() sees it done
        // No read timeout: the thread waits for notices; stop() shuts the socket.
        redisSetTimeout(c, timeval{0, 0});
        void* reply = nullptr;
        while (!stopping_ && redisGetReply(c, &reply) == REDIS_OK) {
          auto* m = static_cast<redisReply*>(reply);
          if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[2]->type == REDIS_REPLY_STRING)
            on_message_(std::string_view(m->element[2]->str, m->element[2]->len));
          if (m) freeReplyObject(m);
        }
        subscribed_ = false;
        std::lock_guard lock(wait_mu_);
        fd_ = -1;
      }
      redisFree(c);
    }
    if (stopping_) break;
    if (!warned) {
      log::warn("notices unavailable until Redis is back", {{"channel", endpoint_.channel}, {"redis", where(endpoint_)}});
      warned = true;
    }
    // Wait `retry` in small steps so stop() is prompt.
    for (auto waited = std::chrono::milliseconds(0); waited < retry_ && !stopping_;
         waited += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace mail::pubsub
