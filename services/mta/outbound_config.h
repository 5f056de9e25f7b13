// SPDX-License-Identifier: Apache-2.0
// The mta's outbound settings: how mail for other domains is carried (MX
// lookup or a smarthost, globally and per destination), the SMTP client's
// TLS policy, names, source address, limits and timeouts.
//
// Keys (mta.yaml, flattened; MAIL_OUTBOUND_* environment overrides for the
// global ones):
//   outbound.enabled (true)             outbound.hostname (mta.hostname): EHLO name
//   outbound.source_address ("")        outbound.resolver ("": /etc/resolv.conf; "127.0.0.1:5353")
//   outbound.port (25)                  outbound.tls (may: none | may | encrypt | verify)
//   outbound.ca_file ("": the system's) outbound.max_connections (100)
//   outbound.max_per_destination (20)   outbound.max_mx_addresses (5)
//   outbound.connection_cache_time (2s) outbound.connect_timeout (30s)
//   outbound.timeout.{greeting,ehlo,mail,rcpt,data_init,data_block,data_end} (RFC 5321 4.5.3.2)
//   outbound.relayhost ("": by MX)      "host" or "host:port" looks up host's MX,
//                                        "[host]" or "[host]:port" connects to host itself
//   outbound.relayhost_tls (encrypt)    outbound.relayhost_user, outbound.relayhost_password(_file)
//   outbound.routes.<domain>.relayhost / .tls / .user / .password(_file): the same for one
//     destination domain ("" relayhost: by MX, overriding a global relayhost)
//
// Trusts: the operator's configuration; errors are ConfigError at start-up.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "mail/common/config.h"
#include "mail/dns/resolver.h"
#include "mail/smtpclient/session.h"

namespace mail::mta {

namespace smtpc = mail::smtp::client;

/// Where a destination's mail goes when it is not looked up by MX.
struct Relay {
  std::string host;         // name or IP address ("" = by MX)
  uint16_t port = 25;
  bool mx_lookup = false;   // "host" (true) vs "[host]" (false)
  smtpc::TlsPolicy tls = smtpc::TlsPolicy::encrypt;
  std::optional<smtpc::Credentials> auth;
};

struct OutboundOptions {
  bool enabled = true;
  std::string helo_name = "localhost";
  std::string source_address;
  dns::ResolverOptions resolver;
  uint16_t port = 25;
  smtpc::TlsPolicy tls = smtpc::TlsPolicy::may;
  std::string ca_file;
  size_t max_connections = 100;
  size_t max_per_destination = 20;
  size_t max_mx_addresses = 5;
  std::chrono::milliseconds connection_cache_time{2000};
  std::chrono::milliseconds connect_timeout{30000};
  smtpc::ClientOptions client;          // timeouts; names and TLS filled per hop
  std::optional<Relay> relayhost;      // global smarthost
  std::map<std::string, Relay> routes; // per destination domain (lower case)
  // From the queue's settings (queue.lease, queue.max_age).
  std::chrono::milliseconds lease{60000};
  std::chrono::seconds max_age{120 * 3600};
};

/// "none", "may", "encrypt", "verify"; nullopt for anything else.
std::optional<smtpc::TlsPolicy> parse_tls_policy(const std::string& text);
std::string tls_policy_name(smtpc::TlsPolicy policy);
/// "host", "host:port", "[host]", "[host]:port" (IPv6 inside the brackets);
/// nullopt when malformed. An empty text is a relay with an empty host.
std::optional<Relay> parse_relay(const std::string& text, uint16_t default_port);

OutboundOptions outbound_options(const common::Config& cfg, const std::string& hostname);

}  // namespace mail::mta
