// SPDX-License-Identifier: Apache-2.0
// The POP3 session state machine (RFC 1939 AUTHORIZATION → TRANSACTION →
// UPDATE, with CAPA, STLS, AUTH PLAIN (and LOGIN, unannounced) through
// libs/sasl, and RESP-CODES from RFC 2449, 2595, 5034, 3206), run once per
// connection by net::Server.
//
// Trusts nothing from the client: every line is bounded by pop3::Limits and
// parsed by the pure parser; message numbers are checked by pop3::Maildrop;
// errors are counted and end the session past max_errors / max_auth_failures;
// the shared login throttle is asked before every password check (USER/PASS
// and AUTH) and told every verdict of the directory.
// The backends are called only through net::offload (never on an I/O thread).
// DELE takes effect only when QUIT commits; a dropped, timed-out or
// shut-down session releases its maildrop lease and deletes nothing. On
// SIGTERM (the registry's drain) a session finishes the command it is in
// (a QUIT's commit included), then says "-ERR [SYS/TEMP]" and closes.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "backends.h"
#include "mail/directory/login_throttle.h"
#include "mail/net/command_table.h"
#include "mail/net/connection.h"
#include "mail/net/session.h"
#include "mail/pop3/command.h"
#include "pop3_metrics.h"

namespace mail::pop3d {

/// Immutable per-process session settings (from pop3.* in the config).
struct SessionConfig {
  std::string hostname = "localhost";
  bool allow_plaintext_auth = false;       ///< USER/PASS and AUTH PLAIN before TLS
  net::Duration timeout = std::chrono::minutes(10);  ///< idle limit (RFC 1939: at least 10 min)
  size_t max_auth_failures = 3;            ///< then "-ERR" and close
  size_t max_errors = 20;                  ///< client errors before the connection is closed
  uint64_t max_message_size = 8u << 20;    ///< RETR reads messages up to this whole; bigger ones stream by chunk
  net::Duration auth_failure_delay = std::chrono::seconds(2);
  net::Duration lease_renew_interval = std::chrono::seconds(60);
  pop3::Limits limits;
  std::string implementation = "mail-pop3";

  /// Lease time-to-live: longer than the idle timeout, so a live session's
  /// lease never lapses between two commands.
  int lease_ttl_seconds() const;
};

/// What a session uses; all of it outlives every session.
struct SessionDeps {
  const SessionConfig* config = nullptr;
  net::asio::thread_pool* blocking = nullptr;
  Authenticator* auth = nullptr;
  MaildropStore* store = nullptr;
  Pop3Metrics* metrics = nullptr;
  net::asio::ssl::context* tls = nullptr;  ///< null: STLS is not offered
  net::SessionRegistry* registry = nullptr;  ///< drains every session on SIGTERM
  /// The process's shared failed-login throttle (Redis); null: none.
  directory::LoginThrottle* throttle = nullptr;
};

/// Runs one POP3 session on `conn` until QUIT, error, timeout or close.
/// `listener` labels metrics and logs ("pop3", "pop3s").
net::awaitable<void> run_session(const SessionDeps& deps, net::Connection& conn, std::string listener);

}  // namespace mail::pop3d
