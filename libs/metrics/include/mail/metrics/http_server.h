// SPDX-License-Identifier: Apache-2.0
// http_server.h: the operations endpoint every service runs beside its
// protocol port: GET /metrics (Prometheus text 0.0.4), GET /healthz (the
// process is alive), GET /readyz (the service can do its job now).
//
// Built on the net session skeleton (mail::net::Server: strands, timeouts,
// connection limit, orderly stop) with Boost.Beast parsing and writing the
// HTTP messages. Trusts nothing from the client: header and body sizes are
// bounded, every read has a timeout, only GET and HEAD are served;
// malformed requests get 400 and the connection is closed. Keep-alive is
// honoured. Probes cannot be starved: each request must arrive whole within
// request_timeout, and when every connection slot is taken (idle clients
// holding them), a new connection still gets its one request answered, with
// a tighter deadline, and is then closed (net::Server's overload handler),
// so /healthz and /readyz keep answering under a flood of idle connections.
#pragma once
#include "mail/metrics/registry.h"
#include "mail/net/asio.h"
#include "mail/net/server.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mail::metrics {

struct HttpOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 0;                                      ///< 0: the OS picks one; read it back with port()
  net::Duration read_timeout = std::chrono::seconds(10);  ///< per read, also the keep-alive idle limit
  /// From a request's first read to its last byte: a client trickling a byte
  /// at a time is closed after this, whatever read_timeout says.
  net::Duration request_timeout = std::chrono::seconds(5);
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 1024;  ///< GET needs none; anything bigger is refused
  size_t max_connections = 64;
};

class HttpServer {
 public:
  /// `ready` answers /readyz; it may block (e.g. ping the database), so it
  /// runs on `blocking`, never on an I/O thread; an exception counts as not
  /// ready. Empty `ready`: always ready. `registry`, `io` and `blocking`
  /// must outlive the server.
  HttpServer(net::asio::io_context& io, net::asio::thread_pool& blocking, HttpOptions options, Registry& registry,
             std::function<bool()> ready = {});
  ~HttpServer();

  /// Bind and listen (throws on a bad address or a port in use), then serve.
  void start();
  /// The bound port; 0 before start().
  uint16_t port() const;
  /// Stop accepting and close connections after a short grace period.
  net::awaitable<void> stop(net::Duration grace = std::chrono::seconds(2));

  struct Impl;  // shared with the sessions; defined in http_server.cpp

 private:
  std::shared_ptr<Impl> impl_;
  net::Server server_;
};

}  // namespace mail::metrics
