// SPDX-License-Identifier: Apache-2.0
// SMTP command parser (RFC 5321 4.1, SIZE RFC 1870, 8BITMIME RFC 6152,
// SMTPUTF8 RFC 6531, CHUNKING RFC 3030, AUTH RFC 4954).
//
// Pure: one command line in (without its CRLF), a Command or a ParseError out.
// The line is untrusted peer input; everything in it is validated and bounded
// by Limits. Policy (which verbs are allowed now, who may relay, which AUTH
// mechanisms are offered, recipient counts) belongs to the session.
//
// Leniency follows Postfix: verbs and parameter keywords are case-insensitive,
// spaces after "FROM:"/"TO:" are accepted, a bare address without angle
// brackets is accepted, and a source route is accepted and dropped.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/smtp/limits.h"
#include "mail/smtp/reply.h"

namespace mail::smtp {

enum class Verb { kHelo, kEhlo, kMail, kRcpt, kData, kBdat, kRset, kNoop, kQuit, kVrfy, kExpn, kHelp, kStarttls, kAuth };

/// The verb's wire name in upper case ("MAIL").
std::string_view verb_name(Verb verb);

/// MAIL BODY= parameter (RFC 6152); kUnspecified when absent.
enum class BodyType { kUnspecified, k7Bit, k8BitMime };

/// One ESMTP parameter as sent; keyword upper-cased, value verbatim.
struct Param {
  std::string keyword;
  std::optional<std::string> value;
  bool operator==(const Param&) const = default;
};

struct Command {
  Verb verb = Verb::kNoop;
  /// Everything after the verb and its space, surrounding blanks trimmed
  /// (the HELO/EHLO name, the VRFY string, ...).
  std::string argument;

  // MAIL and RCPT.
  /// The path without brackets and source route ("" for the null path).
  /// Quoted local parts are kept as sent, quotes included.
  std::string address;
  bool is_null = false;        ///< MAIL FROM:<>
  bool is_postmaster = false;  ///< RCPT TO:<postmaster> (any case, no domain)
  bool utf8_address = false;   ///< the address has non-ASCII (valid UTF-8) bytes
  std::vector<Param> params;   ///< all parameters, in order
  std::optional<uint64_t> size;  ///< MAIL SIZE=
  BodyType body = BodyType::kUnspecified;
  bool smtputf8 = false;  ///< MAIL ... SMTPUTF8

  // BDAT.
  uint64_t chunk_size = 0;
  bool last_chunk = false;

  // AUTH.
  std::string mechanism;  ///< upper-cased
  /// The initial response as sent (base64 text, not decoded); "" when the
  /// client sent "=" (an empty response); nullopt when there was none.
  std::optional<std::string> initial_response;
};

/// A syntax error, ready to send: 500 5.5.2 (unknown verb, bad line), 501
/// 5.5.4 (bad arguments), 501 5.1.7 / 5.1.3 (bad sender / recipient path),
/// 555 5.5.4 (unsupported parameter), 552 5.3.4 (SIZE too big), 553 5.6.7
/// (non-ASCII address without SMTPUTF8).
using ParseError = Reply;

/// Parses one command line (without CRLF). Lines longer than
/// limits.max_command_line (limits.max_auth_line for AUTH) are errors.
std::variant<Command, ParseError> parse_command(std::string_view line, const Limits& limits = {});

/// The reply for a command line that was longer than the session's read bound.
ParseError line_too_long_error();

}  // namespace mail::smtp
