// SPDX-License-Identifier: Apache-2.0
// Admin RPC handlers: request -> Directory call -> reply or mapped status.
#include "admin_service.h"

#include <arpa/inet.h>

#include "mail/common/log.h"
#include "status.h"

namespace mail::admin {
namespace {

constexpr const char* kService = "Admin";

// Request text in logs: bounded (logfmt escapes the rest).
std::string shown(const std::string& s) { return s.size() > 320 ? s.substr(0, 320) + "..." : s; }

// Logs an admin change; `subject` is the domain or address it acts on.
void changed(const char* what, grpc::ServerContext* ctx, const std::string& subject) {
  log::info(what, {{"subject", shown(subject)}, {"peer", ctx->peer()}});
}

// Logs a refused or failed call and returns its status.
grpc::Status refused(const char* method, grpc::ServerContext* ctx, const std::string& subject,
                     const directory::Error& e) {
  bool ours = e.code == directory::ErrorCode::unavailable || e.code == directory::ErrorCode::internal;
  log::write(ours ? log::Level::error : log::Level::info, ours ? "admin request failed" : "admin request refused",
             {{"method", method},
              {"subject", shown(subject)},
              {"code", directory::to_string(e.code)},
              {"error", e.message},
              {"peer", ctx->peer()}});
  return to_grpc_status(e);
}

void fill(v1::Account* out, const directory::AccountInfo& a) {
  out->set_id(a.id);
  out->set_address(a.address);
  out->set_quota_bytes(a.quota_bytes);
  out->set_used_bytes(a.used_bytes);
  out->set_messages(a.messages);
  out->set_disabled(a.disabled);
}

// An IPv4 or IPv6 address as text (what the throttle counts by).
bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

grpc::Status invalid(const std::string& why) { return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why); }

grpc::Status no_throttle() { return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the login throttle is not configured"); }

}  // namespace

void AdminService::notify_account(int64_t id, const std::string& address) {
  if (id > 0) notices_.publish(directory::ChangeNotice{.all = false, .account_id = id, .address = address});
}

void AdminService::notify_all() { notices_.publish(directory::ChangeNotice{}); }

grpc::Status AdminService::AddDomain(Ctx* ctx, const v1::DomainRequest* req, v1::Domain* rep) {
  RpcTimer t(metrics_, kService, "AddDomain");
  if (auto st = guard_.check(*ctx, "AddDomain"); !st.ok()) return t.finish(st);
  auto r = dir_.add_domain(req->name());
  if (!r) return t.finish(refused("AddDomain", ctx, req->name(), r.error()));
  changed("domain added", ctx, r->name);
  rep->set_name(r->name);
  rep->set_accounts(r->accounts);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::DeleteDomain(Ctx* ctx, const v1::DomainRequest* req, v1::Empty*) {
  RpcTimer t(metrics_, kService, "DeleteDomain");
  if (auto st = guard_.check(*ctx, "DeleteDomain"); !st.ok()) return t.finish(st);
  // The API has no "force": a domain with accounts is refused (FAILED_PRECONDITION).
  auto r = dir_.delete_domain(req->name(), /*force=*/false);
  if (!r) return t.finish(refused("DeleteDomain", ctx, req->name(), r.error()));
  changed("domain deleted", ctx, req->name());
  notify_all();
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::ListDomains(Ctx* ctx, const v1::ListDomainsRequest*, v1::ListDomainsReply* rep) {
  RpcTimer t(metrics_, kService, "ListDomains");
  if (auto st = guard_.check(*ctx, "ListDomains"); !st.ok()) return t.finish(st);
  auto r = dir_.list_domains();
  if (!r) return t.finish(refused("ListDomains", ctx, "", r.error()));
  for (const auto& d : *r) {
    auto* out = rep->add_domains();
    out->set_name(d.name);
    out->set_accounts(d.accounts);
  }
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::AddAccount(Ctx* ctx, const v1::AddAccountRequest* req, v1::Account* rep) {
  RpcTimer t(metrics_, kService, "AddAccount");
  if (auto st = guard_.check(*ctx, "AddAccount"); !st.ok()) return t.finish(st);
  auto r = dir_.add_account(req->address(), req->password(), req->quota_bytes());
  if (!r) return t.finish(refused("AddAccount", ctx, req->address(), r.error()));
  log::info("account added", {{"subject", r->address}, {"quota_bytes", r->quota_bytes}, {"peer", ctx->peer()}});
  notify_account(r->id, r->address);  // an earlier account of that address may still be cached
  fill(rep, *r);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::DeleteAccount(Ctx* ctx, const v1::AccountRequest* req, v1::Empty*) {
  RpcTimer t(metrics_, kService, "DeleteAccount");
  if (auto st = guard_.check(*ctx, "DeleteAccount"); !st.ok()) return t.finish(st);
  auto before = dir_.get_account(req->address());
  auto r = dir_.delete_account(req->address());
  if (!r) return t.finish(refused("DeleteAccount", ctx, req->address(), r.error()));
  changed("account deleted", ctx, req->address());
  if (before) notify_account(before->id, before->address);
  else notify_all();
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::GetAccount(Ctx* ctx, const v1::AccountRequest* req, v1::Account* rep) {
  RpcTimer t(metrics_, kService, "GetAccount");
  if (auto st = guard_.check(*ctx, "GetAccount"); !st.ok()) return t.finish(st);
  auto r = dir_.get_account(req->address());
  if (!r) return t.finish(refused("GetAccount", ctx, req->address(), r.error()));
  fill(rep, *r);
  auto as = dir_.sender_addresses(r->id);
  if (!as) return t.finish(refused("GetAccount", ctx, req->address(), as.error()));
  for (const auto& a : *as) rep->add_send_as(a);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::ListAccounts(Ctx* ctx, const v1::ListAccountsRequest* req, v1::ListAccountsReply* rep) {
  RpcTimer t(metrics_, kService, "ListAccounts");
  if (auto st = guard_.check(*ctx, "ListAccounts"); !st.ok()) return t.finish(st);
  auto r = dir_.list_accounts(req->domain());
  if (!r) return t.finish(refused("ListAccounts", ctx, req->domain(), r.error()));
  for (const auto& a : *r) fill(rep->add_accounts(), a);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::SetPassword(Ctx* ctx, const v1::SetPasswordRequest* req, v1::Empty*) {
  RpcTimer t(metrics_, kService, "SetPassword");
  if (auto st = guard_.check(*ctx, "SetPassword"); !st.ok()) return t.finish(st);
  auto before = dir_.get_account(req->address());
  auto r = dir_.set_password(req->address(), req->password());
  if (!r) return t.finish(refused("SetPassword", ctx, req->address(), r.error()));
  changed("password changed", ctx, req->address());
  if (before) notify_account(before->id, before->address);
  else notify_all();
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::SetQuota(Ctx* ctx, const v1::SetQuotaRequest* req, v1::Account* rep) {
  RpcTimer t(metrics_, kService, "SetQuota");
  if (auto st = guard_.check(*ctx, "SetQuota"); !st.ok()) return t.finish(st);
  auto r = dir_.set_quota(req->address(), req->quota_bytes());
  if (!r) return t.finish(refused("SetQuota", ctx, req->address(), r.error()));
  log::info("quota changed", {{"subject", r->address}, {"quota_bytes", r->quota_bytes}, {"peer", ctx->peer()}});
  notify_account(r->id, r->address);
  fill(rep, *r);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::SetDisabled(Ctx* ctx, const v1::SetDisabledRequest* req, v1::Account* rep) {
  RpcTimer t(metrics_, kService, "SetDisabled");
  if (auto st = guard_.check(*ctx, "SetDisabled"); !st.ok()) return t.finish(st);
  auto r = dir_.set_disabled(req->address(), req->disabled());
  if (!r) return t.finish(refused("SetDisabled", ctx, req->address(), r.error()));
  changed(r->disabled ? "account disabled" : "account enabled", ctx, r->address);
  notify_account(r->id, r->address);  // a disabled account's cached logins end now
  fill(rep, *r);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::AddAlias(Ctx* ctx, const v1::AddAliasRequest* req, v1::Alias* rep) {
  RpcTimer t(metrics_, kService, "AddAlias");
  if (auto st = guard_.check(*ctx, "AddAlias"); !st.ok()) return t.finish(st);
  std::vector<std::string> targets(req->targets().begin(), req->targets().end());
  auto r = dir_.add_alias(req->address(), targets);
  if (!r) return t.finish(refused("AddAlias", ctx, req->address(), r.error()));
  log::info("alias targets added",
            {{"subject", r->address}, {"added", static_cast<int64_t>(targets.size())},
             {"targets", static_cast<int64_t>(r->targets.size())}, {"peer", ctx->peer()}});
  notify_all();  // sender addresses of the targets changed
  rep->set_address(r->address);
  for (const auto& target : r->targets) rep->add_targets(target);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::DeleteAlias(Ctx* ctx, const v1::DeleteAliasRequest* req, v1::Empty*) {
  RpcTimer t(metrics_, kService, "DeleteAlias");
  if (auto st = guard_.check(*ctx, "DeleteAlias"); !st.ok()) return t.finish(st);
  auto r = dir_.delete_alias(req->address(), req->target());
  if (!r) return t.finish(refused("DeleteAlias", ctx, req->address(), r.error()));
  log::info(req->target().empty() ? "alias deleted" : "alias target removed",
            {{"subject", shown(req->address())}, {"target", shown(req->target())}, {"peer", ctx->peer()}});
  notify_all();
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::ListAliases(Ctx* ctx, const v1::ListAliasesRequest* req, v1::ListAliasesReply* rep) {
  RpcTimer t(metrics_, kService, "ListAliases");
  if (auto st = guard_.check(*ctx, "ListAliases"); !st.ok()) return t.finish(st);
  auto r = dir_.list_aliases(req->domain());
  if (!r) return t.finish(refused("ListAliases", ctx, req->domain(), r.error()));
  for (const auto& a : *r) {
    auto* out = rep->add_aliases();
    out->set_address(a.address);
    for (const auto& target : a.targets) out->add_targets(target);
  }
  return t.finish(grpc::Status::OK);
}

// The throttle calls block on Redis (short timeouts); gRPC's handler
// threads may block.
grpc::Status AdminService::ClearLoginThrottle(Ctx* ctx, const v1::ClearLoginThrottleRequest* req,
                                              v1::ClearLoginThrottleReply* rep) {
  RpcTimer t(metrics_, kService, "ClearLoginThrottle");
  if (auto st = guard_.check(*ctx, "ClearLoginThrottle"); !st.ok()) return t.finish(st);
  if (req->address().empty() == req->account().empty())
    return t.finish(invalid("name exactly one of address and account"));
  if (!req->address().empty() && !is_ip(req->address()))
    return t.finish(invalid("not an IP address: " + shown(req->address())));
  if (!throttle_) return t.finish(no_throttle());
  const bool by_address = !req->address().empty();
  const int64_t n = by_address ? throttle_->clear_address(req->address()) : throttle_->clear_account(req->account());
  if (n < 0) {
    log::error("login throttle not cleared: redis unreachable", {{"peer", ctx->peer()}});
    return t.finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis unreachable: the shared counts were not cleared"));
  }
  // The account is logged as given: the administrator typed it.
  log::info("login throttle cleared", {{by_address ? "address" : "account", shown(by_address ? req->address() : req->account())},
                                       {"keys", n},
                                       {"peer", ctx->peer()}});
  rep->set_keys_deleted(n);
  return t.finish(grpc::Status::OK);
}

grpc::Status AdminService::GetLoginThrottle(Ctx* ctx, const v1::GetLoginThrottleRequest* req,
                                            v1::LoginThrottleState* rep) {
  RpcTimer t(metrics_, kService, "GetLoginThrottle");
  if (auto st = guard_.check(*ctx, "GetLoginThrottle"); !st.ok()) return t.finish(st);
  if (req->address().empty() && req->account().empty()) return t.finish(invalid("name an address, an account or both"));
  if (!req->address().empty() && !is_ip(req->address()))
    return t.finish(invalid("not an IP address: " + shown(req->address())));
  if (!throttle_) return t.finish(no_throttle());
  const directory::ThrottleState s = throttle_->state(req->address(), req->account());
  rep->set_address_failures(s.address_failures);
  rep->set_pair_failures(s.pair_failures);
  rep->set_account_failures(s.account_failures);
  rep->set_address_blocked_ms(s.address_blocked.count());
  rep->set_pair_blocked_ms(s.pair_blocked.count());
  rep->set_known(s.known);
  rep->set_shared(throttle_->shared());
  return t.finish(grpc::Status::OK);
}

}  // namespace mail::admin
