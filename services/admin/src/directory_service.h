// SPDX-License-Identifier: Apache-2.0
// gRPC Directory (mail.directory.v1): the questions msa, pop3 and imap ask
// (password check, sender addresses, recipient check), over a
// directory::Directory. Synchronous handlers on gRPC's thread pool.
// Trusts: nothing in the requests. Logs failed logins (user, client IP,
// protocol), never passwords.
#pragma once
#include "mail/directory/directory.h"
#include "mail/directory/v1/directory.grpc.pb.h"
#include "rpc_metrics.h"

namespace mail::admin {

class DirectoryService final : public mail::directory::v1::Directory::Service {
 public:
  DirectoryService(directory::Directory& dir, RpcMetrics& metrics) : dir_(dir), metrics_(metrics) {}

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
};

}  // namespace mail::admin
