// SPDX-License-Identifier: Apache-2.0
// Settings of mail-imap, read once at start-up from the YAML config (with
// MAIL_* environment overrides, see mail/common/config.h). Every key, its
// default and its meaning is listed in settings.cpp and README.md. Trusts
// the operator; a bad value is a ConfigError at start-up, never later.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "mail/common/config.h"
#include "mail/common/host_port.h"
#include "mail/directory/client/change_notices.h"
#include "mail/directory/client/client_settings.h"
#include "mail/rpc/tls.h"
#include "session.h"

namespace mail::imapd {

struct Settings {
  SessionConfig session;
  std::optional<common::HostPort> listen;        ///< imap.listen: IMAP with STARTTLS; empty disables
  std::optional<common::HostPort> imaps_listen;  ///< imap.imaps_listen: implicit TLS; empty disables
  std::string tls_cert, tls_key;                 ///< tls.cert, tls.key (PEM); empty: no TLS at all
  std::string db_url;                            ///< db.url (+ db.password / db.password_file)
  size_t db_pool_size = 8;
  std::chrono::milliseconds db_acquire_timeout{10000};
  directory::DirectoryClientSettings directory;  ///< directory.* (client_settings.h)
  std::string token;                   ///< auth.token_file: presented to the Directory
  rpc::ChannelSecurity directory_tls;  ///< grpc.tls.*
  directory::RedisEndpoint notices;    ///< redis.host, redis.port: change notices for the cache
  size_t max_connections = 5000;       ///< per listener
  size_t max_userip_connections = 10;  ///< imap.max_userip_connections (0: no limit)
  size_t io_threads = 2;
  size_t blocking_threads = 16;
  std::chrono::milliseconds shutdown_grace{5000};
};

/// Reads every key; throws common::ConfigError on a missing or bad value.
Settings load_settings(const common::Config& config);

}  // namespace mail::imapd
