// SPDX-License-Identifier: Apache-2.0
// The admin service's configuration, read once at start-up from the YAML file
// and MAIL_* environment overrides (mail::common::Config) into a plain struct.
// Errors: common::ConfigError with the offending key.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mail/common/config.h"
#include "mail/common/log.h"
#include "mail/directory/client/change_notices.h"
#include "mail/directory/pg_directory.h"

namespace mail::admin {

struct AdminConfig {
  std::string listen = "127.0.0.1:7001";  ///< admin.listen: gRPC Admin + Directory
  int max_threads = 64;                   ///< admin.max_threads: gRPC handler threads
  std::chrono::milliseconds shutdown_grace{10000};  ///< admin.shutdown_grace
  std::string db_url;                     ///< db.url or the file named by db.url_file (required)
  size_t db_pool_size = 8;                ///< db.pool_size
  std::chrono::milliseconds db_acquire_timeout{5000};  ///< db.acquire_timeout
  std::string http_address = "127.0.0.1";  ///< http.listen host
  uint16_t http_port = 9106;               ///< http.listen port
  log::Level log_level = log::Level::info;  ///< log.level
  directory::DirectoryOptions directory;   ///< argon2.*, directory.recipient_delimiter, directory.max_alias_targets
  directory::RedisEndpoint notices;        ///< redis.host, redis.port, directory.notice_channel: change notices
};

AdminConfig load_admin_config(const common::Config& config);

}  // namespace mail::admin
