// SPDX-License-Identifier: Apache-2.0
// DirectoryClient: the msa's questions to the admin service's Directory API
// (is this password right, which addresses may this account send as, does
// this recipient exist and have room), with brief caches in front.
//
// Every call blocks (a synchronous gRPC call with a deadline): sessions run
// them through net::offload on the blocking pool, never on an I/O thread.
// Trusts: the admin service's answers, within their types (addresses are
// normalized again before comparing). Passwords are never logged or stored;
// the auth cache keys on SHA-256(user NUL password) and caches only
// successes, so a wrong password always reaches the directory (and its
// lockout) and a busy client does not cost an Argon2 hash per connection.
#pragma once
#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mail/directory/v1/directory.grpc.pb.h"
#include "policy.h"
#include "ttl_cache.h"

namespace mail::msa {

struct DirectoryOptions {
  std::chrono::milliseconds deadline{5000};
  std::chrono::milliseconds cache_ttl{30000};            ///< auth and sender lists
  std::chrono::milliseconds recipient_cache_ttl{10000};  ///< CheckRecipient answers
  size_t cache_entries = 100000;
};

struct AuthAnswer {
  enum Kind { kOk, kDenied, kUnavailable };
  Kind kind = kUnavailable;
  int64_t account_id = 0;
  std::string address;  ///< the account's primary address, normalized
};

struct RecipientAnswer {
  RecipientVerdict verdict = RecipientVerdict::kUnavailable;
  std::string normalized;
};

class DirectoryClient {
 public:
  DirectoryClient(std::shared_ptr<grpc::Channel> channel, DirectoryOptions options);

  /// Checks user and password. `protocol` is "smtp" (for the directory's logs
  /// and lockout).
  AuthAnswer authenticate(const std::string& user, const std::string& password, const std::string& client_ip);

  /// The normalized addresses the account may use as sender; nullopt when
  /// the directory could not answer.
  std::optional<std::vector<std::string>> sender_addresses(int64_t account_id);

  /// Whether `address` (normalized) is one of ours and can take `size` bytes
  /// (0 = unknown).
  RecipientAnswer check_recipient(const std::string& address, uint64_t size);

  /// False while the channel is in TRANSIENT_FAILURE or SHUTDOWN; asks the
  /// channel to connect when idle.
  bool ready();

 private:
  struct CachedRecipient {
    RecipientVerdict verdict;
    std::string normalized;
    uint64_t size;  ///< the size the answer was given for
  };

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<mail::directory::v1::Directory::Stub> stub_;
  DirectoryOptions options_;
  TtlCache<std::string, AuthAnswer> auth_cache_;
  TtlCache<int64_t, std::vector<std::string>> sender_cache_;
  TtlCache<std::string, CachedRecipient> recipient_cache_;
};

/// Channel arguments for the msa's gRPC clients: reconnect quickly after a
/// peer restart (the default backoff grows to two minutes, far too long for
/// a local service that was restarted in a second).
grpc::ChannelArguments client_channel_arguments();

}  // namespace mail::msa
