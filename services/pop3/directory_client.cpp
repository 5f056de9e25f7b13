// SPDX-License-Identifier: Apache-2.0
// DirectoryClient (see directory_client.h): status mapping from the
// Directory contract (UNAVAILABLE = retry later, INVALID_ARGUMENT = refused).
#include "directory_client.h"

#include "helpers.h"
#include "mail/common/log.h"

namespace mail::pop3d {

namespace pb = mail::directory::v1;

DirectoryClient::DirectoryClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds timeout,
                                 AuthCache* cache)
    : channel_(std::move(channel)), stub_(pb::Directory::NewStub(channel_)), timeout_(timeout), cache_(cache) {}

AuthResult DirectoryClient::authenticate(const std::string& user, const std::string& password,
                                         const std::string& client_ip) {
  AuthResult out;
  std::string key = cache_ ? auth_cache_key(user, password) : std::string();
  if (cache_) {
    if (auto hit = cache_->get(key)) {
      out.status = AuthResult::Status::kOk;
      out.account_id = hit->account_id;
      out.address = std::move(hit->address);
      return out;
    }
  }

  pb::AuthenticateRequest req;
  req.set_username(user);
  req.set_password(password);
  req.set_client_ip(client_ip);
  req.set_protocol("pop3");
  pb::AuthenticateReply reply;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  grpc::Status st = stub_->Authenticate(&ctx, req, &reply);
  // The request held the password: clear our copy before it is freed.
  req.mutable_password()->assign(req.password().size(), '\0');

  if (!st.ok()) {
    switch (st.error_code()) {
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::PERMISSION_DENIED:
        out.status = AuthResult::Status::kFailed;
        return out;
      default:
        log::warn("directory authenticate failed",
                  {{"code", static_cast<int>(st.error_code())}, {"error", st.error_message()}});
        out.status = AuthResult::Status::kUnavailable;
        return out;
    }
  }
  if (!reply.ok() || reply.account_id() <= 0) {
    out.status = AuthResult::Status::kFailed;
    return out;
  }
  out.status = AuthResult::Status::kOk;
  out.account_id = reply.account_id();
  out.address = reply.address();
  if (cache_) cache_->put(key, CachedAuth{out.account_id, out.address});
  return out;
}

bool DirectoryClient::ready() { return channel_->GetState(true) != GRPC_CHANNEL_TRANSIENT_FAILURE; }

}  // namespace mail::pop3d
