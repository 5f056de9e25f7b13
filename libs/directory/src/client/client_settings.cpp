// SPDX-License-Identifier: Apache-2.0
// load_directory_client_settings() (see client_settings.h).
#include "mail/directory/client/client_settings.h"

#include "mail/common/config_values.h"

namespace mail::directory {

DirectoryClientSettings load_directory_client_settings(const common::Config& c, std::string protocol) {
  DirectoryClientSettings s;
  s.address = c.str("directory.address", s.address);
  if (s.address.empty()) throw common::ConfigError("directory.address must be set");
  DirectoryClientOptions& o = s.options;
  o.protocol = std::move(protocol);
  o.deadline = c.duration("directory.deadline", c.duration("directory.timeout", o.deadline));
  if (o.deadline.count() <= 0) throw common::ConfigError("config directory.deadline: must be positive");
  o.cache_ttl = c.duration("directory.cache_ttl", o.cache_ttl);
  o.recipient_cache_ttl = c.duration("directory.recipient_cache_ttl", o.recipient_cache_ttl);
  const int64_t entries = c.integer("directory.cache_size", static_cast<int64_t>(o.cache_entries));
  o.cache_entries = common::positive(c, "directory.cache_entries", entries, 100000000);
  return s;
}

}  // namespace mail::directory
