// SPDX-License-Identifier: Apache-2.0
// server.h: a TCP listener that runs one handler coroutine per client
// connection, each on its own strand. Used for SMTP (25/587/465), POP3
// (110/995) and IMAP (143/993).
//
// Trusts: nobody on the network. Connections beyond max_connections never
// reach the handler (see Options::overload_handler); an exception escaping a
// handler is logged and ends only that session; accept errors (e.g. out of
// file descriptors) are logged and retried after a short pause.
//
// Lifetime: the Server's state is shared with its sessions, so destroying the
// Server object while sessions still run is safe, but stop() first is the
// orderly way: it stops accepting, lets sessions finish for a grace period,
// then closes what is left and waits (bounded) for the handlers to return.
#pragma once
#include "mail/net/asio.h"
#include "mail/net/connection.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
  /// Sessions running at once. Beyond it the connection goes to
  /// overload_handler, or is closed at once when there is none.
  size_t max_connections = 1000;
  /// Run instead of `handler` for connections over max_connections, e.g. to
  /// write "421 4.7.0 Too many connections" or "-ERR [SYS/TEMP] busy" and
  /// return. It gets a 10 s timeout; at most max(16, max_connections / 10)
  /// run at once (more are closed without a word). Not used with
  /// implicit_tls: an overloaded server does not spend handshakes on refusals.
  Handler overload_handler;
  Duration timeout =
      Connection::kDefaultTimeout;  ///< initial Connection::timeout(), also bounds implicit TLS handshake
  size_t max_buffer = Connection::kDefaultMaxBuffer;  ///< initial Connection::max_buffer()
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

  /// Sessions currently running their handler (not counting overload ones).
  size_t active() const;

  /// Stop accepting; give running sessions `grace` to finish on their own;
  /// then close their connections (their pending reads fail, so handlers
  /// return) and wait up to 5 s more for them. Completes when every session
  /// has ended or that bound has passed (logged). Safe to call from any
  /// executor, more than once.
  awaitable<void> stop(Duration grace = std::chrono::seconds(30));

  struct State;  // shared with the sessions; defined in server.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mail::net
