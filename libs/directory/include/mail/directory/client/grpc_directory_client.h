// SPDX-License-Identifier: Apache-2.0
// GrpcDirectoryClient: the DirectoryClient that asks the admin service's
// Directory API over gRPC, with brief caches in front. One per process,
// shared by all sessions; thread-safe.
//
// Every call is a synchronous gRPC call with a deadline: run it on the
// blocking pool. Trusts the admin service's answers within their types
// (addresses are normalized again before use). Passwords are never logged or
// stored: the auth cache keys on auth_cache_key(user, password) and keeps
// only successes, so a wrong password always reaches the directory (and its
// failure counters and lockout), a password change takes effect within
// cache_ttl, and a busy client does not cost an Argon2 hash per connection.
// gRPC failures other than "credentials refused" / "malformed address" are
// logged (without credentials) and answered as "unavailable", never cached.
#pragma once
#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "mail/directory/client/change_notices.h"
#include "mail/directory/client/directory_client.h"
#include "mail/directory/client/ttl_cache.h"
#include "mail/directory/v1/directory.grpc.pb.h"

namespace mail::directory {

struct DirectoryClientOptions {
  std::string protocol;                                  ///< "smtp", "pop3", "imap": the directory's logs and lockout
  std::chrono::milliseconds deadline{5000};              ///< per call
  std::chrono::milliseconds cache_ttl{30000};            ///< positive auth answers and sender lists; 0 disables
  std::chrono::milliseconds recipient_cache_ttl{10000};  ///< CheckRecipient: shorter, since quota use changes
  size_t cache_entries = 100000;                         ///< per cache; bounds memory
  CacheClock clock = &std::chrono::steady_clock::now;    ///< tests inject one
};

class GrpcDirectoryClient final : public DirectoryClient {
 public:
  GrpcDirectoryClient(std::shared_ptr<grpc::Channel> channel, DirectoryClientOptions options);


  AuthAnswer authenticate(const std::string& user, const std::string& password, const std::string& client_ip) override;
  std::optional<std::vector<std::string>> sender_addresses(int64_t account_id) override;
  /// A cached "has room for n bytes" also answers smaller sizes, a cached
  /// "full for n bytes" larger ones; existence does not depend on the size.
  RecipientAnswer check_recipient(const std::string& address, uint64_t size) override;
  /// False while the channel is in TRANSIENT_FAILURE or SHUTDOWN; asks an
  /// idle channel to connect, so that a later call finds it ready.
  bool ready() override;
  /// Drops the account's cached logins and sender addresses.
  void forget_account(int64_t account_id) override;
  /// Drops what a change notice names: one account's logins, sender list
  /// and recipient answer, or every cached answer.
  void apply(const ChangeNotice& notice);

 private:
  struct CachedRecipient {
    RecipientAnswer answer;
    uint64_t size;  ///< the size the answer was given for
  };

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Directory::Stub> stub_;
  DirectoryClientOptions options_;
  TtlCache<std::string, AuthAnswer> auth_cache_;
  TtlCache<int64_t, std::vector<std::string>> sender_cache_;
  TtlCache<std::string, CachedRecipient> recipient_cache_;
};

}  // namespace mail::directory
