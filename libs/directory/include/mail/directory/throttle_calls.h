// SPDX-License-Identifier: Apache-2.0
// throttle_calls.h: how a protocol session asks the LoginThrottle, written
// once for SMTP, POP3 and IMAP. The throttle may block on Redis, so both
// calls run on the session's blocking pool (net::offload), never on an I/O
// thread. A session without a throttle (none configured) is always allowed.
// What a refusal looks like on the wire is the protocol's to say.
#pragma once
#include <string>

#include "mail/directory/login_throttle.h"
#include "mail/net/offload.h"

namespace mail::directory {

/// Before the password is checked: the throttle's decision for (ip, account).
inline net::awaitable<Decision> throttle_check(LoginThrottle* throttle, net::asio::thread_pool& pool,
                                               const std::string& ip, const std::string& account) {
  if (!throttle) co_return Decision{};
  co_return co_await net::offload(pool, [throttle, &ip, &account] { return throttle->check(ip, account); });
}

/// After the directory answered yes (`ok`) or no; never after "unavailable".
inline net::awaitable<void> throttle_report(LoginThrottle* throttle, net::asio::thread_pool& pool,
                                            const std::string& ip, const std::string& account, bool ok) {
  if (!throttle) co_return;
  co_await net::offload(pool, [throttle, &ip, &account, ok] {
    if (ok)
      throttle->succeeded(ip, account);
    else
      throttle->failed(ip, account);
  });
}

}  // namespace mail::directory
