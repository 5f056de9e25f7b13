// SPDX-License-Identifier: Apache-2.0
// server.h: a TCP listener that runs one handler coroutine per client
// connection, each on its own strand. Used for SMTP (25/587/465), POP3
// (110/995) and IMAP (143/993).
//
// Before the handler runs, a connection goes through, in this order:
//   1. the listener cap: beyond max_connections it goes to overload_handler
//      (or is closed);
//   2. from an address in proxy_protocol_from: a PROXY v2 header, read with
//      its own short deadline, names the real client (Connection::set_peer);
//      a missing or invalid header closes the connection;
//   3. the per-client cap: a client (the real one, after step 2) with
//      max_connections_per_client sessions already goes to
//      client_limit_handler (or overload_handler, or is closed), unless its
//      address is in client_limit_exceptions;
//   4. with implicit TLS, the handshake, bounded by tls_handshake_timeout.
// Steps 2 to 4 are "handshaking": the connection holds its slots and shows
// in handshaking() as well as active().
//
// Stress: while active() >= stress_threshold * max_connections, every
// connection's reads and writes that start get at most stress_timeout (see
// Stress in connection.h), as Postfix shortens smtpd_timeout under stress.
//
// Trusts: nobody on the network; a PROXY header only from
// proxy_protocol_from. An exception escaping a handler is logged and ends
// only that session; accept errors (e.g. out of file descriptors) are
// logged and retried after a short pause.
//
// Diagnostics: refusals at either cap are logged at most every 10 s with a
// count; a failed PROXY header or TLS handshake is logged at debug level.
//
// Lifetime: the Server's state is shared with its sessions, so destroying the
// Server object while sessions still run is safe, but stop() first is the
// orderly way: it stops accepting, lets sessions finish for a grace period,
// then closes what is left and waits (bounded) for the handlers to return.
#pragma once
#include "mail/net/asio.h"
#include "mail/net/cidr.h"
#include "mail/net/connection.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mail::net {

/// The per-connection protocol session. The Connection stays valid until the
/// returned coroutine completes; the Server closes it afterwards.
using Handler = std::function<awaitable<void>(Connection&)>;

struct ServerOptions {
  std::string name = "server";      ///< for logs ("smtp-587")
  std::string address = "0.0.0.0";  ///< "::" listens dual-stack where the OS allows
  uint16_t port = 0;                ///< 0: the OS picks one; read it back with port()
  /// Non-null: implicit TLS (465, 993, 995); the handshake happens before the
  /// handler runs, and a failed handshake closes the connection silently.
  /// Must outlive the Server.
  asio::ssl::context* implicit_tls = nullptr;
  /// Connections held at once, handshaking ones included. Beyond it the
  /// connection goes to overload_handler, or is closed at once when there is
  /// none.
  size_t max_connections = 1000;
  /// Run instead of `handler` for connections over max_connections, e.g. to
  /// write "421 4.7.0 Too many connections" or "-ERR [SYS/TEMP] busy" and
  /// return. It gets a 10 s timeout; at most max(16, max_connections / 10)
  /// refusals (of either cap) run at once (more are closed without a word).
  /// Not used with implicit_tls: an overloaded server does not spend
  /// handshakes on refusals.
  Handler overload_handler;
  Duration timeout =
      Connection::kDefaultTimeout;  ///< initial Connection::timeout()
  size_t max_buffer = Connection::kDefaultMaxBuffer;  ///< initial Connection::max_buffer()

  // ---- per-client cap (Postfix smtpd_client_connection_count_limit) ------
  /// Connections one client address may hold at once; 0: no cap. Postfix's
  /// default is 50 (half its default process limit). Counted per address
  /// (an IPv6 client owns a /64 and could spread; a later refinement).
  size_t max_connections_per_client = 50;
  /// Clients exempt from the per-client cap (Postfix
  /// smtpd_client_event_limit_exceptions), e.g. a monitoring network or
  /// 127.0.0.0/8 for benchmarks. They still count toward max_connections.
  NetworkList client_limit_exceptions;
  /// Run for connections over the per-client cap, with the same timeout and
  /// limits as overload_handler; e.g. SMTP says "421 4.7.0 <host> Error: too
  /// many connections from <ip>" (Postfix's text) using Connection::peer_ip().
  /// Empty: overload_handler is used. Not used with implicit_tls.
  Handler client_limit_handler;

  // ---- handshakes ---------------------------------------------------------
  /// Bound of the implicit TLS handshake (a client that never sends its
  /// ClientHello holds a slot only this long), separate from `timeout`.
  Duration tls_handshake_timeout = std::chrono::seconds(10);
  /// Load balancers trusted to send a PROXY protocol v2 header first. A
  /// connection from one of these must start with a valid header (else it is
  /// closed); one from anywhere else is never asked for one.
  NetworkList proxy_protocol_from;
  /// Bound of reading the PROXY header.
  Duration proxy_header_timeout = std::chrono::seconds(5);
  /// Called on the connection's strand with +1 when a connection starts
  /// handshaking and -1 when it stops (see the file comment), e.g. to keep a
  /// gauge of connections that hold slots but have no session yet. Must be
  /// cheap and thread-safe.
  std::function<void(int)> on_handshaking;

  // ---- stress (Postfix's stress-dependent smtpd_timeout) ------------------
  /// Fraction of max_connections at and above which the server is under
  /// stress; 0 (or anything outside (0, 1]) disables it.
  double stress_threshold = 0.8;
  /// The most any read or write may wait while under stress (Postfix: 10 s
  /// instead of smtpd_timeout's 300 s).
  Duration stress_timeout = std::chrono::seconds(10);
};

class Server {
 public:
  /// Nothing happens until start(). `handler` must not be empty.
  Server(asio::io_context& io, ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Bind and listen now, so a bad address or a port in use surfaces at
  /// start-up (boost::system::system_error, a std::runtime_error); then
  /// accept in the background on `io`. Call once.
  void start();

  /// The bound port (useful with port 0); 0 before start().
  uint16_t port() const;

  /// Connections holding a slot: running their handler or still
  /// handshaking (not counting refusals being answered).
  size_t active() const;
  /// Of active(), those not in their handler yet: reading a PROXY header or
  /// in the implicit TLS handshake. A service's "connections open" metric is
  /// its sessions plus these.
  size_t handshaking() const;
  /// active() is at or above the stress threshold now.
  bool under_stress() const;

  /// Stop accepting; give running sessions `grace` to finish on their own;
  /// then close their connections (their pending reads fail, so handlers
  /// return) and wait up to 5 s more for them. Completes when every session
  /// has ended or that bound has passed (logged). Safe to call from any
  /// executor, more than once.
  awaitable<void> stop(Duration grace = std::chrono::seconds(30));
  /// Only the first step of stop(): close the listening socket now.
  void stop_accepting();

  struct State;  // shared with the sessions; defined in server.cpp

 private:
  std::shared_ptr<State> state_;
};

class SessionRegistry;  // session.h

/// A service's SIGTERM: tell every live session to finish and say goodbye
/// (sessions.drain()), close every listener at once, then stop each server
/// in turn within one shared `grace` from now (Server::stop). For
/// service::Process::on_stop.
awaitable<void> drain_and_stop(SessionRegistry& sessions, const std::vector<std::unique_ptr<Server>>& servers,
                               Duration grace);

}  // namespace mail::net
