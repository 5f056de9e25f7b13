// SPDX-License-Identifier: Apache-2.0
// server.cpp: accept loop, the listener and per-client caps, the PROXY
// header and TLS handshake phase, stress, per-session strands, and the
// orderly stop. The accept loop and the acceptor live on one strand; each
// session on its own. Counters shared between them are atomics; the table of
// live connections (used only to close them at stop), the per-client counts
// and the stress update are under one mutex.
#include "mail/net/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <variant>
#include <vector>

#include "mail/common/log.h"
#include "mail/net/proxy_protocol.h"
#include "mail/net/session.h"

namespace mail::net {

namespace {

// Refusals are logged at most every 10 s, with a count, so a flood of
// connections cannot flood the log too.
struct RefusalLog {
  std::atomic<int64_t> last{0};
  std::atomic<uint64_t> count{0};
  // True when this refusal should be logged; `refused` gets the count since the last one.
  bool due(uint64_t& refused) {
    ++count;
    int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    int64_t prev = last.load();
    if (now - prev < 10 || !last.compare_exchange_strong(prev, now)) return false;
    refused = count.exchange(0);
    return true;
  }
};

// Sessions at or above which the server is under stress; 0: never.
size_t stress_count(const ServerOptions& o) {
  if (!(o.stress_threshold > 0.0 && o.stress_threshold <= 1.0)) return 0;
  return std::max<size_t>(1, static_cast<size_t>(std::ceil(o.stress_threshold * static_cast<double>(o.max_connections))));
}

}  // namespace

struct Server::State : std::enable_shared_from_this<State> {
  State(asio::io_context& io_, ServerOptions o, Handler h)
      : io(io_),
        opts(std::move(o)),
        handler(std::move(h)),
        accept_strand(asio::make_strand(io_)),
        acceptor(accept_strand),
        stress(std::make_shared<Stress>(opts.stress_timeout)),
        stress_at(stress_count(opts)) {}

  asio::io_context& io;
  const ServerOptions opts;
  const Handler handler;
  Executor accept_strand;
  asio::ip::tcp::acceptor acceptor;  // used only on accept_strand
  const std::shared_ptr<Stress> stress;
  const size_t stress_at;

  std::atomic<uint16_t> port{0};
  std::atomic<size_t> active{0};
  std::atomic<size_t> handshaking{0};
  std::atomic<size_t> overload_active{0};
  std::atomic<bool> accepting{false};
  std::atomic<bool> stopping{false};

  std::mutex mu;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> live;
  std::unordered_map<std::string, size_t> per_client;  // peer_ip -> sessions counted

  RefusalLog listener_refusals, client_refusals;

  void note_refusal(const std::string& peer, bool answered) {
    uint64_t n = 0;
    if (!listener_refusals.due(n)) return;
    log::warn("connection limit reached", {{"server", opts.name},
                                           {"limit", opts.max_connections},
                                           {"refused", n},
                                           {"last_peer", peer},
                                           {"answered", answered ? "yes" : "no"}});
  }
  void note_client_refusal(const std::string& peer, bool answered) {
    uint64_t n = 0;
    if (!client_refusals.due(n)) return;
    log::warn("client connection limit reached", {{"server", opts.name},
                                                  {"limit", opts.max_connections_per_client},
                                                  {"refused", n},
                                                  {"last_peer", peer},
                                                  {"answered", answered ? "yes" : "no"}});
  }

  size_t overload_cap() const { return std::max<size_t>(16, opts.max_connections / 10); }

  // After every change of `active`: under the lock, so the last update
  // always reads the latest count.
  void update_stress() {
    if (stress_at == 0) return;
    std::lock_guard lock(mu);
    stress->set(active.load() >= stress_at);
  }
  void release_slot() {
    --active;
    update_stress();
  }

  // Counts `client` unless exempt; false when it is at the cap.
  bool count_client(const std::string& client, bool& counted) {
    counted = false;
    if (opts.max_connections_per_client == 0 || opts.client_limit_exceptions.contains(client)) return true;
    std::lock_guard lock(mu);
    size_t& n = per_client[client];
    if (n >= opts.max_connections_per_client) {
      if (n == 0) per_client.erase(client);
      return false;
    }
    ++n;
    counted = true;
    return true;
  }
  void uncount_client(const std::string& client) {
    std::lock_guard lock(mu);
    auto it = per_client.find(client);
    if (it != per_client.end() && --it->second == 0) per_client.erase(it);
  }

