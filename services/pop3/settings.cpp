// SPDX-License-Identifier: Apache-2.0
// load_settings(): the config keys of mail-pop3 and their defaults.
//   pop3.hostname (required-ish, default "localhost"), pop3.listen,
//   pop3.pop3s_listen, pop3.allow_plaintext_auth (false), pop3.timeout (10m),
//   pop3.max_auth_failures (3), pop3.max_errors (20),
//   pop3.max_message_size (8M: RETR reads up to this whole, streams bigger),
//   pop3.auth_failure_delay (2s), pop3.max_line (255), pop3.max_auth_line
//   (12288), pop3.max_connections (1000 per listener), pop3.io_threads (2),
//   pop3.blocking_threads (16), pop3.shutdown_grace (5s);
//   tls.cert, tls.key; http.* (read by service::Process); db.url, db.password[_file],
//   db.pool_size (8), db.acquire_timeout (10s); directory.* (the shared
//   client keys, mail/directory/client/client_settings.h); auth.token_file (required: this service's
//   token for the Directory); redis.host (unset: no change notices), redis.port.
#include "settings.h"

#include "mail/common/config_values.h"
#include "mail/common/log.h"
#include "mail/rpc/tokens.h"

namespace mail::pop3d {

using common::positive;

Settings load_settings(const common::Config& c) {
  Settings s;
  SessionConfig& sc = s.session;
  sc.hostname = c.str("pop3.hostname", "localhost");
  if (sc.hostname.empty() || sc.hostname.find_first_of(" \r\n") != std::string::npos)
    throw common::ConfigError("pop3.hostname must be a host name");
  sc.allow_plaintext_auth = c.boolean("pop3.allow_plaintext_auth", false);
  sc.timeout = c.duration("pop3.timeout", std::chrono::minutes(10));
  if (sc.timeout < std::chrono::seconds(1)) throw common::ConfigError("pop3.timeout must be at least 1s");
  if (sc.timeout < std::chrono::minutes(10))
    log::warn("pop3.timeout is below the 10 minutes RFC 1939 asks for", {{"timeout_ms", std::chrono::duration_cast<std::chrono::milliseconds>(sc.timeout).count()}});
  sc.max_auth_failures = positive(c, "pop3.max_auth_failures", 3);
  sc.max_errors = positive(c, "pop3.max_errors", 20);
  sc.max_message_size = c.size("pop3.max_message_size", 8u << 20);
  sc.auth_failure_delay = c.duration("pop3.auth_failure_delay", std::chrono::seconds(2));
  sc.limits.max_line = positive(c, "pop3.max_line", 255);
  sc.limits.max_auth_line = positive(c, "pop3.max_auth_line", 12288);
  if (sc.limits.max_line < 16 || sc.limits.max_auth_line < sc.limits.max_line)
    throw common::ConfigError("pop3.max_line must be >= 16 and pop3.max_auth_line >= pop3.max_line");
  // Renew well before the lease (idle timeout + 2 min) could lapse.
  sc.lease_renew_interval = std::min<net::Duration>(std::chrono::seconds(60), sc.timeout / 2);

  s.listen = common::listen_address(c, "pop3.listen", "127.0.0.1:2110");
  s.pop3s_listen = common::listen_address(c, "pop3.pop3s_listen", "");
  if (!s.listen && !s.pop3s_listen) throw common::ConfigError("set pop3.listen and/or pop3.pop3s_listen");
  s.max_connections = positive(c, "pop3.max_connections", 1000);
  s.io_threads = positive(c, "pop3.io_threads", 2);
  s.blocking_threads = positive(c, "pop3.blocking_threads", 16);
  s.shutdown_grace = c.duration("pop3.shutdown_grace", std::chrono::seconds(5));

  s.tls_cert = c.str("tls.cert", "");
  s.tls_key = c.str("tls.key", "");
  if (s.tls_cert.empty() != s.tls_key.empty()) throw common::ConfigError("set both tls.cert and tls.key, or neither");
  if (s.pop3s_listen && s.tls_cert.empty()) throw common::ConfigError("pop3.pop3s_listen needs tls.cert and tls.key");


  s.db_url = common::db_conninfo(c);
  s.db_pool_size = positive(c, "db.pool_size", 8);
  s.db_acquire_timeout = c.duration("db.acquire_timeout", std::chrono::seconds(10));

  s.directory = directory::load_directory_client_settings(c, "pop3");
  s.token = rpc::own_token(c);
  s.directory_tls = rpc::channel_security(c);
  s.notices = directory::notice_endpoint(c);
  return s;
}

}  // namespace mail::pop3d
