// SPDX-License-Identifier: Apache-2.0
// Checked config readings shared by the services (see config_values.h).
#include "mail/common/config_values.h"

namespace mail::common {

size_t positive(const Config& c, const std::string& key, int64_t def, int64_t max) {
  const int64_t v = c.integer(key, def);
  if (v < 1 || v > max) throw ConfigError("config " + key + ": must be between 1 and " + std::to_string(max));
  return static_cast<size_t>(v);
}

std::optional<HostPort> listen_address(const Config& c, const std::string& key, const std::string& def) {
  const std::string text = c.str(key, def);
  if (text.empty()) return std::nullopt;
  HostPort e;
  try {
    e = parse_host_port(text);
  } catch (const ConfigError& err) {
    throw ConfigError(key + ": " + err.what());
  }
  if (e.port == 0) throw ConfigError(key + ": port must be 1..65535, got \"" + text + "\"");
  return e;
}

std::string db_conninfo(const Config& c) {
  std::string url = c.secret("db.url", "");
  if (url.empty()) throw ConfigError("db.url must be set");
  const std::string password = c.secret("db.password", "");
  if (!password.empty()) {
    std::string quoted;  // libpq conninfo quoting: '...' with \ and ' escaped
    for (char ch : password) {
      if (ch == '\\' || ch == '\'') quoted += '\\';
      quoted += ch;
    }
    url += " password='" + quoted + "'";
  }
  return url;
}

}  // namespace mail::common
