// SPDX-License-Identifier: Apache-2.0
// mail-pop3: the POP3 front end of the mailbox store (RFC 1939 with CAPA,
// STLS, AUTH PLAIN, RESP-CODES). This file only wires things together:
// config, the PostgreSQL pool, the Directory client, TLS, the listeners and
// the /metrics /healthz /readyz server; the protocol lives in session.cpp.
// Usage: mail-pop3 --config FILE. SIGTERM/SIGINT: stop accepting, end the
// sessions without applying DELE (only QUIT does), exit 0.
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "mail/common/config.h"
#include "mail/common/log.h"
#include "mail/directory/client/grpc_directory_client.h"
#include "mail/metrics/http_server.h"
#include "mail/net/runtime.h"
#include "mail/net/server.h"
#include "mail/net/tls.h"
#include "mail/pg/pool.h"
#include "mail/rpc/channel.h"
#include "pg_maildrop.h"
#include "pop3_metrics.h"
#include "session.h"
#include "settings.h"

using namespace mail;
using namespace mail::pop3d;

namespace {

int serve(const Settings& s) {
  net::Runtime rt(s.io_threads, s.blocking_threads);
  pg::Pool pool(s.db_url, s.db_pool_size, s.db_acquire_timeout);
  PgMaildropStore store(pool);
  directory::GrpcDirectoryClient directory(
      rpc::make_channel(s.directory_address, s.token, s.directory_tls),
      {.protocol = "pop3", .deadline = s.directory_timeout, .cache_ttl = s.cache_ttl, .cache_entries = s.cache_size});
  directory::ChangeSubscriber notices(s.notices, [&directory](const directory::ChangeNotice& n) { directory.apply(n); });
  notices.start();
  metrics::Registry registry;
  Pop3Metrics pop3_metrics(registry, {"pop3", "pop3s"});
  std::optional<net::asio::ssl::context> tls;
  if (!s.tls_cert.empty()) tls.emplace(net::make_server_tls_context(s.tls_cert, s.tls_key));

  SessionDeps deps{&s.session, &rt.blocking(), &directory, &store, &pop3_metrics, tls ? &*tls : nullptr};
  std::vector<std::unique_ptr<net::Server>> servers;
  auto add = [&](const Endpoint& at, const std::string& name, bool implicit_tls) {
    net::ServerOptions o;
    o.name = name;
    o.address = at.host;
    o.port = at.port;
    o.implicit_tls = implicit_tls ? &*tls : nullptr;
    o.max_connections = s.max_connections;
    o.timeout = std::chrono::seconds(30);  // implicit TLS handshake; the session sets its own
    o.overload_handler = [](net::Connection& c) -> net::awaitable<void> {
      co_await c.write("-ERR [SYS/TEMP] Too many connections, try again later\r\n");
    };
    servers.push_back(std::make_unique<net::Server>(
        rt.io(), o, [&deps, name](net::Connection& c) { return run_session(deps, c, name); }));
  };
  if (s.listen) add(*s.listen, "pop3", false);
  if (s.pop3s_listen) add(*s.pop3s_listen, "pop3s", true);

  metrics::HttpOptions ho;
  ho.address = s.http.host;
  ho.port = s.http.port;
  ho.request_timeout = s.http_request_timeout;
  metrics::HttpServer http(rt.io(), rt.blocking(), ho, registry, [&] { return pool.ping() && directory.ready(); });

  rt.on_stop([&]() -> net::awaitable<void> {
    log::info("stopping: sessions end without applying DELE");
    for (auto& srv : servers) co_await srv->stop(s.session.timeout < s.shutdown_grace ? s.session.timeout : s.shutdown_grace);
    co_await http.stop();
  });  // the notice subscriber stops (and joins) in its destructor, off the I/O threads
  for (auto& srv : servers) srv->start();
  http.start();
  log::info("mail-pop3 started", {{"hostname", s.session.hostname},
                                  {"pop3", s.listen ? s.listen->port : 0},
                                  {"pop3s", s.pop3s_listen ? s.pop3s_listen->port : 0},
                                  {"http", http.port()},
                                  {"stls", tls ? "yes" : "no"},
                                  {"plaintext_auth", s.session.allow_plaintext_auth ? "yes" : "no"}});
  rt.run();
  log::info("mail-pop3 stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else {
      std::cerr << "usage: mail-pop3 --config FILE\n";
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  try {
    common::Config config = common::Config::load(config_path);
    log::init("pop3", log::parse_level(config.str("log.level", "info")));
    return serve(load_settings(config));
  } catch (const std::exception& e) {
    log::init("pop3", log::Level::info);
    log::error("mail-pop3 failed", {{"error", e.what()}});
    return 1;
  }
}
