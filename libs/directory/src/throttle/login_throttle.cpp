// SPDX-License-Identifier: Apache-2.0
// LoginThrottle (login_throttle.h): its configuration, and the choice between
// the shared counts in Redis and this process's own. Redis is tried first;
// after an error the in-process counts serve until a retry succeeds (retries
// back off from 200 ms to 5 s, so an unreachable Redis costs one timeout per
// retry, not one per login). When Redis answers again the in-process counts
// are dropped: the shared counts are the truth, and a block an administrator
// lifted in Redis must not come back from a process's memory.
// Trusts: the operator's configuration (checked for range at start-up).
// Diagnostics: see login_throttle.h.
#include "mail/directory/login_throttle.h"

#include <mutex>

#include "count_store.h"
#include "mail/common/log.h"
#include "throttle_rules.h"

namespace mail::directory {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kFirstRetry{200};
constexpr milliseconds kLastRetry{5000};

int64_t count_in(const common::Config& c, const std::string& key, int64_t def, int64_t lo, int64_t hi) {
  const int64_t v = c.integer(key, def);
  if (v < lo || v > hi)
    throw common::ConfigError("config " + key + ": must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

milliseconds duration_in(const common::Config& c, const std::string& key, milliseconds def, milliseconds lo) {
  const milliseconds v = c.duration(key, def);
  if (v < lo) throw common::ConfigError("config " + key + ": must be at least " + std::to_string(lo.count()) + "ms");
  return v;
}

}  // namespace

ThrottleConfig load_throttle_config(const common::Config& c) {
  ThrottleConfig t;
  const std::string p = "auth_throttle.";
  t.enabled = c.boolean(p + "enabled", t.enabled);
  t.window = duration_in(c, p + "window", t.window, milliseconds(1));
  t.delay_after = count_in(c, p + "delay_after", t.delay_after, 0, 1000000);
  t.delay_start = duration_in(c, p + "delay_start", t.delay_start, milliseconds(0));
  t.delay_max = duration_in(c, p + "delay_max", t.delay_max, milliseconds(0));
  if (t.delay_max < t.delay_start) throw common::ConfigError("config auth_throttle.delay_max: must not be below delay_start");
  t.max_failures_per_address = count_in(c, p + "max_failures_per_address", t.max_failures_per_address, 1, 1000000);
  t.max_failures_per_pair = count_in(c, p + "max_failures_per_pair", t.max_failures_per_pair, 1, 1000000);
  t.account_delay_after = count_in(c, p + "account_delay_after", t.account_delay_after, 0, 1000000);
  t.block_time = duration_in(c, p + "block_time", t.block_time, milliseconds(1));
  t.known_time = duration_in(c, p + "known_time", t.known_time, milliseconds(1));
  t.ipv6_prefix = static_cast<int>(count_in(c, p + "ipv6_prefix", t.ipv6_prefix, 32, 128));
  t.fallback_max_entries =
      static_cast<size_t>(count_in(c, p + "fallback_max_entries", static_cast<int64_t>(t.fallback_max_entries), 16, 100000000));
  t.key_prefix = c.str(p + "key_prefix", t.key_prefix);
  t.redis_timeout = duration_in(c, p + "redis_timeout", t.redis_timeout, milliseconds(1));
  t.redis_host = c.str("redis.host", "");
  t.redis_port = static_cast<int>(count_in(c, "redis.port", t.redis_port, 1, 65535));
  return t;
}

struct LoginThrottle::Impl {
  Impl(ThrottleConfig config, metrics::Registry& registry, std::string proto,
       std::function<std::chrono::steady_clock::time_point()> clock)
      : c(std::move(config)),
        protocol(std::move(proto)),
        redis(c),
        memory(c.fallback_max_entries, std::move(clock)),
        allowed(registry.counter("mail_login_throttle_total", "Login attempts by the throttle's decision",
                                 {{"protocol", protocol}, {"decision", "allowed"}})),
        delayed(registry.counter("mail_login_throttle_total", "Login attempts by the throttle's decision",
                                 {{"protocol", protocol}, {"decision", "delayed"}})),
        refused(registry.counter("mail_login_throttle_total", "Login attempts by the throttle's decision",
                                 {{"protocol", protocol}, {"decision", "refused"}})),
        fallback_gauge(registry.gauge("mail_login_throttle_fallback",
                                      "1 while the login throttle counts in this process only (Redis unreachable)",
                                      {{"protocol", protocol}})),
        redis_errors(registry.counter("mail_login_throttle_redis_errors_total",
                                      "Login throttle calls that Redis did not answer", {{"protocol", protocol}})) {
    fallback = c.redis_host.empty();
    fallback_gauge.Set(fallback ? 1 : 0);
  }

  // Runs `op` on Redis when it is configured and not in its retry pause,
  // else (or when Redis fails) on the in-process counts; `force` tries Redis
  // even in the pause (an administrator's request). Under mu.
  template <class Op>
  auto run(Op op, bool force = false) {
    const auto now = std::chrono::steady_clock::now();
    if (!c.redis_host.empty() && (!fallback || force || now >= retry_at)) {
      auto r = op(static_cast<throttle::CountStore&>(redis));
      if (r) {
        if (fallback) {
          log::info("login throttle counts are shared again", {{"protocol", protocol}, {"redis", where()}});
          memory.clear();
          fallback = false;
          fallback_gauge.Set(0);
        }
        retry = kFirstRetry;
        return r;
      }
      redis_errors.Increment();
      if (!fallback) {
        log::warn("login throttle cannot reach Redis; counting failed logins in this process only",
                  {{"protocol", protocol}, {"redis", where()}});
        fallback = true;
        fallback_gauge.Set(1);
      }
      retry_at = now + retry;
      retry = std::min(retry * 2, kLastRetry);
    }
    return op(static_cast<throttle::CountStore&>(memory));
  }

  // An administrator's clear: the keys `exact` and those matching
  // `patterns`, here and in Redis (tried even in the retry pause). The keys
  // Redis deleted, the local count without Redis, -1 when Redis failed.
  int64_t clear(const std::vector<std::string>& exact, const std::vector<std::string>& patterns) {
    std::lock_guard lock(mu);
    const int64_t local = memory.erase(exact, patterns);
    if (c.redis_host.empty()) return local;
    auto n = run([&](throttle::CountStore& store) -> std::optional<int64_t> {
      if (&store == &memory) return std::nullopt;
      const int64_t erased = store.erase(exact, patterns);  // -1: unavailable
      return erased < 0 ? std::nullopt : std::optional<int64_t>(erased);
    }, /*force=*/true);
    return n.value_or(-1);
  }

  std::string where() const { return c.redis_host + ":" + std::to_string(c.redis_port); }
  throttle::Keys keys(std::string_view ip, std::string_view account) const {
    return throttle::keys_for(c.key_prefix, throttle_address_key(ip, c.ipv6_prefix), throttle_account_key(account));
  }

  const ThrottleConfig c;
  const std::string protocol;
  std::mutex mu;
  throttle::RedisCounts redis;
  throttle::MemoryCounts memory;
  bool fallback = true;
  std::chrono::steady_clock::time_point retry_at{};
  milliseconds retry = kFirstRetry;
  prometheus::Counter& allowed;
  prometheus::Counter& delayed;
  prometheus::Counter& refused;
  prometheus::Gauge& fallback_gauge;
  prometheus::Counter& redis_errors;
};

LoginThrottle::LoginThrottle(ThrottleConfig config, metrics::Registry& registry, std::string protocol,
                             std::function<std::chrono::steady_clock::time_point()> clock)
    : impl_(std::make_unique<Impl>(std::move(config), registry, std::move(protocol), std::move(clock))) {}

LoginThrottle::~LoginThrottle() = default;

Decision LoginThrottle::check(std::string_view ip, std::string_view account) {
  Impl& m = *impl_;
  if (!m.c.enabled) {
    m.allowed.Increment();
    return Decision{};
  }
  const throttle::Keys k = m.keys(ip, account);
  std::optional<ThrottleState> s;
  {
    std::lock_guard lock(m.mu);
    s = m.run([&](throttle::CountStore& store) { return store.read(k); });
  }
  const Decision d = throttle::decide(m.c, s.value_or(ThrottleState{}));
  (d.refused ? m.refused : d.delay.count() > 0 ? m.delayed : m.allowed).Increment();
  return d;
}

void LoginThrottle::failed(std::string_view ip, std::string_view account) {
  Impl& m = *impl_;
  if (!m.c.enabled) return;
  const throttle::Keys k = m.keys(ip, account);
  std::optional<ThrottleState> s;
  {
    std::lock_guard lock(m.mu);
    s = m.run([&](throttle::CountStore& store) { return store.fail(k, m.c); });
  }
  if (!s) return;
  // Logged once, by the failure that reached the limit (the account only as
  // its hash: the session's own log line names the user it was given).
  if (s->address_failures == m.c.max_failures_per_address)
    log::info("login throttle blocks an address",
              {{"protocol", m.protocol}, {"client", throttle_address_key(ip, m.c.ipv6_prefix)},
               {"failures", s->address_failures}, {"block_ms", static_cast<int64_t>(m.c.block_time.count())}});
  if (s->pair_failures == m.c.max_failures_per_pair)
    log::info("login throttle blocks an address for one account",
              {{"protocol", m.protocol}, {"client", throttle_address_key(ip, m.c.ipv6_prefix)},
               {"account_key", throttle_account_key(account)}, {"failures", s->pair_failures}});
}

void LoginThrottle::succeeded(std::string_view ip, std::string_view account) {
  Impl& m = *impl_;
  if (!m.c.enabled) return;
  const throttle::Keys k = m.keys(ip, account);
  std::lock_guard lock(m.mu);
  m.run([&](throttle::CountStore& store) { return store.succeed(k, m.c) ? std::optional<bool>(true) : std::nullopt; });
}

int64_t LoginThrottle::clear_address(std::string_view ip) {
  Impl& m = *impl_;
  const std::string addr = throttle_address_key(ip, m.c.ipv6_prefix);
  const std::string& p = m.c.key_prefix;
  const std::vector<std::string> exact{p + "a:" + addr, p + "ab:" + addr};
  const std::vector<std::string> patterns{p + "p:*:" + addr, p + "pb:*:" + addr};
  return m.clear(exact, patterns);
}

int64_t LoginThrottle::clear_account(std::string_view account) {
  Impl& m = *impl_;
  const std::string acct = throttle_account_key(account);
  const std::string& p = m.c.key_prefix;
  const std::vector<std::string> exact{p + "u:" + acct};
  const std::vector<std::string> patterns{p + "p:" + acct + ":*", p + "pb:" + acct + ":*"};
  return m.clear(exact, patterns);
}

ThrottleState LoginThrottle::state(std::string_view ip, std::string_view account) {
  Impl& m = *impl_;
  const throttle::Keys k = m.keys(ip, account);
  std::lock_guard lock(m.mu);
  return m.run([&](throttle::CountStore& store) { return store.read(k); }).value_or(ThrottleState{});
}

bool LoginThrottle::shared() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->fallback;
}

}  // namespace mail::directory
