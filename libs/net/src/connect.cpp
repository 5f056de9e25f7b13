// SPDX-License-Identifier: Apache-2.0
// connect.cpp: outbound connections. Resolves (unless given an address),
// opens a socket per candidate address, binds the source address first when
// one is asked for, and connects with one deadline for the whole attempt; a
// steady_timer cancels whatever is pending when it expires. TLS is the
// Connection's own client-side handshake; this file only turns its outcome
// into TlsInfo or an Error. Trusts nothing from the network; every failure
// comes back as a common::Error naming the peer.
#include "mail/net/connect.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>
#include <type_traits>
#include <vector>

namespace mail::net {
namespace {

using common::Error;
using common::ErrorCode;
using std::chrono::steady_clock;
using tcp = asio::ip::tcp;

// One pending operation (resolve or connect) and the timer that may cancel
// it. Shared with the timer's handler, which can run after the coroutine
// has moved on: `done` tells it the operation is over and must be left alone.
template <class IoObject>
struct Pending {
  explicit Pending(IoObject object) : io(std::move(object)) {}
  IoObject io;
  bool done = false;
  bool timed_out = false;
};

template <class IoObject>
void arm(asio::steady_timer& timer, steady_clock::time_point at, const std::shared_ptr<Pending<IoObject>>& p) {
  timer.expires_at(at);
  timer.async_wait([p](const boost::system::error_code& ec) {
    if (ec || p->done) return;
    p->timed_out = true;
    if constexpr (std::is_same_v<IoObject, tcp::socket>) {
      boost::system::error_code ignored;
      p->io.cancel(ignored);
    } else {
      p->io.cancel();
    }
  });
}

std::string endpoint_text(const tcp::endpoint& e) {
  std::string ip = address_text(e.address());
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(e.port());
}

// An IP literal, with or without the brackets of "[2001:db8::1]".
bool parse_ip(std::string_view text, asio::ip::address& out) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  boost::system::error_code ec;
  out = asio::ip::make_address(std::string(text), ec);
  return !ec;
}

awaitable<common::Result<std::vector<tcp::endpoint>>> resolve(const ConnectOptions& o, steady_clock::time_point until) {
  std::vector<tcp::endpoint> targets;
  asio::ip::address ip;
  if (parse_ip(o.host, ip)) {
    targets.emplace_back(ip, o.port);
    co_return targets;
  }
  if (o.host.empty() || o.host.size() > 253) co_return Error{ErrorCode::invalid_argument, "connect: bad host name"};
  auto ex = co_await asio::this_coro::executor;
  auto p = std::make_shared<Pending<tcp::resolver>>(tcp::resolver(ex));
  asio::steady_timer timer(ex);
  arm(timer, until, p);
  boost::system::error_code ec;
  auto results = co_await p->io.async_resolve(o.host, std::to_string(o.port), asio::redirect_error(use_awaitable, ec));
  p->done = true;
  timer.cancel();
  if (p->timed_out) co_return Error{ErrorCode::unavailable, "resolve " + o.host + ": timed out"};
  if (ec) co_return Error{ErrorCode::unavailable, "resolve " + o.host + ": " + ec.message()};
  for (const auto& r : results) targets.push_back(r.endpoint());
  if (targets.empty()) co_return Error{ErrorCode::unavailable, "resolve " + o.host + ": no addresses"};
  co_return targets;
}

// One connect attempt; the socket on success, otherwise why not.
awaitable<common::Result<tcp::socket>> try_connect(const tcp::endpoint& target, const asio::ip::address* source,
                                                   steady_clock::time_point until) {
  auto ex = co_await asio::this_coro::executor;
  const std::string where = "connect to " + endpoint_text(target);
  auto p = std::make_shared<Pending<tcp::socket>>(tcp::socket(ex));
  boost::system::error_code ec;
  p->io.open(target.protocol(), ec);
  if (ec) co_return Error{ErrorCode::unavailable, where + ": " + ec.message()};
  if (source) {
#ifdef IP_BIND_ADDRESS_NO_PORT
    // Let connect() pick the port, so that many connections from one source
    // address do not run out of ephemeral ports at bind() time.
    if (target.address().is_v4()) {
      int on = 1;
      ::setsockopt(p->io.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    }
#endif
    p->io.bind(tcp::endpoint(*source, 0), ec);
    if (ec) co_return Error{ErrorCode::unavailable, where + ": cannot bind " + address_text(*source) + ": " + ec.message()};
  }
  asio::steady_timer timer(ex);
  arm(timer, until, p);
  co_await p->io.async_connect(target, asio::redirect_error(use_awaitable, ec));
  p->done = true;
  timer.cancel();
  if (p->timed_out) co_return Error{ErrorCode::unavailable, where + ": timed out"};
  if (ec) co_return Error{ErrorCode::unavailable, where + ": " + ec.message()};
  co_return std::move(p->io);
}

}  // namespace

TlsInfo tls_info(Connection& c) {
  TlsInfo info;
  SSL* ssl = c.tls_native_handle();
  if (!c.tls() || !ssl) return info;
  info.protocol = c.tls_protocol();
  info.cipher = c.tls_cipher();
  info.cipher_bits = c.tls_cipher_bits();
  X509* peer = SSL_get0_peer_certificate(ssl);
  const long result = SSL_get_verify_result(ssl);
  if (!peer) {
    info.verify_error = "no peer certificate";
  } else if (result != X509_V_OK) {
    info.verify_error = X509_verify_cert_error_string(result);
  } else {
    info.verified = true;
  }
  if (peer) {
    char buf[512];
    if (X509_NAME_oneline(X509_get_subject_name(peer), buf, sizeof buf)) info.peer_subject = buf;
  }
  return info;
}

awaitable<common::Result<TlsInfo>> start_tls(Connection& c, asio::ssl::context& ctx, std::string server_name) {
  if (!server_name.empty() && server_name.back() == '.') server_name.pop_back();  // "mx.example." as in DNS
  if (server_name.size() > 2 && server_name.front() == '[' && server_name.back() == ']')
    server_name = server_name.substr(1, server_name.size() - 2);  // "[2001:db8::1]"
  const std::string peer = server_name.empty() ? c.peer_ip() : server_name + " [" + c.peer_ip() + "]";
  if (c.tls()) co_return Error{ErrorCode::failed_precondition, "TLS with " + peer + ": already active"};
  ERR_clear_error();
  const bool ok = co_await c.start_tls_client(ctx, server_name);
  if (ok) co_return tls_info(c);
  // Read OpenSSL's reason at once: the handshake failed on this thread and
  // nothing has run since.
  std::string reason = openssl_error_text("handshake failed or timed out");
  SSL* ssl = c.tls_native_handle();
  c.close();
  if (ssl && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) {
    const long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK)
      co_return Error{ErrorCode::failed_precondition,
                      "TLS with " + peer + ": certificate verification failed: " + X509_verify_cert_error_string(result)};
  }
  co_return Error{ErrorCode::unavailable, "TLS with " + peer + ": " + reason};
}

