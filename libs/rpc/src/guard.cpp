// SPDX-License-Identifier: Apache-2.0
// CallGuard (see mail/rpc/guard.h).
#include "mail/rpc/guard.h"

#include <algorithm>

#include "mail/common/log.h"

namespace mail::rpc {
namespace {

constexpr std::string_view kBearer = "Bearer ";

prometheus::Counter& refused(metrics::Registry& m, const std::string& api, const char* reason) {
  return m.counter_family("mail_rpc_refused_total", "gRPC calls refused for missing, unknown or forbidden credentials")
      .Add({{"api", api}, {"reason", reason}});
}

}  // namespace

std::vector<std::string> allowed_callers(const common::Config& config, const std::string& api,
                                         std::vector<std::string> defaults) {
  auto raw = config.raw("auth.allow." + api);
  if (!raw) return defaults;
  return name_list(*raw);
}

std::optional<std::string> certificate_name(const grpc::ServerContext& ctx) {
  auto ac = ctx.auth_context();
  if (!ac || !ac->IsPeerAuthenticated()) return std::nullopt;
  auto cn = ac->FindPropertyValues("x509_common_name");
  if (cn.empty() || cn.front().empty()) return std::nullopt;
  return std::string(cn.front().data(), cn.front().size());
}

std::string bearer_token(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return {};
  std::string_view v(it->second.data(), it->second.size());
  if (v.size() <= kBearer.size() || v.substr(0, kBearer.size()) != kBearer) return {};
  return std::string(v.substr(kBearer.size()));
}

CallGuard::CallGuard(const CallerTokens& tokens, std::string api, const std::vector<std::string>& allowed,
                     metrics::Registry& metrics)
    : tokens_(tokens),
      api_(std::move(api)),
      allowed_(allowed.begin(), allowed.end()),
      missing_(refused(metrics, api_, "missing")),
      unknown_(refused(metrics, api_, "unknown")),
      forbidden_(refused(metrics, api_, "forbidden")) {
  if (tokens_.certificates()) return;  // callers may come by certificate alone
  const auto known = tokens_.names();
  for (const auto& name : allowed_)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw common::ConfigError("config auth.allow." + api_ + ": caller " + name +
                                " has no token (add it to auth.callers with auth.caller." + name + ".token_file)");
}

grpc::Status CallGuard::check(const grpc::ServerContext& ctx, const char* method, std::string* caller) const {
  const std::string token = bearer_token(ctx);
  const char* reason = nullptr;
  std::optional<std::string> who;
  if (token.empty() && tokens_.certificates()) who = certificate_name(ctx);
  if (who) {
    if (!allowed_.contains(*who)) {
      reason = "forbidden";
      forbidden_.Increment();
    }
  } else if (token.empty()) {
    reason = "missing";
    missing_.Increment();
  } else if (!(who = tokens_.identify(token))) {
    reason = "unknown";
    unknown_.Increment();
  } else if (!allowed_.contains(*who)) {
    reason = "forbidden";
    forbidden_.Increment();
  }
  if (!reason) {
    if (caller) *caller = *who;
    return grpc::Status::OK;
  }
  // const_cast: peer() is a read, but not declared const in gRPC 1.51.
  log::warn("rpc refused", {{"api", api_},
                            {"method", method},
                            {"reason", reason},
                            {"caller", who ? *who : std::string()},
                            {"peer", const_cast<grpc::ServerContext&>(ctx).peer()}});
  if (who) return {grpc::StatusCode::PERMISSION_DENIED, "caller " + *who + " may not use the " + api_ + " API"};
  return {grpc::StatusCode::UNAUTHENTICATED, token.empty() ? "credentials required (authorization: Bearer <token>)"
                                                           : "credentials not accepted"};
}

}  // namespace mail::rpc
