// SPDX-License-Identifier: Apache-2.0
// Service tokens: the bearer credentials with which the services trust one
// another (DESIGN.md, "Trust between services"). Each process presents one
// token of its own on every gRPC call it makes, and knows the tokens of the
// callers it accepts, each under a caller name ("msa", "pop3", "admin", ...).
//
// Configuration (YAML or MAIL_* overrides; tokens are secrets, so each key
// also takes KEY_file naming a file, which is how the scripts, compose and
// Helm give them):
//   auth.token / auth.token_file              this process's own token
//   auth.callers: [msa, pop3]                 the caller names it accepts
//   auth.caller.<name>.token / .token_file    each accepted caller's token
// A token is 16 to 4096 bytes of visible ASCII (trailing whitespace and
// newlines in a file are dropped). Errors: common::ConfigError at start-up.
//
// Trusts nothing presented to it: a presented token is hashed (SHA-256) and
// compared in constant time with every known token's hash; known tokens are
// kept only as hashes.
#pragma once
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/common/config.h"

namespace mail::rpc {

inline constexpr size_t kMinTokenBytes = 16;
inline constexpr size_t kMaxTokenBytes = 4096;

/// A token as given (trailing whitespace dropped), or ConfigError naming
/// `what` when it is too short, too long or not visible ASCII.
std::string checked_token(std::string text, const std::string& what);

/// This process's own token (auth.token or auth.token_file); ConfigError when
/// neither is set, or the token is malformed.
std::string own_token(const common::Config& config);

/// The tokens a process accepts, by caller name.
class CallerTokens {
 public:
  using Digest = std::array<unsigned char, 32>;

  /// Adds a caller; ConfigError for a malformed token, an empty or repeated
  /// name, or a token that another caller has already.
  void add(const std::string& name, std::string_view token);

  /// Every caller listed in auth.callers with its auth.caller.<name>.token.
  static CallerTokens from_config(const common::Config& config);

  /// The name of the caller whose token this is; nullopt for any other text.
  std::optional<std::string> identify(std::string_view token) const;

  bool empty() const { return callers_.empty(); }

  /// Whether callers may also be named by a verified client certificate
  /// (from_config: when grpc.tls.client_ca is set, see tls.h).
  void accept_certificates(bool on) { certificates_ = on; }
  bool certificates() const { return certificates_; }
  std::vector<std::string> names() const;

 private:
  struct Caller {
    std::string name;
    Digest digest;
  };
  std::vector<Caller> callers_;
  bool certificates_ = false;
};

/// "a, b,,c " -> {"a", "b", "c"}: the caller-name lists of the config.
std::vector<std::string> name_list(const std::string& text);

/// SHA-256 of `text`.
CallerTokens::Digest token_digest(std::string_view text);

}  // namespace mail::rpc
