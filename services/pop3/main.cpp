// SPDX-License-Identifier: Apache-2.0
// mail-pop3: the POP3 front end of the mailbox store (RFC 1939 with CAPA,
// STLS, AUTH PLAIN/LOGIN, RESP-CODES). This file only wires things together:
// config, the PostgreSQL pool, the Directory client, the shared failed-login
// throttle, TLS and the listeners; the protocol lives in session.cpp.
// Usage: mail-pop3 --config FILE. SIGTERM/SIGINT: stop accepting, end the
// sessions without applying DELE (only QUIT does), exit 0. The lifecycle
// (config, logging, /metrics /healthz /readyz, signals) is service::Process.
#include <memory>
#include <optional>
#include <vector>

#include "mail/common/log.h"
#include "mail/directory/client/grpc_directory_client.h"
#include "mail/directory/login_throttle.h"
#include "mail/net/client_limits.h"
#include "mail/net/runtime.h"
#include "mail/net/server.h"
#include "mail/net/session.h"
#include "mail/net/tls.h"
#include "mail/pg/pool.h"
#include "mail/rpc/channel.h"
#include "mail/service/process.h"
#include "pg_maildrop.h"
#include "pop3_metrics.h"
#include "session.h"
#include "settings.h"

namespace mail::pop3d {
namespace {

int run(service::Process& proc) {
  const Settings s = load_settings(proc.config());
  net::Runtime& rt = proc.runtime(s.io_threads, s.blocking_threads);
  const net::ClientLimits client_limits = net::load_client_limits(proc.config());
  pg::Pool pool(s.db_url, s.db_pool_size, s.db_acquire_timeout);
  PgMaildropStore store(pool);
  directory::GrpcDirectoryClient directory(
      rpc::make_channel(s.directory.address, s.token, s.directory_tls), s.directory.options);
  directory::ChangeSubscriber notices(s.notices, [&directory](const directory::ChangeNotice& n) { directory.apply(n); });
  notices.start();
  Pop3Metrics pop3_metrics(proc.metrics(), {"pop3", "pop3s"});
  std::optional<net::asio::ssl::context> tls;
  if (!s.tls_cert.empty()) tls.emplace(net::make_server_tls_context(s.tls_cert, s.tls_key));

  // One failed-login throttle per process, shared with every protocol and
  // replica through Redis (auth_throttle.*, redis.*).
  directory::LoginThrottle throttle(directory::load_throttle_config(proc.config()), proc.metrics(), "pop3");

  net::SessionRegistry sessions;
  SessionDeps deps{&s.session, &rt.blocking(), &directory, &store, &pop3_metrics, tls ? &*tls : nullptr, &sessions,
                   &throttle};
  std::vector<std::unique_ptr<net::Server>> servers;
  auto add = [&](const common::HostPort& at, const std::string& name, bool implicit_tls) {
    // net.*: per-client cap, handshake and stress timeouts, PROXY v2.
    net::ServerOptions o = net::listener_options(
        name, at.host, at.port, s.max_connections, client_limits, implicit_tls ? &*tls : nullptr,
        "-ERR [SYS/TEMP] Too many connections, try again later\r\n", [&pop3_metrics, name] { pop3_metrics.overload(name); });
    o.timeout = std::chrono::seconds(30);  // implicit TLS handshake; the session sets its own
    servers.push_back(std::make_unique<net::Server>(
        rt.io(), o, [&deps, name](net::Connection& c) { return run_session(deps, c, name); }));
  };
  if (s.listen) add(*s.listen, "pop3", false);
  if (s.pop3s_listen) add(*s.pop3s_listen, "pop3s", true);
  for (auto& srv : servers) srv->start();

  proc.set_ready([&] { return pool.ping() && directory.ready(); });
  proc.on_stop([&]() -> net::awaitable<void> {
    // Sessions at the prompt say goodbye now; one inside a command (a QUIT
    // committing its DELEs) finishes it first. Nothing else is deleted.
    log::info("draining: sessions end without applying DELE", {{"sessions", sessions.size()}});
    co_await net::drain_and_stop(sessions, servers, s.shutdown_grace);
  });  // the notice subscriber stops (and joins) in its destructor, off the I/O threads
  log::info("pop3 listening", {{"hostname", s.session.hostname},
                               {"pop3", s.listen ? s.listen->port : 0},
                               {"pop3s", s.pop3s_listen ? s.pop3s_listen->port : 0},
                               {"stls", tls ? "yes" : "no"},
                               {"plaintext_auth", s.session.allow_plaintext_auth ? "yes" : "no"}});
  return proc.run();
}

}  // namespace
}  // namespace mail::pop3d

int main(int argc, char** argv) {
  return mail::service::guarded_main("pop3", [&] {
    mail::service::Process proc("pop3", argc, argv, "127.0.0.1:9105");
    return mail::pop3d::run(proc);
  });
}
