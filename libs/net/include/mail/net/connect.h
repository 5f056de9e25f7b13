// SPDX-License-Identifier: Apache-2.0
// connect.h: outbound TCP connections (the outbound MTA, any client of ours):
// resolve and connect with a timeout, optionally from a chosen local source
// address, optionally with TLS right away (implicit TLS) or later (STARTTLS),
// and hand back the same Connection the server side uses, so reads are the
// same bounded reads (read_line with a limit, fill/consume, read_exactly)
// and every read and write has a deadline.
//
// Trusts: nothing from the peer. Host names are resolved with the system
// resolver (getaddrinfo on Asio's resolver thread): the timeout stops our
// waiting, but a lookup already inside getaddrinfo ends on the resolver's own
// timeouts; the outbound MTA resolves MX hosts itself and passes addresses.
// Diagnostics: every failure is a common::Error whose message names the
// peer and the cause ("connect to 192.0.2.1:25: timed out"); codes:
// invalid_argument (unusable host, port or source address), unavailable
// (resolution, connect, TLS handshake failures and timeouts: try later or
// elsewhere), failed_precondition (TLS verification failed under
// TlsVerify::required). Never throws for anything the network does.
//
// Threading: the Connection's executor is the calling coroutine's executor,
// which must be a strand (or a one-thread io_context), as a Connection's
// operations and timers must not run concurrently.
#pragma once
#include "mail/common/result.h"
#include "mail/net/asio.h"
#include "mail/net/connection.h"
#include "mail/net/tls.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace mail::net {

struct ConnectOptions {
  /// An IP address ("192.0.2.1", "2001:db8::1", "[2001:db8::1]") or a host
  /// name, whose addresses are tried in the resolver's order.
  std::string host;
  uint16_t port = 25;
  /// Local address to send from (bound before connecting, any port); empty:
  /// the kernel's choice. Targets of the other address family are skipped.
  std::string source_address;
  /// For resolution and all connect attempts together.
  Duration connect_timeout = std::chrono::seconds(30);
  /// Per read and write on the connection (Connection::set_timeout).
  Duration io_timeout = Connection::kDefaultTimeout;
  /// Overall deadline for everything, connecting included
  /// (Connection::set_deadline); max(): none.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  /// Connection::set_max_buffer.
  size_t max_buffer = Connection::kDefaultMaxBuffer;
  /// Implicit TLS (e.g. submissions on 465) right after connecting;
  /// nullptr: clear text. Must outlive the connection.
  asio::ssl::context* implicit_tls = nullptr;
  /// The name for SNI and the certificate check; empty: `host`.
  std::string server_name;
};

/// What a TLS session negotiated, for logs, Received headers and policy.
struct TlsInfo {
  std::string protocol;  ///< "TLSv1.3"
  std::string cipher;    ///< "TLS_AES_256_GCM_SHA384"
  int cipher_bits = 0;
  /// The chain leads to a trusted CA and the certificate names the server.
  bool verified = false;
  /// Why not ("certificate has expired", "hostname mismatch", "no peer
  /// certificate"); empty when verified.
  std::string verify_error;
  /// The peer certificate's subject in OpenSSL's one-line form ("" if none).
  std::string peer_subject;
};

/// Connects (and, with options.implicit_tls, completes the TLS handshake).
/// The connection has options' timeout, deadline and buffer limit.
awaitable<common::Result<std::shared_ptr<Connection>>> connect(const ConnectOptions& options);

/// Client-side TLS on an established connection: STARTTLS after the
/// server's 220 (anything the server sent after that reply is discarded
/// first), or implicit TLS. `server_name` (a host name or IP literal) is
/// sent as SNI and checked against the certificate; `ctx` decides whether a
/// failed check fails the handshake (make_client_tls_context). On failure
/// the connection is closed: it never falls back to clear text.
awaitable<common::Result<TlsInfo>> start_tls(Connection& connection, asio::ssl::context& ctx,
                                             std::string server_name);

/// The TLS facts of a connection (all empty / false without TLS).
TlsInfo tls_info(Connection& connection);

}  // namespace mail::net
