// SPDX-License-Identifier: Apache-2.0
// CallGuard: the first line of every gRPC handler of an API. It reads the
// caller's bearer token ("authorization: Bearer <token>" metadata), names the
// caller from the process's CallerTokens, and checks that the caller is one
// this API accepts:
//   no token, or a token no caller has  -> UNAUTHENTICATED
//   a known caller this API does not take -> PERMISSION_DENIED
// Every refusal is logged (API, method, peer, reason; never the token) and
// counted in
//   mail_rpc_refused_total{api, reason="missing|unknown|forbidden"}
// With client certificates on (tls.h), a call without a token is named by
// its verified certificate's common name instead.
// Only what an accepted caller claims in a request (client IP, protocol,
// authenticated user) is believed by the handler that follows.
// Thread-safe after construction.
#pragma once
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mail/common/config.h"
#include "mail/metrics/registry.h"
#include "mail/rpc/tokens.h"

namespace mail::rpc {

/// The callers an API accepts: config auth.allow.<api> (a list of names),
/// else `defaults`.
std::vector<std::string> allowed_callers(const common::Config& config, const std::string& api,
                                         std::vector<std::string> defaults);

class CallGuard {
 public:
  /// `api` names the API in logs and metrics ("admin", "directory", ...).
  /// ConfigError when `allowed` names a caller that `tokens` does not know
  /// (a typo would otherwise refuse that service's every call).
  CallGuard(const CallerTokens& tokens, std::string api, const std::vector<std::string>& allowed,
            metrics::Registry& metrics);

  /// OK (and the caller's name in *caller) or the refusal to return.
  grpc::Status check(const grpc::ServerContext& ctx, const char* method, std::string* caller = nullptr) const;

 private:
  const CallerTokens& tokens_;
  std::string api_;
  std::set<std::string> allowed_;
  prometheus::Counter& missing_;
  prometheus::Counter& unknown_;
  prometheus::Counter& forbidden_;
};

/// The common name of the caller's verified client certificate, if any.
std::optional<std::string> certificate_name(const grpc::ServerContext& ctx);

/// The bearer token in `ctx`'s metadata; empty when there is none.
std::string bearer_token(const grpc::ServerContext& ctx);

}  // namespace mail::rpc
