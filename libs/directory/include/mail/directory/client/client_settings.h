// SPDX-License-Identifier: Apache-2.0
// client_settings.h: the config keys of the Directory client, read the same
// way by every edge (msa, pop3, imap):
//   directory.address          127.0.0.1:7001  the admin service's gRPC address
//   directory.deadline         5s      per call (directory.timeout is read as an alias)
//   directory.cache_ttl        30s     positive auth answers and sender lists; 0 disables
//   directory.recipient_cache_ttl 10s  recipient answers (msa)
//   directory.cache_entries    100000  per cache (directory.cache_size is read as an alias)
// Throws common::ConfigError at start-up on a bad value.
#pragma once
#include <string>

#include "mail/common/config.h"
#include "mail/directory/client/grpc_directory_client.h"

namespace mail::directory {

struct DirectoryClientSettings {
  std::string address = "127.0.0.1:7001";
  DirectoryClientOptions options;
};

/// `protocol` names the caller in the directory's logs ("smtp", "pop3", "imap").
DirectoryClientSettings load_directory_client_settings(const common::Config& config, std::string protocol);

}  // namespace mail::directory
