// SPDX-License-Identifier: Apache-2.0
// quiet_throttle.h: a LoginThrottle configuration for session tests: no
// delays, and only the (address, account) pair refused, after `pair_limit`
// failures. Counts stay in-process (no Redis) unless the test sets one.
#pragma once
#include <cstdint>

#include "mail/directory/login_throttle.h"

namespace mail::test {

inline directory::ThrottleConfig quiet_throttle(int64_t pair_limit = 2) {
  directory::ThrottleConfig c;
  c.delay_after = 1000;
  c.account_delay_after = 1000;
  c.max_failures_per_pair = pair_limit;
  c.max_failures_per_address = 1000;
  return c;
}

}  // namespace mail::test
