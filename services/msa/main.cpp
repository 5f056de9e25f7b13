// SPDX-License-Identifier: Apache-2.0
// mail-msa: the SMTP edge. Three listeners (MX, submission with STARTTLS,
// submissions with implicit TLS), each session checking policy with the
// admin service's Directory and streaming accepted mail to the mta's
// Transfer (chunk by chunk as it arrives, within smtp.data_memory_budget); /metrics /healthz /readyz on the HTTP port. No database,
// no queue: a message is answered 250 only after the mta committed it.
//
// Usage: mail-msa --config FILE   (keys and defaults: see config.h)
// SIGTERM/SIGINT: stop accepting, let sessions finish their current
// transaction for smtp.shutdown_grace, say 421 to the rest, exit 0.
// This file only wires things together (lifecycle: service::Process); the
// logic is in session*.cpp.
#include <memory>
#include <optional>
#include <vector>

#include "config.h"
#include "mail/common/log.h"
#include "mail/directory/client/grpc_directory_client.h"
#include "mail/directory/login_throttle.h"
#include "mail/net/client_limits.h"
#include "mail/net/runtime.h"
#include "mail/net/server.h"
#include "mail/net/tls.h"
#include "mail/rpc/channel.h"
#include "mail/rpc/tokens.h"
#include "mail/service/process.h"
#include "msa_metrics.h"
#include "mta_client.h"
#include "session.h"

namespace mail::msa {
namespace {

int run(service::Process& proc) {
  const MsaConfig cfg = load_msa_config(proc.config());
  net::Runtime& rt = proc.runtime(cfg.io_threads, cfg.blocking_threads);
  const net::ClientLimits client_limits = net::load_client_limits(proc.config());
  MsaMetrics msa_metrics(proc.metrics());

  const std::string token = rpc::own_token(proc.config());
  const rpc::ChannelSecurity tls_links = rpc::channel_security(proc.config());
  directory::GrpcDirectoryClient directory(rpc::make_channel(cfg.directory.address, token, tls_links),
                                           cfg.directory.options);
  MtaClient mta(rpc::make_channel(cfg.mta_address, token, tls_links), cfg.mta_deadline, cfg.mta_chunk_size);
  directory::ChangeSubscriber notices(directory::notice_endpoint(proc.config()),
                                      [&directory](const directory::ChangeNotice& n) { directory.apply(n); });
  notices.start();

  std::optional<net::asio::ssl::context> tls;
  if (!cfg.tls_cert.empty())
    tls.emplace(net::make_server_tls_context(cfg.tls_cert, cfg.tls_key));
  else
    log::warn("no tls.cert/tls.key: STARTTLS, AUTH and the submissions listener are off");

  // One failed-login throttle per process, shared with every protocol and
  // replica through Redis (auth_throttle.*, redis.*).
  directory::LoginThrottle throttle(directory::load_throttle_config(proc.config()), proc.metrics(), "smtp");

  net::SessionRegistry sessions;
  DataBudget budget(cfg.data_memory_budget, &msa_metrics.budget_gauge());
  SessionContext sctx{cfg.smtp,     tls ? &*tls : nullptr, directory, mta, rt.blocking(), msa_metrics, sessions,
                      budget,       &throttle};

  std::vector<std::unique_ptr<net::Server>> servers;
  auto add_listener = [&](Listener l, const ListenAddress& a) {
    if (!a.enabled()) return;
    net::ServerOptions o;
    o.name = "smtp-" + std::string(listener_name(l));
    o.address = a.host;
    o.port = a.port;
    o.max_connections = cfg.max_connections;
    net::apply(client_limits, o);  // net.*: per-client cap, handshake and stress timeouts, PROXY v2
    o.timeout = cfg.smtp.command_timeout;
    if (l == Listener::kSubmissions) {
      if (!tls) throw common::ConfigError("smtp.submissions_listen needs tls.cert and tls.key");
      o.implicit_tls = &*tls;
    } else {
      o.overload_handler = [&msa_metrics, l, host = cfg.smtp.hostname](net::Connection& c) -> net::awaitable<void> {
        msa_metrics.overload(l);
        std::string bye = "421 4.7.0 " + host + " Too many connections, try again later\r\n";
        co_await c.write(bye);
      };
      // As Postfix says it when one address holds too many connections.
      o.client_limit_handler = [host = cfg.smtp.hostname](net::Connection& c) -> net::awaitable<void> {
        std::string bye = "421 4.7.0 " + host + " Error: too many connections from " + c.peer_ip() + "\r\n";
        co_await c.write(bye);
      };
    }
    auto handler = [&sctx, l](net::Connection& c) -> net::awaitable<void> {
      auto session = std::make_shared<Session>(c, l, sctx);
      co_await session->run();
    };
    servers.push_back(std::make_unique<net::Server>(rt.io(), std::move(o), std::move(handler)));
  };
  add_listener(Listener::kMx, cfg.mx_listen);
  add_listener(Listener::kSubmission, cfg.submission_listen);
  add_listener(Listener::kSubmissions, cfg.submissions_listen);
  for (auto& s : servers) s->start();

  // Ready while both gRPC channels can be used (not in TRANSIENT_FAILURE).
  proc.set_ready([&] { return directory.ready() && mta.ready(); });
  proc.on_stop([&]() -> net::awaitable<void> {
    log::info("draining", {{"sessions", sessions.size()}});
    co_await net::drain_and_stop(sessions, servers, cfg.shutdown_grace);
  });
  log::info("smtp listening",
            {{"hostname", cfg.smtp.hostname},
             {"mx", cfg.mx_listen.enabled() ? std::to_string(cfg.mx_listen.port) : "off"},
             {"submission", cfg.submission_listen.enabled() ? std::to_string(cfg.submission_listen.port) : "off"},
             {"submissions", cfg.submissions_listen.enabled() ? std::to_string(cfg.submissions_listen.port) : "off"},
             {"mta", cfg.mta_address},
             {"directory", cfg.directory.address}});
  // When run() returns, the Runtime has ended every session (those that did
  // not finish in time included), so the objects above may go in any order.
  return proc.run();
}

}  // namespace
}  // namespace mail::msa

int main(int argc, char** argv) {
  return mail::service::guarded_main("msa", [&] {
    mail::service::Process proc("msa", argc, argv, "127.0.0.1:9101");
    return mail::msa::run(proc);
  });
}
