// SPDX-License-Identifier: Apache-2.0
// The edges' view of the Directory (mail.directory.v1.Directory, served by
// the admin service): the answers they get and the interfaces their sessions
// hold, so that a session can be tested with a small fake of these instead
// of a gRPC server. GrpcDirectoryClient (grpc_directory_client.h) is the real
// one. No gRPC here: a policy or session header may include this cheaply.
//
// Every answer keeps "no" apart from "the directory could not answer now":
// the first is a permanent refusal, the second a temporary failure (SMTP 4xx,
// POP3/IMAP [SYS/TEMP] or [UNAVAILABLE]).
//
// All methods BLOCK (a network call with a deadline): sessions run them on
// the blocking pool, never on an I/O thread. They never throw for a refused
// or failed call.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::directory {

/// Key of the positive authentication caches: lower-case hex SHA-256 of
/// user NUL password, so that no cache holds a password in clear. Empty when
/// hashing failed; the caller then does not cache.
std::string auth_cache_key(std::string_view user, std::string_view password);

/// Directory.Authenticate's answer.
struct AuthAnswer {
  enum class Status {
    kOk,           ///< credentials accepted
    kDenied,       ///< wrong user or password, or refused by policy (lockout)
    kUnavailable,  ///< the directory could not answer now
  };
  Status status = Status::kUnavailable;
  int64_t account_id = 0;  ///< > 0 when kOk
  std::string address;     ///< the account's primary address, normalized (kOk)
};

/// Directory.CheckRecipient's answer, as a session sees it.
enum class RecipientVerdict {
  kLocalOk,         ///< exists and has room for the size asked about
  kLocalUnknown,    ///< one of our domains, no such user
  kLocalOverQuota,  ///< exists, no room for the size asked about
  kLocalTooLarge,   ///< exists, the size is above its whole quota: it never fits
  kNotLocal,        ///< not one of our domains
  kBadAddress,      ///< the directory refused the address as malformed
  kUnavailable,     ///< the directory could not answer now
};

struct RecipientAnswer {
  RecipientVerdict verdict = RecipientVerdict::kUnavailable;
  std::string normalized;  ///< the address as the directory normalized it
};

/// Checks credentials (passwords are any bytes). POP3 and IMAP sessions need
/// nothing more.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  /// `client_ip` goes to the directory's logs and lockout. The caller wipes
  /// its copy of `password` afterwards; implementations keep none.
  virtual AuthAnswer authenticate(const std::string& user, const std::string& password,
                                  const std::string& client_ip) = 0;
  /// Drops whatever is cached for the account (it changed, or is gone), so
  /// that the next question reaches the directory. Never blocks.
  virtual void forget_account(int64_t account_id) = 0;
};

/// Everything the msa asks.
class DirectoryClient : public Authenticator {
 public:
  /// The normalized addresses the account may send as (possibly none);
  /// nullopt when the directory could not answer.
  virtual std::optional<std::vector<std::string>> sender_addresses(int64_t account_id) = 0;

  /// Whether `address` (normalized) is one of ours and can take `size`
  /// bytes (0 = unknown).
  virtual RecipientAnswer check_recipient(const std::string& address, uint64_t size) = 0;

  /// For /readyz: false while the directory cannot be reached.
  virtual bool ready() = 0;
};

}  // namespace mail::directory
