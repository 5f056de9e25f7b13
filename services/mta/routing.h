// SPDX-License-Identifier: Apache-2.0
// Routing: the servers to try for one destination domain, in order. A route
// (outbound.routes.<domain>, else outbound.relayhost) names a smarthost;
// otherwise the domain's MX records are looked up (preference order, equal
// preferences shuffled, the domain itself when it has none, null MX a
// permanent failure) and each host's addresses resolved, up to
// max_mx_addresses addresses in all.
//
// Trusts: DNS answers only as data (names are bounded by libs/dns); the
// configuration. Diagnostics: a Verdict whose text goes into the queue's
// last error and, when permanent, the bounce (Postfix's wording).
#pragma once
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mail/dns/resolver.h"
#include "mail/net/asio.h"
#include "outbound_config.h"

namespace mail::mta {

/// One server to try.
struct Hop {
  std::string host;     // the name (for TLS SNI and verification, and logs)
  std::string address;  // IP address to connect to
  uint16_t port = 25;
  smtpc::TlsPolicy tls = smtpc::TlsPolicy::may;
  std::optional<smtpc::Credentials> auth;
  bool relay = false;   // a configured smarthost, not an MX
  /// "mx.example.test[192.0.2.1]:25" for logs and diagnostics.
  std::string label() const;
};

struct Routes {
  std::vector<Hop> hops;  // empty: see the verdict
  bool permanent = false;  // no hop, and never will be (null MX, no such domain)
  std::string code;        // enhanced status code when there is no hop
  std::string error;       // why there is no hop, or what failed on the way
};

class Router {
 public:
  Router(dns::Resolver& resolver, const OutboundOptions& options);
  /// The hops for `domain` (lower case). An address literal ("[192.0.2.1]")
  /// is its own hop.
  net::awaitable<Routes> route(const std::string& domain);

 private:
  net::awaitable<void> add_host(Routes& out, const std::string& host, uint16_t port, smtpc::TlsPolicy tls,
                                const std::optional<smtpc::Credentials>& auth, bool relay, std::string& error,
                                bool& nxdomain);
  net::awaitable<Routes> by_mx(const std::string& domain, uint16_t port, smtpc::TlsPolicy tls,
                               const std::optional<smtpc::Credentials>& auth, bool relay);

  dns::Resolver& resolver_;
  const OutboundOptions& options_;
  std::mt19937_64 rng_;
};

}  // namespace mail::mta
