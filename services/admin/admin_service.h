// SPDX-License-Identifier: Apache-2.0
// gRPC Admin (mail.admin.v1): domains, accounts and aliases, served over a
// directory::Directory. Synchronous handlers: they run on gRPC's own bounded
// thread pool, where blocking on the database is allowed.
// Trusts: only callers with an administrator's token (CallGuard, api
// "admin"); nothing in the requests (the directory validates every name;
// throttle addresses must parse as IP addresses).
// After each committed change that a cache of the edges may hold (password,
// account deleted or added, quota, aliases) it publishes a change notice.
// Logs every change and every refusal with the caller's peer address; never
// passwords.
#pragma once
#include "mail/admin/v1/admin.grpc.pb.h"
#include "mail/directory/client/change_notices.h"
#include "mail/directory/directory.h"
#include "mail/directory/login_throttle.h"
#include "mail/rpc/guard.h"
#include "rpc_metrics.h"

namespace mail::admin {

class AdminService final : public mail::admin::v1::Admin::Service {
 public:
  /// `throttle`: the admin's own handle on the edges' shared login
  /// throttle (protocol "admin"); null: the throttle RPCs answer UNAVAILABLE.
  AdminService(directory::Directory& dir, RpcMetrics& metrics, const rpc::CallGuard& guard,
               directory::ChangePublisher& notices, directory::LoginThrottle* throttle = nullptr)
      : dir_(dir), metrics_(metrics), guard_(guard), notices_(notices), throttle_(throttle) {}

  using Ctx = grpc::ServerContext;
  grpc::Status AddDomain(Ctx*, const v1::DomainRequest*, v1::Domain*) override;
  grpc::Status DeleteDomain(Ctx*, const v1::DomainRequest*, v1::Empty*) override;
  grpc::Status ListDomains(Ctx*, const v1::ListDomainsRequest*, v1::ListDomainsReply*) override;
  grpc::Status AddAccount(Ctx*, const v1::AddAccountRequest*, v1::Account*) override;
  grpc::Status DeleteAccount(Ctx*, const v1::AccountRequest*, v1::Empty*) override;
  grpc::Status GetAccount(Ctx*, const v1::AccountRequest*, v1::Account*) override;
  grpc::Status ListAccounts(Ctx*, const v1::ListAccountsRequest*, v1::ListAccountsReply*) override;
  grpc::Status SetPassword(Ctx*, const v1::SetPasswordRequest*, v1::Empty*) override;
  grpc::Status SetQuota(Ctx*, const v1::SetQuotaRequest*, v1::Account*) override;
  grpc::Status SetDisabled(Ctx*, const v1::SetDisabledRequest*, v1::Account*) override;
  grpc::Status AddAlias(Ctx*, const v1::AddAliasRequest*, v1::Alias*) override;
  grpc::Status DeleteAlias(Ctx*, const v1::DeleteAliasRequest*, v1::Empty*) override;
  grpc::Status ListAliases(Ctx*, const v1::ListAliasesRequest*, v1::ListAliasesReply*) override;
  grpc::Status ClearLoginThrottle(Ctx*, const v1::ClearLoginThrottleRequest*, v1::ClearLoginThrottleReply*) override;
  grpc::Status GetLoginThrottle(Ctx*, const v1::GetLoginThrottleRequest*, v1::LoginThrottleState*) override;

 private:
  void notify_account(int64_t id, const std::string& address);
  void notify_all();

  directory::Directory& dir_;
  RpcMetrics& metrics_;
  const rpc::CallGuard& guard_;
  directory::ChangePublisher& notices_;
  directory::LoginThrottle* throttle_;
};

}  // namespace mail::admin
