// SPDX-License-Identifier: Apache-2.0
// Reading MsaConfig from the service's YAML/environment configuration.
// Trusts: the operator's file, but checks ranges so that a typo fails at
// start-up instead of producing an SMTP server with a zero-byte size limit.
#include "config.h"

#include <algorithm>
#include <thread>

#include "mail/common/config_values.h"
#include "mail/common/host_port.h"
#include "mail/common/strings.h"

namespace mail::msa {
namespace {

using common::ConfigError;

using common::positive;

std::chrono::milliseconds duration(const common::Config& c, const std::string& key, std::chrono::milliseconds def) {
  auto v = c.duration(key, def);
  if (v.count() <= 0) throw ConfigError("config " + key + ": must be positive");
  return v;
}

}  // namespace

ListenAddress parse_listen(const std::string& key, const std::string& raw) {
  std::string text(common::trim(raw));
  ListenAddress a;
  if (text.empty()) return a;
  common::HostPort hp;
  try {
    hp = common::parse_host_port(text);
  } catch (const ConfigError& e) {
    throw ConfigError("config " + key + ": " + e.what());
  }
  // Port 0 would mean "any free port", which no client could find: an
  // enabled SMTP listener names its port (an empty value disables it).
  if (hp.port == 0) throw ConfigError("config " + key + ": port out of range");
  a.host = std::move(hp.host);
  a.port = hp.port;
  return a;
}

std::string default_postmaster_domain(const std::string& hostname) {
  size_t dots = std::count(hostname.begin(), hostname.end(), '.');
  if (dots < 2) return hostname;
  return hostname.substr(hostname.find('.') + 1);
}

MsaConfig load_msa_config(const common::Config& c) {
  MsaConfig m;
  m.log_level = c.str("log.level", "info");

  auto& s = m.smtp;
  s.hostname = common::normalize_domain(c.str("smtp.hostname", "localhost"));
  if (s.hostname.empty()) throw ConfigError("config smtp.hostname: not a valid host name");
  s.postmaster_domain =
      common::normalize_domain(c.str("smtp.postmaster_domain", default_postmaster_domain(s.hostname)));
  if (s.postmaster_domain.empty()) throw ConfigError("config smtp.postmaster_domain: not a valid domain");

  s.limits.max_message_size = c.size("smtp.max_message_size", 25ull * 1024 * 1024);
  if (s.limits.max_message_size < 1024) throw ConfigError("config smtp.max_message_size: at least 1K");
  s.limits.max_recipients = positive(c, "smtp.max_recipients", 100, 100000);
  s.limits.max_command_line = positive(c, "smtp.max_command_line", 2048, 65536);
  if (s.limits.max_command_line < 510) throw ConfigError("config smtp.max_command_line: RFC 5321 needs at least 510");
  s.limits.max_text_line = positive(c, "smtp.max_text_line", 8192, 1 << 30);
  if (s.limits.max_text_line < 1000) throw ConfigError("config smtp.max_text_line: RFC 5321 needs at least 1000");
  s.max_errors = positive(c, "smtp.max_errors", 20, 100000);
  s.max_received = positive(c, "smtp.max_received", 100, 100000);
  s.max_auth_failures = positive(c, "smtp.max_auth_failures", 3, 1000);
  s.recipient_delimiter = c.str("directory.recipient_delimiter", s.recipient_delimiter);
  s.auth_failure_delay = c.duration("smtp.auth_failure_delay", std::chrono::milliseconds(1000));
  s.command_timeout = duration(c, "smtp.command_timeout", std::chrono::minutes(5));
  s.data_timeout = duration(c, "smtp.data_timeout", std::chrono::minutes(10));
  s.reverse_lookup = c.boolean("smtp.reverse_lookup", true);
  {
    std::string bad;
    auto nets = net::NetworkList::parse(c.str("smtp.relay_networks", ""), &bad);
    if (!nets) throw common::ConfigError("config smtp.relay_networks: not a network: '" + bad + "'");
    s.relay_networks = std::move(*nets);
  }
  s.mta_retry_window = c.duration("mta.retry_window", std::chrono::seconds(10));

  m.mx_listen = parse_listen("smtp.mx_listen", c.str("smtp.mx_listen", "127.0.0.1:2525"));
  m.submission_listen = parse_listen("smtp.submission_listen", c.str("smtp.submission_listen", "127.0.0.1:2587"));
  m.submissions_listen = parse_listen("smtp.submissions_listen", c.str("smtp.submissions_listen", "127.0.0.1:2465"));
  m.http_listen = parse_listen("http.listen", c.str("http.listen", "127.0.0.1:9101"));
  m.max_connections = positive(c, "smtp.max_connections", 1000, 1000000);
  m.shutdown_grace = c.duration("smtp.shutdown_grace", std::chrono::seconds(5));

  m.tls_cert = c.str("tls.cert", "");
  m.tls_key = c.str("tls.key", "");
  if (m.tls_cert.empty() != m.tls_key.empty())
    throw ConfigError("config tls: set both tls.cert and tls.key, or neither");

  m.mta_address = c.str("mta.address", "127.0.0.1:7002");
  m.mta_deadline = duration(c, "mta.deadline", std::chrono::seconds(60));
  m.mta_chunk_size = c.size("mta.chunk_size", 256 * 1024);
  if (m.mta_chunk_size < 4096 || m.mta_chunk_size > 4 * 1024 * 1024)
    throw ConfigError("config mta.chunk_size: between 4K and 4M (gRPC's default message limit)");
  m.data_memory_budget = c.size("smtp.data_memory_budget", 64ull * 1024 * 1024);
  if (m.data_memory_budget < 1024 * 1024 || m.data_memory_budget < 2 * m.mta_chunk_size)
    throw ConfigError("config smtp.data_memory_budget: at least 1M and 2 x mta.chunk_size");

  m.directory = directory::load_directory_client_settings(c, "smtp");

  int64_t cpus = std::max<int64_t>(1, std::thread::hardware_concurrency());
  m.io_threads = positive(c, "threads.io", cpus, 1024);
  m.blocking_threads = positive(c, "threads.blocking", 32, 4096);
  return m;
}

}  // namespace mail::msa
