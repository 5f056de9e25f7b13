// SPDX-License-Identifier: Apache-2.0
// client_limits.h: the `net.*` configuration keys every protocol service
// reads the same way (mail-msa, mail-pop3, IMAP next), and how they land on
// a listener's ServerOptions. One reader, so the keys mean the same in
// every service:
//
//   net.max_connections_per_client  50     connections one client address may hold
//                                          per listener (0: no cap); Postfix's
//                                          smtpd_client_connection_count_limit
//   net.client_limit_exceptions     ""     CIDR networks exempt from that cap
//                                          (comma or YAML list); Postfix's
//                                          smtpd_client_event_limit_exceptions
//   net.tls_handshake_timeout       10s    bound of the implicit TLS handshake
//   net.stress_threshold            0.8    fraction of max_connections from which
//                                          timeouts shorten (0 disables)
//   net.stress_timeout              10s    the most any read or write waits then
//   net.proxy_protocol_from         ""     load balancers that send a PROXY v2
//                                          header first (CIDR list)
//   net.proxy_header_timeout        5s     bound of reading that header
//
// Trusts: the operator's configuration; every value is range-checked and a
// bad one throws common::ConfigError naming the key, at start-up only.
#pragma once
#include <chrono>
#include <cstddef>

#include "mail/net/cidr.h"
#include "mail/net/server.h"

namespace mail::common {
class Config;
}

namespace mail::net {

struct ClientLimits {
  size_t max_connections_per_client = ServerOptions{}.max_connections_per_client;
  NetworkList client_limit_exceptions;
  Duration tls_handshake_timeout = ServerOptions{}.tls_handshake_timeout;
  double stress_threshold = ServerOptions{}.stress_threshold;
  Duration stress_timeout = ServerOptions{}.stress_timeout;
  NetworkList proxy_protocol_from;
  Duration proxy_header_timeout = ServerOptions{}.proxy_header_timeout;
};

/// Reads the keys above. Throws common::ConfigError on a malformed network,
/// a threshold outside [0, 1] or a non-positive duration.
ClientLimits load_client_limits(const common::Config& config);

/// Copies the limits onto a listener's options.
void apply(const ClientLimits& limits, ServerOptions& options);

/// A protocol listener's options: its name and address, the cap on its
/// connections, the client limits above, and implicit TLS when
/// `implicit_tls` is set. Over the cap (and per client, unless the protocol
/// sets client_limit_handler itself) the client reads `busy_reply` before
/// the connection closes; `on_busy` (may be empty) counts it.
ServerOptions listener_options(std::string name, const std::string& host, uint16_t port, size_t max_connections,
                               const ClientLimits& limits, asio::ssl::context* implicit_tls, std::string busy_reply,
                               std::function<void()> on_busy = {});

}  // namespace mail::net
