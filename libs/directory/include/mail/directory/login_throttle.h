// SPDX-License-Identifier: Apache-2.0
// login_throttle.h: one throttle of failed logins for every protocol (SMTP
// AUTH, POP3, IMAP), shared by all connections and all replicas through
// Redis (issue 6, hole 4).
//
// What it counts, within `window` of the last failure:
//   - per client address (IPv4 address, IPv6 /64 by default): a delay that
//     doubles with each failure past `delay_after`, up to `delay_max`; at
//     `max_failures_per_address` the address is refused for `block_time`,
//     with no password check at all (no Argon2: refusing costs nothing);
//   - per (address, account) pair: the same delays, and a refusal of that
//     pair at `max_failures_per_pair`;
//   - per account, across all addresses: only a delay, past
//     `account_delay_after`, never a refusal, so that nobody can lock the
//     owner out by failing on purpose.
// A success from an address marks the pair "known" for `known_time`: a known
// pair is exempt from the address's count and block and from the account's
// delay (the owner behind a NAT shared with an attacker, or whose account is
// under a distributed guess, still gets in); only its own pair count applies.
// A success clears the pair's count and block, not the address's (else one
// valid account of an attacker's own would reset the address between guesses)
// and not the account's count from other addresses.
//
// Redis holds the shared counts (keys with expiry under `key_prefix`; the
// account appears only as a truncated SHA-256 of its normalized name, the
// address as its grouped text; never a password). Each call is one EVALSHA
// round trip with a short timeout. While Redis is unreachable (or not
// configured) each process keeps its own counts, with the same rules, in a
// bounded map; they are dropped when Redis answers again (the shared counts
// are the truth, and a block lifted by an administrator must stay lifted).
//
// BLOCKING: every method may wait up to about twice redis_timeout; sessions
// call them through net::offload on their blocking pool. check() never
// sleeps: the caller waits Decision::delay with its own timer. Thread-safe.
//
// Trusts: the client address as the session knows it (PROXY protocol from
// configured balancers only); nothing in the account name (any bytes, any
// length: it is hashed). Redis is the platform's own.
//
// Diagnostics: a warning when Redis becomes unreachable and an info line when
// it is back; an info line when an address or a pair becomes blocked. Metrics:
//   mail_login_throttle_total{protocol, decision="allowed|delayed|refused"}
//   mail_login_throttle_fallback{protocol}      1 while counting in-process
//   mail_login_throttle_redis_errors_total{protocol}
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mail/common/config.h"
#include "mail/metrics/registry.h"

namespace mail::directory {

/// The throttle's settings: config keys auth_throttle.* (see
/// load_throttle_config) and redis.host / redis.port.
struct ThrottleConfig {
  bool enabled = true;                                  ///< auth_throttle.enabled
  std::chrono::milliseconds window{std::chrono::hours(1)};  ///< .window: counts end this long after the last failure
  int64_t delay_after = 2;                              ///< .delay_after: failures without a delay
  std::chrono::milliseconds delay_start{2000};          ///< .delay_start: the first delay, doubled per failure
  std::chrono::milliseconds delay_max{15000};           ///< .delay_max
  int64_t max_failures_per_address = 20;                ///< .max_failures_per_address: then refused
  int64_t max_failures_per_pair = 10;                   ///< .max_failures_per_pair: then the pair is refused
  int64_t account_delay_after = 10;                     ///< .account_delay_after: account-wide failures without a delay
  std::chrono::milliseconds block_time{std::chrono::minutes(15)};  ///< .block_time
  std::chrono::milliseconds known_time{std::chrono::hours(24 * 7)};  ///< .known_time: a success makes the pair known this long
  int ipv6_prefix = 64;                                 ///< .ipv6_prefix: IPv6 addresses counted per prefix of this length
  size_t fallback_max_entries = 100000;                 ///< .fallback_max_entries: bound of the in-process counts
  std::string key_prefix = "mail:throttle:";            ///< .key_prefix
  std::string redis_host;                               ///< redis.host (empty: in-process counts only)
  int redis_port = 6379;                                ///< redis.port
  std::chrono::milliseconds redis_timeout{200};         ///< .redis_timeout: connect and each reply
};

/// Reads auth_throttle.*, redis.host and redis.port; ConfigError naming the
/// key for a value out of range.
ThrottleConfig load_throttle_config(const common::Config& config);

/// What check() says about one login attempt.
struct Decision {
  bool refused = false;              ///< answer "try later" now; do not check the password
  std::chrono::milliseconds delay{0};        ///< when allowed: wait this long, then check the password
  std::chrono::milliseconds retry_after{0};  ///< when refused: how long the block still lasts
};

/// The counts kept for an address, a pair or an account, for `mailctl
/// throttle show` and for tests.
struct ThrottleState {
  int64_t address_failures = 0;
  int64_t pair_failures = 0;
  int64_t account_failures = 0;
  std::chrono::milliseconds address_blocked{0};  ///< remaining; 0 = not blocked
  std::chrono::milliseconds pair_blocked{0};
  bool known = false;  ///< the pair succeeded within known_time
};

/// The form in which an address is counted: IPv4 as is ("192.0.2.7"; an
/// IPv4-mapped IPv6 address counts as its IPv4), IPv6 as its prefix
/// ("2001:db8:1:2::/64"); anything else (not an IP address) as "other:" and
/// a hash. Pure.
std::string throttle_address_key(std::string_view ip, int ipv6_prefix = 64);
/// The form in which an account is counted: 32 hex digits of the SHA-256 of
/// its normalized address (or of the raw bytes when it is not an address).
std::string throttle_account_key(std::string_view account);

class LoginThrottle {
 public:
  /// `protocol` labels the metrics ("smtp", "pop3", "imap", "admin").
  /// `clock` is for tests of the in-process counts; Redis keeps its own time.
  LoginThrottle(ThrottleConfig config, metrics::Registry& registry, std::string protocol,
                std::function<std::chrono::steady_clock::time_point()> clock = {});
  ~LoginThrottle();
  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  /// Before the password is checked. `account` is the name the client gave.
  Decision check(std::string_view ip, std::string_view account);
  /// After the directory said no (not after "unavailable").
  void failed(std::string_view ip, std::string_view account);
  /// After the directory said yes; `account` is the name given to check().
  void succeeded(std::string_view ip, std::string_view account);

  /// Administrators lifting a block: delete the counts and blocks of an
  /// address (its own and its pairs) or of an account (its own and its
  /// pairs). Known pairs stay known. Returns the number of keys deleted, or
  /// -1 when Redis could not be reached (in-process counts are cleared too).
  int64_t clear_address(std::string_view ip);
  int64_t clear_account(std::string_view account);
  /// The counts for (ip, account), either may be empty; from Redis when it
  /// answers, else from the in-process counts.
  ThrottleState state(std::string_view ip, std::string_view account);

  /// False while the in-process counts are in use (Redis unreachable or not
  /// configured).
  bool shared() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mail::directory
