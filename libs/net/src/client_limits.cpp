// SPDX-License-Identifier: Apache-2.0
// client_limits.cpp: reading the net.* keys (see client_limits.h).
#include "mail/net/client_limits.h"

#include <string>

#include "mail/common/config.h"

namespace mail::net {
namespace {

using common::ConfigError;

NetworkList networks(const common::Config& c, const std::string& key) {
  std::string bad;
  auto list = NetworkList::parse(c.str(key, ""), &bad);
  if (!list)
    throw ConfigError("config " + key + ": \"" + bad + "\" is not an IP network (e.g. 10.0.0.0/8, 2001:db8::/32; host bits must be zero)");
  return *list;
}

Duration positive(const common::Config& c, const std::string& key, Duration def) {
  auto v = c.duration(key, std::chrono::duration_cast<std::chrono::milliseconds>(def));
  if (v.count() <= 0) throw ConfigError("config " + key + ": must be positive");
  return v;
}

}  // namespace

ClientLimits load_client_limits(const common::Config& c) {
  ClientLimits l;
  int64_t per_client = c.integer("net.max_connections_per_client", static_cast<int64_t>(l.max_connections_per_client));
  if (per_client < 0 || per_client > 1000000)
    throw ConfigError("config net.max_connections_per_client: between 0 (no cap) and 1000000");
  l.max_connections_per_client = static_cast<size_t>(per_client);
  l.client_limit_exceptions = networks(c, "net.client_limit_exceptions");
  l.tls_handshake_timeout = positive(c, "net.tls_handshake_timeout", l.tls_handshake_timeout);
  std::string threshold = c.str("net.stress_threshold", "0.8");
  try {
    size_t used = 0;
    l.stress_threshold = std::stod(threshold, &used);
    if (used != threshold.size()) throw std::invalid_argument(threshold);
  } catch (const std::exception&) {
    throw ConfigError("config net.stress_threshold: expected a number between 0 and 1");
  }
  if (!(l.stress_threshold >= 0.0 && l.stress_threshold <= 1.0))
    throw ConfigError("config net.stress_threshold: between 0 (off) and 1");
  l.stress_timeout = positive(c, "net.stress_timeout", l.stress_timeout);
  l.proxy_protocol_from = networks(c, "net.proxy_protocol_from");
  l.proxy_header_timeout = positive(c, "net.proxy_header_timeout", l.proxy_header_timeout);
  return l;
}

void apply(const ClientLimits& l, ServerOptions& o) {
  o.max_connections_per_client = l.max_connections_per_client;
  o.client_limit_exceptions = l.client_limit_exceptions;
  o.tls_handshake_timeout = l.tls_handshake_timeout;
  o.stress_threshold = l.stress_threshold;
  o.stress_timeout = l.stress_timeout;
  o.proxy_protocol_from = l.proxy_protocol_from;
  o.proxy_header_timeout = l.proxy_header_timeout;
}

ServerOptions listener_options(std::string name, const std::string& host, uint16_t port, size_t max_connections,
                               const ClientLimits& limits, asio::ssl::context* implicit_tls, std::string busy_reply,
                               std::function<void()> on_busy) {
  ServerOptions o;
  o.name = std::move(name);
  o.address = host;
  o.port = port;
  o.max_connections = max_connections;
  o.implicit_tls = implicit_tls;
  apply(limits, o);
  o.overload_handler = [busy_reply, on_busy](Connection& c) -> awaitable<void> {
    if (on_busy) on_busy();
    co_await c.write(busy_reply);
  };
  return o;
}

}  // namespace mail::net
