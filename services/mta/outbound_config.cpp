// SPDX-License-Identifier: Apache-2.0
// Reading the outbound settings (see outbound_config.h for the keys).
#include "outbound_config.h"

#include "mail/common/strings.h"

namespace mail::mta {

std::optional<smtpc::TlsPolicy> parse_tls_policy(const std::string& text) {
  const std::string t = common::ascii_lower(text);
  if (t == "none") return smtpc::TlsPolicy::none;
  if (t == "may") return smtpc::TlsPolicy::may;
  if (t == "encrypt") return smtpc::TlsPolicy::encrypt;
  if (t == "verify") return smtpc::TlsPolicy::verify;
  return std::nullopt;
}

std::string tls_policy_name(smtpc::TlsPolicy policy) {
  switch (policy) {
    case smtpc::TlsPolicy::none: return "none";
    case smtpc::TlsPolicy::may: return "may";
    case smtpc::TlsPolicy::encrypt: return "encrypt";
    case smtpc::TlsPolicy::verify: return "verify";
  }
  return "may";
}

std::optional<Relay> parse_relay(const std::string& text, uint16_t default_port) {
  Relay r;
  r.port = default_port;
  if (text.empty()) return r;
  std::string rest;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close == 1) return std::nullopt;
    r.host = text.substr(1, close - 1);
    r.mx_lookup = false;
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.find(':');
    r.host = text.substr(0, colon);
    r.mx_lookup = true;
    if (colon != std::string::npos) rest = text.substr(colon);
  }
  if (r.host.empty() || r.host.find_first_of(" \t\r\n,") != std::string::npos) return std::nullopt;
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
    unsigned port = 0;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    r.port = static_cast<uint16_t>(port);
  }
  r.host = common::ascii_lower(r.host);
  return r;
}

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

smtpc::TlsPolicy policy_at(const common::Config& cfg, const std::string& key, smtpc::TlsPolicy def) {
  auto text = cfg.raw(key);
  if (!text || text->empty()) return def;
  auto p = parse_tls_policy(*text);
  if (!p) throw common::ConfigError("config " + key + ": expected none, may, encrypt or verify, not '" + *text + "'");
  return *p;
}

// A relay named by key `host_key`, with its TLS policy and credentials at
// `opt` + "tls", "user", "password".
std::optional<Relay> relay_at(const common::Config& cfg, const std::string& host_key, const std::string& opt,
                              uint16_t port) {
  auto text = cfg.raw(host_key);
  if (!text) return std::nullopt;
  auto r = parse_relay(*text, port);
  if (!r) throw common::ConfigError("config " + host_key + ": expected host, host:port, [host] or [host]:port");
  r->tls = policy_at(cfg, opt + "tls", r->host.empty() ? smtpc::TlsPolicy::may : smtpc::TlsPolicy::encrypt);
  const std::string user = cfg.str(opt + "user", "");
  if (!user.empty()) r->auth = smtpc::Credentials{user, cfg.secret(opt + "password", "")};
  return r;
}

std::chrono::milliseconds positive_duration(const common::Config& cfg, const std::string& key,
                                            std::chrono::milliseconds def) {
  auto d = cfg.duration(key, def);
  if (d.count() <= 0) throw common::ConfigError("config " + key + ": must be positive");
  return d;
}

}  // namespace

OutboundOptions outbound_options(const common::Config& cfg, const std::string& hostname) {
  OutboundOptions o;
  o.enabled = cfg.boolean("outbound.enabled", true);
  o.helo_name = cfg.str("outbound.hostname", hostname);
  o.source_address = cfg.str("outbound.source_address", "");
  const std::string resolver = cfg.str("outbound.resolver", "");
  if (!resolver.empty()) o.resolver.servers = split_list(resolver);
  o.resolver.timeout = positive_duration(cfg, "outbound.resolver_timeout", std::chrono::milliseconds(5000));
  const int64_t port = cfg.integer("outbound.port", 25);
  if (port <= 0 || port > 65535) throw common::ConfigError("config outbound.port: not a port");
  o.port = static_cast<uint16_t>(port);
  o.tls = policy_at(cfg, "outbound.tls", smtpc::TlsPolicy::may);
  o.ca_file = cfg.str("outbound.ca_file", "");
  auto count = [&](const std::string& key, int64_t def) {
    const int64_t v = cfg.integer(key, def);
    if (v <= 0) throw common::ConfigError("config " + key + ": must be at least 1");
    return static_cast<size_t>(v);
  };
  o.max_connections = count("outbound.max_connections", 100);
  o.max_per_destination = count("outbound.max_per_destination", 20);
  o.max_mx_addresses = count("outbound.max_mx_addresses", 5);
  o.connection_cache_time = cfg.duration("outbound.connection_cache_time", std::chrono::milliseconds(2000));
  o.connect_timeout = positive_duration(cfg, "outbound.connect_timeout", std::chrono::milliseconds(30000));
  auto& c = o.client;
  c.greeting_timeout = positive_duration(cfg, "outbound.timeout.greeting", c.greeting_timeout);
  c.ehlo_timeout = positive_duration(cfg, "outbound.timeout.ehlo", c.ehlo_timeout);
  c.mail_timeout = positive_duration(cfg, "outbound.timeout.mail", c.mail_timeout);
  c.rcpt_timeout = positive_duration(cfg, "outbound.timeout.rcpt", c.rcpt_timeout);
  c.data_init_timeout = positive_duration(cfg, "outbound.timeout.data_init", c.data_init_timeout);
  c.data_block_timeout = positive_duration(cfg, "outbound.timeout.data_block", c.data_block_timeout);
  c.data_end_timeout = positive_duration(cfg, "outbound.timeout.data_end", c.data_end_timeout);
  c.helo_name = o.helo_name;

  if (auto r = relay_at(cfg, "outbound.relayhost", "outbound.relayhost_", 25); r && !r->host.empty()) o.relayhost = r;
  const std::string prefix = "outbound.routes.";
  const std::string suffix = ".relayhost";
  for (const auto& key : cfg.keys_with_prefix(prefix)) {
    if (key.size() <= prefix.size() + suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string domain = common::ascii_lower(key.substr(prefix.size(), key.size() - prefix.size() - suffix.size()));
    const std::string at = key.substr(0, key.size() - suffix.size()) + ".";
    if (auto r = relay_at(cfg, key, at, 25)) o.routes[domain] = *r;
  }
  return o;
}

}  // namespace mail::mta
