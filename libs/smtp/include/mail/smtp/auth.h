// SPDX-License-Identifier: Apache-2.0
// SMTP AUTH (RFC 4954): the syntax of the AUTH command's arguments.
//
// Pure: the text after "AUTH " in, the mechanism name and the initial
// response as sent out, or a 501 ParseError. The SASL mechanisms themselves
// (base64, PLAIN, LOGIN, "*") are libs/sasl's, shared with POP3 and IMAP;
// checking the credentials, lock-outs, and whether a mechanism may be used
// now (TLS first) is the session's business.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/smtp/command.h"

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

}  // namespace mail::smtp
