// SPDX-License-Identifier: Apache-2.0
// Directory RPC handlers: authentication, sender addresses, recipient checks.
#include "directory_service.h"

#include "mail/common/log.h"
#include "status.h"

namespace mail::admin {
namespace {

namespace pb = mail::directory::v1;
constexpr const char* kService = "Directory";

std::string shown(const std::string& s, size_t max = 320) { return s.size() > max ? s.substr(0, max) + "..." : s; }

grpc::Status failed(const char* method, const directory::Error& e) {
  if (e.code == directory::ErrorCode::unavailable || e.code == directory::ErrorCode::internal)
    log::error("directory request failed", {{"method", method}, {"code", directory::to_string(e.code)}, {"error", e.message}});
  return to_grpc_status(e);
}

}  // namespace

grpc::Status DirectoryService::Authenticate(Ctx* ctx, const pb::AuthenticateRequest* req, pb::AuthenticateReply* rep) {
  RpcTimer t(metrics_, kService, "Authenticate");
  std::string caller;
  if (auto st = guard_.check(*ctx, "Authenticate", &caller); !st.ok()) return t.finish(st);
  auto r = dir_.authenticate(req->username(), req->password());
  if (!r) {
    metrics_.auth("error");
    return t.finish(failed("Authenticate", r.error()));
  }
  const auto& who = *r;
  if (!who) {
    metrics_.auth("fail");
    log::info("authentication failed", {{"user", shown(req->username())},
                                        {"client_ip", shown(req->client_ip(), 64)},
                                        {"protocol", shown(req->protocol(), 16)},
                                        {"caller", caller}});
    rep->set_ok(false);
    return t.finish(grpc::Status::OK);
  }
  metrics_.auth("ok");
  log::debug("authenticated", {{"user", who->address}, {"client_ip", shown(req->client_ip(), 64)},
                               {"protocol", shown(req->protocol(), 16)}});
  rep->set_ok(true);
  rep->set_account_id(who->account_id);
  rep->set_address(who->address);
  return t.finish(grpc::Status::OK);
}

grpc::Status DirectoryService::SenderAddresses(Ctx* ctx, const pb::SenderAddressesRequest* req,
                                               pb::SenderAddressesReply* rep) {
  RpcTimer t(metrics_, kService, "SenderAddresses");
  if (auto st = guard_.check(*ctx, "SenderAddresses"); !st.ok()) return t.finish(st);
  auto r = dir_.sender_addresses(req->account_id());
  if (!r) return t.finish(failed("SenderAddresses", r.error()));
  for (const auto& a : *r) rep->add_addresses(a);
  return t.finish(grpc::Status::OK);
}

grpc::Status DirectoryService::CheckRecipient(Ctx* ctx, const pb::CheckRecipientRequest* req,
                                              pb::CheckRecipientReply* rep) {
  RpcTimer t(metrics_, kService, "CheckRecipient");
  if (auto st = guard_.check(*ctx, "CheckRecipient"); !st.ok()) return t.finish(st);
  auto r = dir_.check_recipient(req->address(), req->size());
  if (!r) return t.finish(failed("CheckRecipient", r.error()));
  using S = directory::RecipientStatus;
  switch (r->status) {
    case S::local_ok:
      rep->set_status(pb::LOCAL_OK);
      metrics_.recipient("local_ok");
      break;
    case S::local_unknown:
      rep->set_status(pb::LOCAL_UNKNOWN);
      metrics_.recipient("local_unknown");
      break;
    case S::local_over_quota:
      rep->set_status(pb::LOCAL_OVER_QUOTA);
      metrics_.recipient("local_over_quota");
      break;
    case S::local_too_large:
      rep->set_status(pb::LOCAL_TOO_LARGE);
      metrics_.recipient("local_too_large");
      break;
    case S::not_local:
      rep->set_status(pb::NOT_LOCAL);
      metrics_.recipient("not_local");
      break;
  }
  rep->set_normalized(r->normalized);
  return t.finish(grpc::Status::OK);
}

}  // namespace mail::admin
