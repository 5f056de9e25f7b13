// SPDX-License-Identifier: Apache-2.0
// throttle_rules.h: the login throttle's rules as pure code, shared by the
// Redis and the in-process counts so that both decide alike: the names of the
// counters of one attempt, and the decision from their values.
// Trusts: nothing; counts come from our own stores. No I/O, no logging.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "mail/directory/login_throttle.h"

namespace mail::directory::throttle {

/// The counter names of one (address, account) attempt, prefix included.
/// Addresses are throttle_address_key() text, accounts 32 hex digits, so a
/// name never holds a glob character or the separator inside an account.
struct Keys {
  std::string address;          ///< P "a:" addr      failures of the address
  std::string address_block;    ///< P "ab:" addr     the address is refused
  std::string account;          ///< P "u:" acct      failures of the account
  std::string pair;             ///< P "p:" acct ":" addr
  std::string pair_block;       ///< P "pb:" acct ":" addr
  std::string known;            ///< P "k:" acct ":" addr   succeeded lately
};

Keys keys_for(const std::string& prefix, const std::string& address_key, const std::string& account_key);

/// 0 for the first `after` failures, then start, 2*start, ... up to `max`.
std::chrono::milliseconds growing_delay(int64_t failures, int64_t after, std::chrono::milliseconds start,
                                        std::chrono::milliseconds max);

/// The decision for an attempt whose counters hold `s` (see login_throttle.h).
Decision decide(const ThrottleConfig& config, const ThrottleState& s);

}  // namespace mail::directory::throttle
