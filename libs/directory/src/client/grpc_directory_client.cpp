// SPDX-License-Identifier: Apache-2.0
// GrpcDirectoryClient (see grpc_directory_client.h): the Directory contract's
// status mapping (INVALID_ARGUMENT, NOT_FOUND = refused; anything else, our
// own credentials refused included, = retry later) and the caches.
// Errors are logged with the call and the gRPC status, never a credential.
#include "mail/directory/client/grpc_directory_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "mail/common/log.h"
#include "mail/common/strings.h"

namespace mail::directory {
namespace pb = v1;

namespace {

void set_deadline(grpc::ClientContext& ctx, std::chrono::milliseconds d) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
}

void log_failure(const char* call, const grpc::Status& st) {
  log::warn("directory call failed",
            {{"call", call}, {"code", static_cast<int>(st.error_code())}, {"error", st.error_message()}});
}

/// The codes with which the directory refuses the question itself.
bool is_refusal(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND: return true;
    // UNAUTHENTICATED / PERMISSION_DENIED refuse *this service* (its token),
    // not the user: a configuration fault, answered as "try later" and logged.
    default: return false;
  }
}

}  // namespace

GrpcDirectoryClient::GrpcDirectoryClient(std::shared_ptr<grpc::Channel> channel, DirectoryClientOptions options)
    : channel_(std::move(channel)),
      stub_(pb::Directory::NewStub(channel_)),
      options_(std::move(options)),
      auth_cache_(options_.cache_ttl, options_.cache_entries, options_.clock),
      sender_cache_(options_.cache_ttl, options_.cache_entries, options_.clock),
      recipient_cache_(options_.recipient_cache_ttl, options_.cache_entries, options_.clock) {}

AuthAnswer GrpcDirectoryClient::authenticate(const std::string& user, const std::string& password,
                                             const std::string& client_ip) {
  const std::string key = auth_cache_.enabled() ? auth_cache_key(user, password) : std::string();
  if (!key.empty())
    if (auto hit = auth_cache_.get(key)) return *hit;

  pb::AuthenticateRequest req;
  req.set_username(user);
  req.set_password(password);
  req.set_client_ip(client_ip);
  req.set_protocol(options_.protocol);
  pb::AuthenticateReply rep;
  grpc::ClientContext ctx;
  set_deadline(ctx, options_.deadline);
  const grpc::Status st = stub_->Authenticate(&ctx, req, &rep);
  // The request held the password: clear our copy before it is freed.
  req.mutable_password()->assign(req.password().size(), '\0');

  AuthAnswer a;
  if (!st.ok()) {
    if (is_refusal(st.error_code())) {
      a.status = AuthAnswer::Status::kDenied;
    } else {
      log_failure("Authenticate", st);
      a.status = AuthAnswer::Status::kUnavailable;
    }
    return a;
  }
  if (!rep.ok() || rep.account_id() <= 0) {
    a.status = AuthAnswer::Status::kDenied;
    return a;
  }
  a.status = AuthAnswer::Status::kOk;
  a.account_id = rep.account_id();
  a.address = common::normalize_address(rep.address());
  if (a.address.empty()) a.address = common::normalize_address(user);
  if (!key.empty()) auth_cache_.put(key, a);
  return a;
}

std::optional<std::vector<std::string>> GrpcDirectoryClient::sender_addresses(int64_t account_id) {
  if (auto hit = sender_cache_.get(account_id)) return hit;
  pb::SenderAddressesRequest req;
  req.set_account_id(account_id);
  pb::SenderAddressesReply rep;
  grpc::ClientContext ctx;
  set_deadline(ctx, options_.deadline);
  const grpc::Status st = stub_->SenderAddresses(&ctx, req, &rep);
  if (!st.ok()) {
    log_failure("SenderAddresses", st);
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& a : rep.addresses()) {
    std::string n = common::normalize_address(a);
    if (!n.empty()) out.push_back(std::move(n));
  }
  sender_cache_.put(account_id, out);
  return out;
}

RecipientAnswer GrpcDirectoryClient::check_recipient(const std::string& address, uint64_t size) {
  if (auto hit = recipient_cache_.get(address)) {
    // "Fits" holds for smaller messages, "full" for larger ones.
    bool reuse = true;
    if (hit->answer.verdict == RecipientVerdict::kLocalOk) reuse = size <= hit->size;
    if (hit->answer.verdict == RecipientVerdict::kLocalOverQuota || hit->answer.verdict == RecipientVerdict::kLocalTooLarge)
      reuse = size >= hit->size;
    if (reuse) return hit->answer;
  }
  pb::CheckRecipientRequest req;
  req.set_address(address);
  req.set_size(size);
  pb::CheckRecipientReply rep;
  grpc::ClientContext ctx;
  set_deadline(ctx, options_.deadline);
  const grpc::Status st = stub_->CheckRecipient(&ctx, req, &rep);
  RecipientAnswer a;
  if (!st.ok()) {
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      a.verdict = RecipientVerdict::kBadAddress;
    } else {
      log_failure("CheckRecipient", st);
      a.verdict = RecipientVerdict::kUnavailable;
    }
    return a;
  }
  switch (rep.status()) {
    case pb::LOCAL_OK: a.verdict = RecipientVerdict::kLocalOk; break;
    case pb::LOCAL_UNKNOWN: a.verdict = RecipientVerdict::kLocalUnknown; break;
    case pb::LOCAL_OVER_QUOTA: a.verdict = RecipientVerdict::kLocalOverQuota; break;
    case pb::LOCAL_TOO_LARGE: a.verdict = RecipientVerdict::kLocalTooLarge; break;
    case pb::NOT_LOCAL: a.verdict = RecipientVerdict::kNotLocal; break;
    default:
      log::warn("directory answered an unknown recipient status", {{"status", static_cast<int>(rep.status())}});
      a.verdict = RecipientVerdict::kUnavailable;
      return a;
  }
  a.normalized = common::normalize_address(rep.normalized());
  if (a.normalized.empty()) a.normalized = address;
  recipient_cache_.put(address, CachedRecipient{a, size});
  return a;
}

void GrpcDirectoryClient::forget_account(int64_t account_id) {
  auth_cache_.erase_if([account_id](const AuthAnswer& a) { return a.account_id == account_id; });
  sender_cache_.erase(account_id);
}

void GrpcDirectoryClient::apply(const ChangeNotice& notice) {
  if (notice.all) {
    auth_cache_.clear();
    sender_cache_.clear();
    recipient_cache_.clear();
    return;
  }
  forget_account(notice.account_id);
  if (notice.address.empty()) return;
  // Logins of an earlier account with this address (deleted, then added
  // again) go too: they would carry its old id.
  const std::string address = common::normalize_address(notice.address);
  auth_cache_.erase_if([&](const AuthAnswer& a) { return a.address == address; });
  recipient_cache_.erase(address);
}

bool GrpcDirectoryClient::ready() {
  const auto s = channel_->GetState(true);
  return s != GRPC_CHANNEL_TRANSIENT_FAILURE && s != GRPC_CHANNEL_SHUTDOWN;
}

}  // namespace mail::directory
