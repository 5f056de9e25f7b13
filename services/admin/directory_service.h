// SPDX-License-Identifier: Apache-2.0
// gRPC Directory (mail.directory.v1): the questions msa, pop3 and imap ask
// (password check, sender addresses, recipient check), over a
// directory::Directory. Synchronous handlers on gRPC's thread pool.
// Trusts: only the edges' service tokens (CallGuard, api "directory"); the
// client IP and protocol they claim are believed because of that, and logged
// with the caller's name. Logs failed logins (user, client IP, protocol),
// never passwords.
#pragma once
#include "mail/directory/directory.h"
#include "mail/rpc/guard.h"
#include "mail/directory/v1/directory.grpc.pb.h"
#include "rpc_metrics.h"

namespace mail::admin {

class DirectoryService final : public mail::directory::v1::Directory::Service {
 public:
  DirectoryService(directory::Directory& dir, RpcMetrics& metrics, const rpc::CallGuard& guard)
      : dir_(dir), metrics_(metrics), guard_(guard) {}

  using Ctx = grpc::ServerContext;
  grpc::Status Authenticate(Ctx*, const mail::directory::v1::AuthenticateRequest*,
                            mail::directory::v1::AuthenticateReply*) override;
  grpc::Status SenderAddresses(Ctx*, const mail::directory::v1::SenderAddressesRequest*,
                               mail::directory::v1::SenderAddressesReply*) override;
  grpc::Status CheckRecipient(Ctx*, const mail::directory::v1::CheckRecipientRequest*,
                              mail::directory::v1::CheckRecipientReply*) override;

 private:
  directory::Directory& dir_;
  RpcMetrics& metrics_;
  const rpc::CallGuard& guard_;
};

}  // namespace mail::admin
