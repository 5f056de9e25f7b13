// SPDX-License-Identifier: Apache-2.0
// Directory gRPC client with TTL caches (see directory_client.h).
// Errors from the admin service are logged without any credential.
#include "directory_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/channel_arguments.h>
#include <openssl/evp.h>

#include "mail/common/log.h"
#include "mail/common/strings.h"

namespace mail::msa {
namespace pb = mail::directory::v1;

namespace {

std::string auth_key(const std::string& user, const std::string& password) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, user.data(), user.size()) == 1 && EVP_DigestUpdate(ctx, "\0", 1) == 1 &&
            EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 && EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};  // no caching rather than a wrong key
  return std::string(reinterpret_cast<const char*>(digest), len);
}

void set_deadline(grpc::ClientContext& ctx, std::chrono::milliseconds d) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
}

void log_failure(const char* call, const grpc::Status& st) {
  log::warn("directory call failed",
            {{"call", call}, {"code", static_cast<int>(st.error_code())}, {"error", st.error_message()}});
}

}  // namespace

grpc::ChannelArguments client_channel_arguments() {
  grpc::ChannelArguments args;
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also uses it as the connect
  // timeout, and a small value makes connecting fail on a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  return args;
}

DirectoryClient::DirectoryClient(std::shared_ptr<grpc::Channel> channel, DirectoryOptions options)
    : channel_(std::move(channel)),
      stub_(pb::Directory::NewStub(channel_)),
      options_(options),
      auth_cache_(options.cache_ttl, options.cache_entries),
      sender_cache_(options.cache_ttl, options.cache_entries),
      recipient_cache_(options.recipient_cache_ttl, options.cache_entries) {}

AuthAnswer DirectoryClient::authenticate(const std::string& user, const std::string& password,
                                         const std::string& client_ip) {
  const std::string key = auth_key(user, password);
  if (!key.empty())
    if (auto hit = auth_cache_.get(key)) return *hit;

  pb::AuthenticateRequest req;
  req.set_username(user);
  req.set_password(password);
  req.set_client_ip(client_ip);
  req.set_protocol("smtp");
  pb::AuthenticateReply rep;
  grpc::ClientContext ctx;
  set_deadline(ctx, options_.deadline);
  grpc::Status st = stub_->Authenticate(&ctx, req, &rep);
  AuthAnswer a;
  if (st.ok()) {
    a.kind = rep.ok() ? AuthAnswer::kOk : AuthAnswer::kDenied;
    a.account_id = rep.account_id();
    a.address = common::normalize_address(rep.address());
    if (a.kind == AuthAnswer::kOk && a.address.empty()) a.address = common::normalize_address(user);
  } else {
    switch (st.error_code()) {
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::PERMISSION_DENIED:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::INVALID_ARGUMENT: a.kind = AuthAnswer::kDenied; break;
      default: log_failure("Authenticate", st); a.kind = AuthAnswer::kUnavailable;
    }
  }
  if (a.kind == AuthAnswer::kOk && !key.empty()) auth_cache_.put(key, a);
  return a;
}

std::optional<std::vector<std::string>> DirectoryClient::sender_addresses(int64_t account_id) {
  if (auto hit = sender_cache_.get(account_id)) return hit;
  pb::SenderAddressesRequest req;
  req.set_account_id(account_id);
  pb::SenderAddressesReply rep;
  grpc::ClientContext ctx;
  set_deadline(ctx, options_.deadline);
  grpc::Status st = stub_->SenderAddresses(&ctx, req, &rep);
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

RecipientAnswer DirectoryClient::check_recipient(const std::string& address, uint64_t size) {
  if (auto hit = recipient_cache_.get(address)) {
    // An answer about room depends on the size asked about: "fits" holds for
    // smaller messages, "full" for larger ones. Existence does not depend on it.
    bool reuse = true;
    if (hit->verdict == RecipientVerdict::kLocalOk) reuse = size <= hit->size;
    if (hit->verdict == RecipientVerdict::kLocalOverQuota) reuse = size >= hit->size;
    if (reuse) return RecipientAnswer{hit->verdict, hit->normalized};
  }
  pb::CheckRecipientRequest req;
  req.set_address(address);
  req.set_size(size);
  pb::CheckRecipientReply rep;
  grpc::ClientContext ctx;
  set_deadline(ctx, options_.deadline);
  grpc::Status st = stub_->CheckRecipient(&ctx, req, &rep);
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
  a.normalized = common::normalize_address(rep.normalized());
  if (a.normalized.empty()) a.normalized = address;
  switch (rep.status()) {
    case pb::LOCAL_OK: a.verdict = RecipientVerdict::kLocalOk; break;
    case pb::LOCAL_UNKNOWN: a.verdict = RecipientVerdict::kLocalUnknown; break;
    case pb::LOCAL_OVER_QUOTA: a.verdict = RecipientVerdict::kLocalOverQuota; break;
    case pb::NOT_LOCAL: a.verdict = RecipientVerdict::kNotLocal; break;
    default:
      log::warn("directory answered an unknown recipient status", {{"status", static_cast<int>(rep.status())}});
      a.verdict = RecipientVerdict::kUnavailable;
      return a;
  }
  recipient_cache_.put(address, CachedRecipient{a.verdict, a.normalized, size});
  return a;
}

bool DirectoryClient::ready() {
  auto s = channel_->GetState(true);
  return s != GRPC_CHANNEL_TRANSIENT_FAILURE && s != GRPC_CHANNEL_SHUTDOWN;
}

}  // namespace mail::msa
