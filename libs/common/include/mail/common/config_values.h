// SPDX-License-Identifier: Apache-2.0
// config_values.h: the checked readings of config keys that every service
// makes the same way: a count that must be positive (and bounded), a
// listening address, and the PostgreSQL conninfo with its password. Each
// throws common::ConfigError naming the key, at start-up only.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "mail/common/config.h"
#include "mail/common/host_port.h"

namespace mail::common {

/// `key` as an integer in [1, max]; `def` when unset.
size_t positive(const Config& c, const std::string& key, int64_t def,
                int64_t max = std::numeric_limits<int64_t>::max());

/// `key` as host:port to listen on; nullopt when it is set to "" (the
/// listener is disabled). Port 0 is refused: no client could find it.
std::optional<HostPort> listen_address(const Config& c, const std::string& key, const std::string& def);

/// db.url (or db.url_file), with db.password (or db.password_file) appended
/// in libpq's quoting when set. Throws when db.url is empty.
std::string db_conninfo(const Config& c);

}  // namespace mail::common
