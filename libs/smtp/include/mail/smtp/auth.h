// SPDX-License-Identifier: Apache-2.0
// SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms.
//
// Pure helpers for a session: parse the AUTH arguments, decode SASL responses
// (strict base64, "*" cancels), decode PLAIN messages, and a small exchange
// object that drives PLAIN or LOGIN to a set of credentials. Everything read is
// untrusted; checking the credentials, lock-outs, and whether a mechanism may
// be used now (TLS first) is the session's business.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/smtp/command.h"
#include "mail/smtp/limits.h"

namespace mail::smtp {

/// `AUTH <mechanism> [initial-response]`.
struct AuthRequest {
  std::string mechanism;  ///< upper-cased
  /// Base64 text as sent ("" when the client sent "="); nullopt when absent.
  std::optional<std::string> initial_response;
};

/// Parses the argument of AUTH (the text after "AUTH "). Errors: 501 5.5.4
/// for a missing or malformed mechanism name or a malformed response.
std::variant<AuthRequest, ParseError> parse_auth_args(std::string_view args);

struct Credentials {
  std::string authzid;  ///< authorization identity; empty = same as authcid
  std::string authcid;  ///< the user name
  std::string password;
  bool operator==(const Credentials&) const = default;
};

/// Decodes a base64 PLAIN message ([authzid] NUL authcid NUL passwd). nullopt
/// on bad base64, a NUL count other than two, an empty authcid or password, or
/// identities that are not UTF-8.
std::optional<Credentials> decode_plain(std::string_view base64);
/// The same on the already decoded message.
std::optional<Credentials> parse_plain_message(std::string_view message);

/// The LOGIN mechanism's challenges, base64 of "Username:" and "Password:".
inline constexpr std::string_view kLoginUsernamePrompt = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";

/// "334 <base64 of challenge>\r\n" ("334 \r\n" for an empty challenge).
std::string format_challenge(std::string_view challenge);

/// Decodes one SASL response line (without CRLF). Errors: "*" → 501 5.0.0
/// (cancelled), a line over limits.max_auth_line → 500 5.5.6, bad base64 →
/// 501 5.5.2.
std::variant<std::string, ParseError> decode_sasl_response(std::string_view line, const Limits& limits = {});

/// Drives one PLAIN or LOGIN exchange:
///   auto step = exchange.start(request);
///   while (step.kind == SaslStep::kChallenge) { write(step.reply); step = exchange.step(read_line()); }
///   kDone → check step.credentials; kFailed → write(step.reply).
struct SaslStep {
  enum Kind { kChallenge, kDone, kFailed };
  Kind kind = kFailed;
  std::string reply;        ///< wire text to send (kChallenge, kFailed)
  Credentials credentials;  ///< kDone
};

class SaslExchange {
 public:
  explicit SaslExchange(const Limits& limits = {}) : limits_(limits) {}
  /// PLAIN or LOGIN; any other mechanism fails with 504 5.5.4.
  SaslStep start(const AuthRequest& request);
  /// The client's next line (without CRLF).
  SaslStep step(std::string_view line);

 private:
  enum class Phase { kIdle, kPlain, kLoginUser, kLoginPassword };
  SaslStep fail(ParseError error);
  SaslStep login_user(std::string user);

  Limits limits_;
  Phase phase_ = Phase::kIdle;
  std::string user_;
};

}  // namespace mail::smtp