awaitable<common::Result<std::shared_ptr<Connection>>> connect(const ConnectOptions& options) {
  const ConnectOptions o = options;  // the caller's may not outlive a suspension
  const steady_clock::time_point until = std::min(o.deadline, steady_clock::now() + o.connect_timeout);
  if (o.port == 0) co_return Error{ErrorCode::invalid_argument, "connect to " + o.host + ": port 0"};
  asio::ip::address source;
  const bool has_source = !o.source_address.empty();
  if (has_source && !parse_ip(o.source_address, source))
    co_return Error{ErrorCode::invalid_argument, "connect: bad source address " + o.source_address};

  auto targets = co_await resolve(o, until);
  if (!targets) co_return targets.error();

  std::optional<Error> last;
  for (const auto& target : *targets) {
    if (has_source && target.address().is_v4() != source.is_v4()) {
      if (!last) last = Error{ErrorCode::unavailable, "connect to " + endpoint_text(target) + ": address family differs from source " + o.source_address};
      continue;
    }
    const asio::ip::address* from = has_source ? &source : nullptr;
    auto socket = co_await try_connect(target, from, until);
    if (!socket) {
      last = socket.error();
      if (steady_clock::now() >= until) break;
      continue;
    }
    auto c = Connection::create(std::move(*socket));
    c->set_timeout(o.io_timeout);
    c->set_deadline(o.deadline);
    c->set_max_buffer(o.max_buffer);
    if (o.implicit_tls) {
      const std::string& name = o.server_name.empty() ? o.host : o.server_name;
      auto tls = co_await start_tls(*c, *o.implicit_tls, name);
      if (!tls) co_return tls.error();
    }
    co_return c;
  }
  co_return last.value_or(Error{ErrorCode::unavailable, "connect to " + o.host + ": no usable address"});
}

}  // namespace mail::net
