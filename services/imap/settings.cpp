// SPDX-License-Identifier: Apache-2.0
// load_settings(): the config keys of mail-imap and their defaults.
//   imap.hostname ("localhost"), imap.listen (127.0.0.1:2143),
//   imap.imaps_listen (unset), imap.allow_plaintext_auth (false: LOGIN and
//   AUTHENTICATE only after STARTTLS), imap.idle_timeout (30m, RFC 3501
//   §5.4's autologout minimum), imap.login_timeout (60s before login),
//   imap.max_auth_failures (3), imap.max_errors (20),
//   imap.auth_failure_delay (2s), imap.idle_poll (30s: an IDLE session
//   looks for changes this often without a notice), imap.idle_keepalive (2m:
//   "* OK Still here" during IDLE), imap.max_userip_connections (10 logged-in
//   sessions per account and address in one process; 0: no limit), imap.max_line (8192),
//   imap.max_literal (50M: also the largest APPEND), imap.max_connections
//   (5000 per listener), imap.io_threads (2), imap.blocking_threads (16),
//   imap.shutdown_grace (5s); tls.cert, tls.key; http.* (service::Process);
//   db.url, db.password[_file], db.pool_size (8), db.acquire_timeout (10s);
//   directory.* (mail/directory/client/client_settings.h); auth.token_file (required);
//   redis.host, redis.port (change notices).
#include "settings.h"

#include "mail/common/config_values.h"
#include "mail/rpc/tokens.h"

namespace mail::imapd {

using common::positive;

Settings load_settings(const common::Config& c) {
  Settings s;
  SessionConfig& sc = s.session;
  sc.hostname = c.str("imap.hostname", "localhost");
  if (sc.hostname.empty() || sc.hostname.find_first_of(" \r\n") != std::string::npos)
    throw common::ConfigError("imap.hostname must be a host name");
  sc.allow_plaintext_auth = c.boolean("imap.allow_plaintext_auth", false);
  sc.idle_timeout = c.duration("imap.idle_timeout", std::chrono::minutes(30));
  sc.login_timeout = c.duration("imap.login_timeout", std::chrono::seconds(60));
  if (sc.idle_timeout < std::chrono::seconds(1) || sc.login_timeout < std::chrono::seconds(1))
    throw common::ConfigError("imap.idle_timeout and imap.login_timeout must be at least 1s");
  sc.max_auth_failures = positive(c, "imap.max_auth_failures", 3);
  sc.max_errors = positive(c, "imap.max_errors", 20);
  sc.auth_failure_delay = c.duration("imap.auth_failure_delay", std::chrono::seconds(2));
  sc.idle_poll = c.duration("imap.idle_poll", std::chrono::seconds(30));
  sc.idle_keepalive = c.duration("imap.idle_keepalive", std::chrono::minutes(2));
  if (sc.idle_poll < std::chrono::milliseconds(100) || sc.idle_keepalive < std::chrono::seconds(1))
    throw common::ConfigError("imap.idle_poll must be at least 100ms and imap.idle_keepalive at least 1s");
  const int64_t userip = c.integer("imap.max_userip_connections", 10);
  if (userip < 0) throw common::ConfigError("imap.max_userip_connections must be 0 (no limit) or more");
  s.max_userip_connections = static_cast<size_t>(userip);
  sc.limits.max_line = positive(c, "imap.max_line", 8192, 1 << 20);
  if (sc.limits.max_line < 1024) throw common::ConfigError("imap.max_line must be at least 1024");
  sc.limits.max_literal = c.size("imap.max_literal", 50u * 1024 * 1024);
  sc.limits.max_frame = sc.limits.max_literal + 64 * 1024;

  s.listen = common::listen_address(c, "imap.listen", "127.0.0.1:2143");
  s.imaps_listen = common::listen_address(c, "imap.imaps_listen", "");
  if (!s.listen && !s.imaps_listen) throw common::ConfigError("set imap.listen and/or imap.imaps_listen");
  s.max_connections = positive(c, "imap.max_connections", 5000);
  s.io_threads = positive(c, "imap.io_threads", 2);
  s.blocking_threads = positive(c, "imap.blocking_threads", 16);
  s.shutdown_grace = c.duration("imap.shutdown_grace", std::chrono::seconds(5));

  s.tls_cert = c.str("tls.cert", "");
  s.tls_key = c.str("tls.key", "");
  if (s.tls_cert.empty() != s.tls_key.empty()) throw common::ConfigError("set both tls.cert and tls.key, or neither");
  if (s.imaps_listen && s.tls_cert.empty()) throw common::ConfigError("imap.imaps_listen needs tls.cert and tls.key");

  s.db_url = common::db_conninfo(c);
  s.db_pool_size = positive(c, "db.pool_size", 8);
  s.db_acquire_timeout = c.duration("db.acquire_timeout", std::chrono::seconds(10));

  s.directory = directory::load_directory_client_settings(c, "imap");
  s.token = rpc::own_token(c);
  s.directory_tls = rpc::channel_security(c);
  s.notices = directory::notice_endpoint(c);
  return s;
}

}  // namespace mail::imapd
