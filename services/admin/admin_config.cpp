// SPDX-License-Identifier: Apache-2.0
// Reading AdminConfig from the flattened YAML/env configuration.
#include "admin_config.h"

#include "mail/common/host_port.h"
#include "mail/common/strings.h"

namespace mail::admin {
namespace {

template <class T>
T bounded(const common::Config& c, const std::string& key, int64_t def, int64_t lo, int64_t hi) {
  int64_t v = c.integer(key, def);
  if (v < lo || v > hi)
    throw common::ConfigError("config " + key + ": must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return static_cast<T>(v);
}

}  // namespace

AdminConfig load_admin_config(const common::Config& c) {
  AdminConfig a;
  a.listen = c.str("admin.listen", a.listen);
  common::parse_host_port(a.listen);  // validate early
  a.max_threads = bounded<int>(c, "admin.max_threads", a.max_threads, 2, 1024);
  a.shutdown_grace = c.duration("admin.shutdown_grace", a.shutdown_grace);
  a.db_url = c.secret("db.url", "");
  if (a.db_url.empty()) throw common::ConfigError("config db.url (or db.url_file) is required");
  a.db_pool_size = bounded<size_t>(c, "db.pool_size", static_cast<int64_t>(a.db_pool_size), 1, 256);
  a.db_acquire_timeout = c.duration("db.acquire_timeout", a.db_acquire_timeout);
  try {
    auto http = common::parse_host_port(c.str("http.listen", "127.0.0.1:9106"));
    a.http_address = http.host;
    a.http_port = http.port;
  } catch (const common::ConfigError& e) {
    throw common::ConfigError(std::string("config http.listen: ") + e.what());
  }
  a.log_level = log::parse_level(c.str("log.level", "info"));

  auto& d = a.directory;
  d.argon2.t_cost = bounded<uint32_t>(c, "argon2.t_cost", d.argon2.t_cost, 1, 100);
  d.argon2.m_cost_kib = bounded<uint32_t>(c, "argon2.m_cost", d.argon2.m_cost_kib, 8, 4 * 1024 * 1024);
  d.argon2.parallelism = bounded<uint32_t>(c, "argon2.parallelism", d.argon2.parallelism, 1, 64);
  d.argon2.max_concurrent = bounded<uint32_t>(c, "argon2.max_concurrent", d.argon2.max_concurrent, 0, 1024);
  d.subaddress_separators = c.str("directory.recipient_delimiter", d.subaddress_separators);
  d.postmaster = c.str("directory.postmaster", "");
  if (!d.postmaster.empty() && common::normalize_address(d.postmaster).empty())
    throw common::ConfigError("config directory.postmaster: not an address");
  for (char ch : d.subaddress_separators)
    if (ch == '@' || ch == '.' || static_cast<unsigned char>(ch) <= 0x20)
      throw common::ConfigError("config directory.recipient_delimiter: '@', '.' and spaces are not allowed");
  d.max_alias_targets = bounded<size_t>(c, "directory.max_alias_targets", static_cast<int64_t>(d.max_alias_targets), 1,
                                        100000);
  a.notices = directory::notice_endpoint(c);
  return a;
}

}  // namespace mail::admin
