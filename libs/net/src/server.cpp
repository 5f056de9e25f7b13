// SPDX-License-Identifier: Apache-2.0
// server.cpp: accept loop, connection limit, per-session strands, and the
// orderly stop. The accept loop and the acceptor live on one strand; each
// session on its own. Counters shared between them are atomics; the table of
// live connections (used only to close them at stop) is under a mutex.
#include "mail/net/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "mail/common/log.h"

namespace mail::net {

struct Server::State : std::enable_shared_from_this<State> {
  State(asio::io_context& io_, ServerOptions o, Handler h)
      : io(io_),
        opts(std::move(o)),
        handler(std::move(h)),
        accept_strand(asio::make_strand(io_)),
        acceptor(accept_strand) {}

  asio::io_context& io;
  const ServerOptions opts;
  const Handler handler;
  Executor accept_strand;
  asio::ip::tcp::acceptor acceptor;  // used only on accept_strand

  std::atomic<uint16_t> port{0};
  std::atomic<size_t> active{0};
  std::atomic<size_t> overload_active{0};
  std::atomic<bool> accepting{false};
  std::atomic<bool> stopping{false};

  std::mutex mu;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> live;

  // Refusals are logged at most every 10 s, with a count, so a flood of
  // connections cannot flood the log too.
  std::atomic<int64_t> last_refusal_log{0};
  std::atomic<uint64_t> refused{0};
  void note_refusal(const std::string& peer, bool answered) {
    ++refused;
    int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    int64_t last = last_refusal_log.load();
    if (now - last < 10 || !last_refusal_log.compare_exchange_strong(last, now)) return;
    log::warn("connection limit reached", {{"server", opts.name},
                                           {"limit", opts.max_connections},
                                           {"refused", refused.exchange(0)},
                                           {"last_peer", peer},
                                           {"answered", answered ? "yes" : "no"}});
  }

  size_t overload_cap() const { return std::max<size_t>(16, opts.max_connections / 10); }

  void close_acceptor() {
    asio::dispatch(accept_strand, [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acceptor.close(ec);
    });
  }
};

namespace {

using StatePtr = std::shared_ptr<Server::State>;

awaitable<void> run_session(StatePtr s, std::shared_ptr<Connection> c, uint64_t id, bool overload) {
  try {
    if (overload) {
      c->set_timeout(std::chrono::seconds(10));
      co_await s->opts.overload_handler(*c);
    } else if (s->opts.implicit_tls && !co_await c->start_tls(*s->opts.implicit_tls)) {
      log::debug("tls handshake failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}});
    } else {
      co_await s->handler(*c);
    }
  } catch (const std::exception& e) {
    log::error("session handler failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}, {"error", e.what()}});
  } catch (...) {
    log::error("session handler failed", {{"server", s->opts.name}, {"peer", c->peer_ip()}, {"error", "unknown"}});
  }
  c->close();
  {
    std::lock_guard lock(s->mu);
    s->live.erase(id);
  }
  if (overload)
    --s->overload_active;
  else
    --s->active;
}

void launch(const StatePtr& s, asio::ip::tcp::socket socket) {
  auto c = Connection::create(std::move(socket));
  c->set_timeout(s->opts.timeout);
  c->set_max_buffer(s->opts.max_buffer);
  bool overload = false;
  if (s->active.load() < s->opts.max_connections) {
    ++s->active;
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
  asio::co_spawn(ex, run_session(s, std::move(c), id, overload), [name = s->opts.name](std::exception_ptr e) {
    if (e) log::error("session ended by an exception", {{"server", name}});
  });
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

  if (co_await wait_until(std::chrono::steady_clock::now() + grace)) co_return;

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

}  // namespace mail::net
