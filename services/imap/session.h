// SPDX-License-Identifier: Apache-2.0
// The IMAP4rev1 session (RFC 3501) on the shared engine (libs/net
// session.h), run once per connection by net::Server: its immutable config,
// what it uses, and the entry point. The class is in imap_session.h; the
// handlers, one group per file, in session_*.cpp.
//
// Trusts nothing from the client: frames are bounded by imap::Limits and
// parsed by libs/imap; errors are counted (max_errors, then BYE); the
// shared login throttle is asked before every password check. Backends are
// called only through net::offload, never on an I/O thread.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

#include "backends.h"
#include "imap_metrics.h"
#include "mailbox_watch.h"
#include "userip_limit.h"
#include "mail/directory/client/directory_client.h"
#include "mail/directory/login_throttle.h"
#include "mail/imap/limits.h"
#include "mail/net/asio.h"
#include "mail/net/connection.h"
#include "mail/net/session.h"

namespace mail::imapd {

/// Immutable per-process session settings (imap.* in the config).
struct SessionConfig {
  std::string hostname = "localhost";
  bool allow_plaintext_auth = false;  ///< LOGIN / AUTHENTICATE before TLS
  /// Idle limit once logged in (RFC 3501 §5.4: at least 30 minutes).
  net::Duration idle_timeout = std::chrono::minutes(30);
  /// Idle limit before login: a connection that never logs in goes sooner.
  net::Duration login_timeout = std::chrono::seconds(60);
  size_t max_auth_failures = 3;  ///< then BYE
  size_t max_errors = 20;        ///< BAD / NO replies to bad input before BYE
  net::Duration auth_failure_delay = std::chrono::seconds(2);
  /// IDLE (RFC 2177): how often an idling session looks for changes even
  /// without a notice (a notice lost in Redis costs at most this), and how
  /// often it tells the client it is still there (NAT and firewall timers).
  net::Duration idle_poll = std::chrono::seconds(30);
  net::Duration idle_keepalive = std::chrono::minutes(2);
  imap::Limits limits;
  std::string implementation = "mail-imap";
};

/// What a session uses; all of it outlives every session.
struct SessionDeps {
  const SessionConfig* config = nullptr;
  net::asio::thread_pool* blocking = nullptr;
  directory::Authenticator* auth = nullptr;
  MailStore* store = nullptr;
  ImapMetrics* metrics = nullptr;
  net::asio::ssl::context* tls = nullptr;    ///< null: STARTTLS is not offered
  net::SessionRegistry* registry = nullptr;  ///< drains every session on SIGTERM
  directory::LoginThrottle* throttle = nullptr;  ///< null: none
  /// Mailbox notices from every replica (mailbox_watch.h); null: none.
  MailboxWatch* watch = nullptr;
  /// Logged-in sessions per (account, address) (userip_limit.h); null: no limit.
  UserIpLimit* userip = nullptr;
  /// Where this process's own mailbox changes are announced; null: nowhere.
  MailboxNotifier* notifier = nullptr;
};

/// Runs one IMAP session on `conn` until LOGOUT, error, timeout or close.
/// `listener` labels metrics and logs ("imap", "imaps").
net::awaitable<void> run_session(const SessionDeps& deps, net::Connection& conn, std::string listener);

}  // namespace mail::imapd
