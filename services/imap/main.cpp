// SPDX-License-Identifier: Apache-2.0
// mail-imap: the IMAP4rev1 front end of the mailbox store (RFC 3501 with
// STARTTLS, AUTHENTICATE PLAIN/LOGIN + SASL-IR, LITERAL+, ID, ENABLE,
// NAMESPACE, mailboxes and SELECT so far). This file only wires things
// together: config, the PostgreSQL pool and the store, the Directory client,
// the shared failed-login throttle, TLS and the listeners; the protocol
// lives in session*.cpp.
// Usage: mail-imap --config FILE. SIGTERM/SIGINT: stop accepting, finish
// the command in progress, say BYE [UNAVAILABLE], exit 0. The lifecycle
// (config, logging, /metrics /healthz /readyz, signals) is service::Process.
#include <memory>
#include <optional>
#include <vector>

#include "imap_metrics.h"
#include "mail/common/log.h"
#include "mail/directory/client/grpc_directory_client.h"
#include "mail/directory/login_throttle.h"
#include "mail/net/client_limits.h"
#include "mail/net/runtime.h"
#include "mail/net/server.h"
#include "mail/net/session.h"
#include "mail/net/tls.h"
#include "mail/pg/pool.h"
#include "mail/pubsub/pubsub.h"
#include "mail/store/notice.h"
#include "mailbox_watch.h"
#include "mail/rpc/channel.h"
#include "mail/service/process.h"
#include "pg_store.h"
#include "session.h"
#include "settings.h"

namespace mail::imapd {
namespace {

int run(service::Process& proc) {
  const Settings s = load_settings(proc.config());
  net::Runtime& rt = proc.runtime(s.io_threads, s.blocking_threads);
  const net::ClientLimits client_limits = net::load_client_limits(proc.config());
  pg::Pool pool(s.db_url, s.db_pool_size, s.db_acquire_timeout);
  PgMailStore store(pool);
  directory::GrpcDirectoryClient directory(
      rpc::make_channel(s.directory.address, s.token, s.directory_tls), s.directory.options);
  directory::ChangeSubscriber notices(s.notices, [&directory](const directory::ChangeNotice& n) { directory.apply(n); });
  notices.start();
  ImapMetrics metrics(proc.metrics(), {"imap", "imaps"});
  std::optional<net::asio::ssl::context> tls;
  if (!s.tls_cert.empty()) tls.emplace(net::make_server_tls_context(s.tls_cert, s.tls_key));
  directory::LoginThrottle throttle(directory::load_throttle_config(proc.config()), proc.metrics(), "imap");

  // One subscription per process to the mailbox notices of every replica
  // and the mda, fanned out to the sessions watching each mailbox.
  MailboxWatch watch;
  pubsub::Subscriber mailbox_notices(
      pubsub::endpoint_from_config(proc.config(), "store.notice_channel", std::string(store::kMailboxNoticeChannel)),
      [&watch, &metrics](std::string_view payload) {
        metrics.notice();
        watch.on_payload(payload);
      },
      [&watch] { watch.wake_all(); });
  mailbox_notices.start();

  UserIpLimit userip(s.max_userip_connections);
  // This process's own changes, announced to the other replicas' sessions.
  struct RedisNotifier final : MailboxNotifier {
    explicit RedisNotifier(pubsub::Endpoint e) : publisher(std::move(e)) {}
    void publish(const store::MailboxNotice& n) override { publisher.publish(store::format_mailbox_notice(n)); }
    pubsub::Publisher publisher;
  } notifier(pubsub::endpoint_from_config(proc.config(), "store.notice_channel",
                                          std::string(store::kMailboxNoticeChannel)));
  net::SessionRegistry sessions;
  SessionDeps deps{&s.session, &rt.blocking(), &directory, &store, &metrics, tls ? &*tls : nullptr, &sessions,
                   &throttle, &watch, &userip, notifier.publisher.enabled() ? &notifier : nullptr};
  std::vector<std::unique_ptr<net::Server>> servers;
  auto add = [&](const common::HostPort& at, const std::string& name, bool implicit_tls) {
    // net.*: per-client cap, handshake and stress timeouts, PROXY v2.
    net::ServerOptions o = net::listener_options(
        name, at.host, at.port, s.max_connections, client_limits, implicit_tls ? &*tls : nullptr,
        "* BYE [UNAVAILABLE] Too many connections, try again later\r\n", [&metrics, name] { metrics.overload(name); });
    o.timeout = std::chrono::seconds(30);  // implicit TLS handshake; the session sets its own
    servers.push_back(std::make_unique<net::Server>(
        rt.io(), o, [&deps, name](net::Connection& c) { return run_session(deps, c, name); }));
  };
  if (s.listen) add(*s.listen, "imap", false);
  if (s.imaps_listen) add(*s.imaps_listen, "imaps", true);
  for (auto& srv : servers) srv->start();

  proc.set_ready([&] { return pool.ping() && directory.ready(); });
  proc.on_stop([&]() -> net::awaitable<void> {
    log::info("draining", {{"sessions", sessions.size()}});
    co_await net::drain_and_stop(sessions, servers, s.shutdown_grace);
  });
  log::info("imap listening", {{"hostname", s.session.hostname},
                               {"imap", s.listen ? s.listen->port : 0},
                               {"imaps", s.imaps_listen ? s.imaps_listen->port : 0},
                               {"starttls", tls ? "yes" : "no"},
                               {"plaintext_auth", s.session.allow_plaintext_auth ? "yes" : "no"}});
  return proc.run();
}

}  // namespace
}  // namespace mail::imapd

int main(int argc, char** argv) {
  return mail::service::guarded_main("imap", [&] {
    mail::service::Process proc("imap", argc, argv, "127.0.0.1:9104");
    return mail::imapd::run(proc);
  });
}