  void close_acceptor() {
    asio::dispatch(accept_strand, [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acceptor.close(ec);
    });
  }
};

namespace {

using StatePtr = std::shared_ptr<Server::State>;

// Reads the PROXY v2 header with exact-size reads (nothing after it is taken
// from the socket) and applies the client's address. False: close.
awaitable<bool> read_proxy_header(Server::State& s, Connection& c) {
  const Duration saved = c.timeout();
  c.set_timeout(s.opts.proxy_header_timeout);
  bool ok = false;
  for (;;) {
    auto r = proxy::parse_v2(c.buffered());
    if (auto* e = std::get_if<proxy::Error>(&r)) {
      log::debug("bad proxy header", {{"server", s.opts.name}, {"peer", c.peer_ip()}, {"error", proxy::to_string(*e)}});
      break;
    }
    if (auto* h = std::get_if<proxy::Header>(&r)) {
      c.consume(h->length);
      if (h->has_source) c.set_peer(h->source_ip, h->source_port);
      ok = true;
      break;
    }
    const size_t total = std::get<proxy::NeedMore>(r).total;
    Status st = co_await c.fill(total - c.buffered().size());
    if (st != Status::ok) {
      log::debug("no proxy header", {{"server", s.opts.name}, {"peer", c.peer_ip()}, {"status", to_string(st)}});
      break;
    }
  }
  c.set_timeout(saved);
  co_return ok;
}

void forget(Server::State& s, uint64_t id) {
  std::lock_guard lock(s.mu);
  s.live.erase(id);
}

// A refusal: the overload or client-limit handler under its own bounds.
awaitable<void> run_refusal(StatePtr s, std::shared_ptr<Connection> c, const Handler& h) {
  try {
    c->set_timeout(std::chrono::seconds(10));
    co_await h(*c);
  } catch (const std::exception& e) {
    log::error("overload handler failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}, {"error", e.what()}});
  }
}

awaitable<void> run_overload(StatePtr s, std::shared_ptr<Connection> c, uint64_t id) {
  co_await run_refusal(s, c, s->opts.overload_handler);
  c->close();
  forget(*s, id);
  --s->overload_active;
}

// Steps 2 to 4 of the file comment in server.h, then the handler.
awaitable<void> run_session(StatePtr s, std::shared_ptr<Connection> c, uint64_t id) {
  bool counted = false;
  std::string client;
  bool in_handshake = false;
  auto handshake = [&](bool on) {
    if (in_handshake == on) return;
    in_handshake = on;
    if (on)
      ++s->handshaking;
    else
      --s->handshaking;
    if (s->opts.on_handshaking) s->opts.on_handshaking(on ? 1 : -1);
  };
  const bool proxied = s->opts.proxy_protocol_from.contains(c->peer_ip());
  if (proxied || s->opts.implicit_tls) handshake(true);
  try {
    bool go = true;
    if (proxied) go = co_await read_proxy_header(*s, *c);
    client = c->peer_ip();
    if (go && !s->count_client(client, counted)) {
      go = false;
      const Handler& h = s->opts.client_limit_handler ? s->opts.client_limit_handler : s->opts.overload_handler;
      const bool answer = h && !s->opts.implicit_tls && s->overload_active.load() < s->overload_cap();
      s->note_client_refusal(client, answer);
      handshake(false);
      if (answer) {
        // The refusal holds an overload slot, not a session slot.
        ++s->overload_active;
        s->release_slot();
        co_await run_refusal(s, c, h);
        c->close();
        forget(*s, id);
        --s->overload_active;
        co_return;
      }
    }
    if (go && s->opts.implicit_tls) {
      const Duration saved = c->timeout();
      c->set_timeout(s->opts.tls_handshake_timeout);
      go = co_await c->start_tls(*s->opts.implicit_tls);
      c->set_timeout(saved);
      if (!go) log::debug("tls handshake failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}});
    }
    handshake(false);
    if (go) co_await s->handler(*c);
  } catch (const std::exception& e) {
    log::error("session handler failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}, {"error", e.what()}});
  } catch (...) {
    log::error("session handler failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}, {"error", "unknown"}});
  }
  handshake(false);
  c->close();
  if (counted) s->uncount_client(client);
  forget(*s, id);
  s->release_slot();
}

void launch(const StatePtr& s, asio::ip::tcp::socket socket) {
  auto c = Connection::create(std::move(socket));
  c->set_timeout(s->opts.timeout);
  c->set_max_buffer(s->opts.max_buffer);
  c->set_stress(s->stress);
  bool overload = false;
  if (s->active.load() < s->opts.max_connections) {
    ++s->active;
    s->update_stress();
  } else if (s->opts.overload_handler && !s->opts.implicit_tls && s->overload_active.load() < s->overload_cap()) {
    overload = true;
    ++s->overload_active;
    s->note_refusal(c->peer_ip(), true);
  } else {
    s->note_refusal(c->peer_ip(), false);
    c->close();
    return;
  }
  uint64_t id = 0;
  {
    std::lock_guard lock(s->mu);
    id = ++s->next_id;
    s->live.emplace(id, c);
  }
  Executor ex = c->get_executor();
  auto done = [name = s->opts.name](std::exception_ptr e) {
    if (e) log::error("session ended by an exception", {{"server", name}});
  };
  if (overload)
    asio::co_spawn(ex, run_overload(s, std::move(c), id), done);
  else
    asio::co_spawn(ex, run_session(s, std::move(c), id), done);
}

awaitable<void> accept_loop(StatePtr s) {
  asio::steady_timer pause(s->accept_strand);
  while (!s->stopping) {
    boost::system::error_code ec;
    Executor session_strand = asio::make_strand(s->io);
    asio::ip::tcp::socket socket =
        co_await s->acceptor.async_accept(session_strand, asio::redirect_error(use_awaitable, ec));
    if (s->stopping || !s->acceptor.is_open()) break;
    if (ec) {
      // Typically EMFILE/ENFILE: pause instead of spinning on the error.
      log::warn("accept failed", {{"server", s->opts.name}, {"error", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    launch(s, std::move(socket));
  }
  s->accepting = false;
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, Handler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

Server::~Server() {
  state_->stopping = true;
  state_->close_acceptor();
}

void Server::start() {
  auto& s = *state_;
  asio::ip::tcp::endpoint ep(asio::ip::make_address(s.opts.address), s.opts.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(asio::socket_base::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(asio::socket_base::max_listen_connections);
  s.port = s.acceptor.local_endpoint().port();
  s.accepting = true;
  log::info("listening", {{"server", s.opts.name}, {"address", s.opts.address}, {"port", s.port.load()}});
  asio::co_spawn(s.accept_strand, accept_loop(state_), [name = s.opts.name](std::exception_ptr e) {
    if (e) log::error("accept loop ended by an exception", {{"server", name}});
  });
}

uint16_t Server::port() const { return state_->port.load(); }

size_t Server::active() const { return state_->active.load(); }

size_t Server::handshaking() const { return state_->handshaking.load(); }

bool Server::under_stress() const { return state_->stress->on(); }

void Server::stop_accepting() {
  state_->stopping = true;
  state_->close_acceptor();
}

awaitable<void> Server::stop(Duration grace) {
  StatePtr s = state_;
  s->stopping = true;
  s->close_acceptor();

  asio::steady_timer tick(co_await asio::this_coro::executor);
  auto wait_until = [&](std::chrono::steady_clock::time_point deadline) -> awaitable<bool> {
    while (s->active.load() > 0 || s->overload_active.load() > 0 || s->accepting.load()) {
      if (std::chrono::steady_clock::now() >= deadline) co_return false;
      tick.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await tick.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    co_return true;
  };

  const bool drained = co_await wait_until(std::chrono::steady_clock::now() + grace);
  if (drained) co_return;

  std::vector<std::shared_ptr<Connection>> left;
  {
    std::lock_guard lock(s->mu);
    for (auto& [id, weak] : s->live)
      if (auto c = weak.lock()) left.push_back(std::move(c));
  }
  log::info("closing sessions still running after the grace period",
            {{"server", s->opts.name}, {"sessions", left.size()}});
  for (auto& c : left) asio::dispatch(c->get_executor(), [c] { c->close(); });
  left.clear();

  const bool ended = co_await wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  if (!ended)
    log::warn("sessions did not end after close", {{"server", s->opts.name}, {"sessions", s->active.load()}});
}

awaitable<void> drain_and_stop(SessionRegistry& sessions, const std::vector<std::unique_ptr<Server>>& servers,
                               Duration grace) {
  sessions.drain();
  for (const auto& server : servers) server->stop_accepting();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (const auto& server : servers) {
    const auto left = std::max<Duration>(Duration::zero(), deadline - std::chrono::steady_clock::now());
    co_await server->stop(left);
  }
}

}  // namespace mail::net
