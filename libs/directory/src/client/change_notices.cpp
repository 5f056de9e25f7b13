// SPDX-License-Identifier: Apache-2.0
// Change notices over Redis pub/sub (see change_notices.h), with hiredis'
// blocking API: the publisher under a mutex, the subscriber on its own thread,
// woken for stop() by shutting its socket down.
#include "mail/directory/client/change_notices.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <charconv>

#include "mail/common/log.h"

namespace mail::directory {
namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

redisContext* connect(const RedisEndpoint& e) {
  redisContext* c = redisConnectWithTimeout(e.host.c_str(), e.port, to_timeval(e.timeout));
  if (c && c->err) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

}  // namespace

RedisEndpoint notice_endpoint(const common::Config& config) {
  RedisEndpoint e;
  e.host = config.str("redis.host", "");
  const int64_t port = config.integer("redis.port", e.port);
  if (port < 1 || port > 65535) throw common::ConfigError("config redis.port: must be between 1 and 65535");
  e.port = static_cast<int>(port);
  e.channel = config.str("directory.notice_channel", e.channel);
  return e;
}

ChangeNotice parse_change_notice(std::string_view p) {
  ChangeNotice n;
  constexpr std::string_view kAccount = "account ";
  if (p.substr(0, kAccount.size()) != kAccount) return n;
  p.remove_prefix(kAccount.size());
  int64_t id = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), id);
  if (ec != std::errc() || id <= 0) return n;
  std::string_view rest(end, static_cast<size_t>(p.data() + p.size() - end));
  if (!rest.empty() && rest.front() != ' ') return n;
  if (!rest.empty()) rest.remove_prefix(1);
  n.all = false;
  n.account_id = id;
  n.address = std::string(rest);
  return n;
}

std::string format_change_notice(const ChangeNotice& n) {
  if (n.all || n.account_id <= 0) return "all";
  return "account " + std::to_string(n.account_id) + (n.address.empty() ? "" : " " + n.address);
}

ChangePublisher::ChangePublisher(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

ChangePublisher::~ChangePublisher() {
  if (ctx_) redisFree(ctx_);
}

bool ChangePublisher::publish(const ChangeNotice& notice) {
  if (!enabled()) return false;
  const std::string payload = format_change_notice(notice);
  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {  // a second try on a fresh connection
    if (!ctx_) {
      ctx_ = connect(endpoint_);
      if (ctx_) redisSetTimeout(ctx_, to_timeval(endpoint_.timeout));
    }
    if (!ctx_) break;
    auto* r = static_cast<redisReply*>(
        redisCommand(ctx_, "PUBLISH %b %b", endpoint_.channel.data(), endpoint_.channel.size(), payload.data(),
                     payload.size()));
    const bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r) freeReplyObject(r);
    if (ok) return true;
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  log::warn("change notice not published; caches forget it within their TTL",
            {{"notice", payload}, {"redis", endpoint_.host + ":" + std::to_string(endpoint_.port)}});
  return false;
}

ChangeSubscriber::ChangeSubscriber(RedisEndpoint endpoint, std::function<void(const ChangeNotice&)> on_notice,
                                   std::chrono::milliseconds retry)
    : endpoint_(std::move(endpoint)), on_notice_(std::move(on_notice)), retry_(retry) {}

ChangeSubscriber::~ChangeSubscriber() { stop(); }

void ChangeSubscriber::start() {
  if (endpoint_.host.empty() || thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void ChangeSubscriber::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(wait_mu_);
    int fd = fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
}

void ChangeSubscriber::loop() {
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
        subscribed_ = true;
        log::info("subscribed to directory change notices", {{"channel", endpoint_.channel}});
        warned = false;
        on_notice_(ChangeNotice{});  // anything may have changed while we were away
        // No read timeout: the thread waits for notices; stop() shuts the socket.
        redisSetTimeout(c, timeval{0, 0});
        void* reply = nullptr;
        while (!stopping_ && redisGetReply(c, &reply) == REDIS_OK) {
          auto* m = static_cast<redisReply*>(reply);
          if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[2]->type == REDIS_REPLY_STRING)
            on_notice_(parse_change_notice(std::string_view(m->element[2]->str, m->element[2]->len)));
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
      log::warn("directory change notices unavailable; cached logins expire by TTL until Redis is back",
                {{"redis", endpoint_.host + ":" + std::to_string(endpoint_.port)}});
      warned = true;
    }
    // Wait `retry` in small steps so stop() is prompt.
    for (auto waited = std::chrono::milliseconds(0); waited < retry_ && !stopping_; waited += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace mail::directory
