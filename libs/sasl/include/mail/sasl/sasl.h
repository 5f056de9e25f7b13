// SPDX-License-Identifier: Apache-2.0
// sasl.h: the server side of the SASL mechanisms PLAIN (RFC 4616) and LOGIN
// (draft-murchison-sasl-login), for every protocol that authenticates (SMTP
// AUTH, RFC 4954; POP3 AUTH, RFC 5034; IMAP AUTHENTICATE, RFC 3501/9051).
//
// Pure: base64 text in (one response line as the client sent it, without
// CRLF), a challenge to send, the credentials, or a typed Error out. No I/O,
// no logging, no knowledge of any protocol's reply syntax: each protocol maps
// Challenge and Error to its own wire text ("334 ..." / "+ ..."; 501 5.5.2 /
// "-ERR ..."). Which mechanisms may be used now (TLS first), checking the
// password and throttling are the session's business.
//
// Trusts nothing it is given. Base64 is decoded strictly (common::base64);
// "*" cancels; every field is bounded by Limits; the identities must be UTF-8
// without NUL; the password is bytes (anything but NUL) and is never
// interpreted. An authorization identity other than the authentication
// identity is refused (no proxy authorization) with its own error, so that a
// protocol can treat it as a failed login rather than a syntax error.
//
// Diagnostics: none here; error_name() gives a stable label for logs and
// metrics. Never log Credentials::password (nor a response line).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mail::sasl {

enum class Mechanism { kPlain, kLogin };

/// The mechanism named (case-insensitively, as clients send "auth login");
/// nullopt for any other name, which the protocol refuses as unsupported.
std::optional<Mechanism> find_mechanism(std::string_view name);
/// "PLAIN", "LOGIN".
std::string_view mechanism_name(Mechanism mechanism);
/// Every mechanism, in the order servers announce them: "PLAIN LOGIN"
/// (SMTP EHLO AUTH, POP3 CAPA SASL, IMAP AUTH=).
std::vector<std::string_view> mechanism_names();

/// Bounds of one exchange. A response longer than max_response is refused
/// before it is decoded.
struct Limits {
  /// One client response as sent, base64, without CRLF (RFC 4954 4: at least
  /// 12288 octets must be accepted for a whole AUTH line).
  size_t max_response = 12288;
  /// Decoded octets of the authentication and authorization identities
  /// (RFC 4616 2: servers must take at least 255).
  size_t max_identity = 1024;
  /// Decoded octets of the password.
  size_t max_password = 1024;
};

/// Why an exchange ended without credentials. Each protocol maps these to
/// its replies in one place.
enum class Error {
  kCancelled,        ///< the client sent "*"
  kTooLong,          ///< a response over Limits::max_response
  kBadBase64,        ///< not strict padded base64
  kMalformed,        ///< PLAIN without exactly two NULs; an empty user name or password; NUL in a LOGIN field
  kNotUtf8,          ///< an identity that is not UTF-8
  kFieldTooLong,     ///< an identity or the password over its Limits bound
  kAuthzidMismatch,  ///< an authorization identity other than the authentication identity
  kNotInProgress,    ///< respond() with no exchange waiting for a response (a caller bug)
};

/// A stable label: "cancelled", "too_long", "bad_base64", "malformed",
/// "not_utf8", "field_too_long", "authzid_mismatch", "not_in_progress".
std::string_view error_name(Error error);

/// What the client proved it knows. `authzid` is empty or names the same
/// account as `authcid` (see authzid_matches).
struct Credentials {
  std::string authzid;   ///< as sent; empty = none
  std::string authcid;   ///< the user name, UTF-8
  std::string password;  ///< bytes, never NUL
  bool operator==(const Credentials&) const = default;
  /// Overwrites the password in place (call as soon as it has been checked).
  void wipe();
};

/// A challenge to send: the server's data already base64-encoded ("" for
/// PLAIN's empty challenge; "VXNlcm5hbWU6" and "UGFzc3dvcmQ6" for LOGIN).
struct Challenge {
  std::string base64;
  bool operator==(const Challenge&) const = default;
};

/// One step of an exchange: send a challenge and call respond() with the
/// client's next line; or done, with credentials; or failed.
using Step = std::variant<Challenge, Credentials, Error>;

/// LOGIN's two prompts, base64 of "Username:" and "Password:".
inline constexpr std::string_view kLoginUsernamePrompt = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";

/// Decodes one response line: "*" → kCancelled, over max_response →
/// kTooLong, not strict base64 → kBadBase64; "" decodes to "".
std::variant<std::string, Error> decode_response(std::string_view line, const Limits& limits = {});

/// Checks a decoded PLAIN message: [authzid] NUL authcid NUL passwd.
std::variant<Credentials, Error> parse_plain(std::string_view message, const Limits& limits = {});

/// True when an authorization identity asks for nothing more than the
/// authentication identity: empty, byte-equal, or the same mail address once
/// both are normalized (case of the address, surrounding brackets).
bool authzid_matches(std::string_view authzid, std::string_view authcid);

/// One PLAIN or LOGIN exchange:
///
///   sasl::Exchange x(mechanism, limits);
///   sasl::Step s = x.start(initial_response);
///   while (auto* c = std::get_if<sasl::Challenge>(&s)) { send(c->base64); s = x.respond(read_line()); }
///   Credentials → check the password; Error → the protocol's reply.
///
/// After Credentials or an Error the exchange is over; start() begins a new one.
class Exchange {
 public:
  explicit Exchange(Mechanism mechanism, const Limits& limits = {}) : mechanism_(mechanism), limits_(limits) {}
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Starts the exchange. `initial_response` is the base64 text sent with
  /// the command (SASL-IR, SMTP AUTH <mech> <ir>, POP3 AUTH <mech> <ir>),
  /// where "=" stands for an empty response; nullopt when none was sent.
  Step start(std::optional<std::string_view> initial_response);
  /// The client's next line (without CRLF).
  Step respond(std::string_view line);
  /// True while a challenge waits for its response.
  bool in_progress() const { return phase_ != Phase::kIdle; }
  Mechanism mechanism() const { return mechanism_; }

 private:
  enum class Phase { kIdle, kPlain, kLoginUser, kLoginPassword };
  Step on_decoded(std::string decoded);
  Step fail(Error error);

  Mechanism mechanism_;
  Limits limits_;
  Phase phase_ = Phase::kIdle;
  std::string user_;  ///< LOGIN: the user name, between the two prompts
};

}  // namespace mail::sasl
