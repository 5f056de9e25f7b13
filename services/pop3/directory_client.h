// SPDX-License-Identifier: Apache-2.0
// DirectoryClient: the Authenticator that asks the admin service's
// Directory.Authenticate over gRPC, with a positive AuthCache in front.
// Blocking (a synchronous stub call with a deadline): run it on the blocking
// pool. Trusts the admin service's answer, nothing else; gRPC failures other
// than "credentials refused" become kUnavailable ("-ERR [SYS/TEMP]").
#pragma once
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>

#include "auth_cache.h"
#include "backends.h"
#include "mail/directory/v1/directory.grpc.pb.h"

namespace mail::pop3d {

class DirectoryClient : public Authenticator {
 public:
  /// `cache` may be null (no caching); it must outlive the client.
  DirectoryClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds timeout, AuthCache* cache);

  AuthResult authenticate(const std::string& user, const std::string& password, const std::string& client_ip) override;

  /// For /readyz: false while the channel is in TRANSIENT_FAILURE. Asks an
  /// idle channel to connect, so that a later call finds it ready.
  bool ready();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<mail::directory::v1::Directory::Stub> stub_;
  std::chrono::milliseconds timeout_;
  AuthCache* cache_;
};

}  // namespace mail::pop3d
