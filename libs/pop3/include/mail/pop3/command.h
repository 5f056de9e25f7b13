// SPDX-License-Identifier: Apache-2.0
// POP3 command parser (RFC 1939, 2449 CAPA, 2595 STLS, 5034 AUTH, 6856 UTF8).
// SASL response lines during AUTH are libs/sasl's.
// Pure: one line in (without its CRLF), a Command or a typed Error out; no I/O.
// Trusts nothing in the line; every length is bounded by Limits.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/pop3/error.h"

namespace mail::pop3 {

/// Bounds for one client line, counted with its CRLF.
struct Limits {
  /// RFC 2449 §4: a command line is at most 255 octets including CRLF.
  size_t max_line = 255;
  /// AUTH with an initial response and SASL continuation lines (RFC 5034 §4
  /// lets them be longer; OAuth tokens are). The session reads lines up to
  /// this size and parse_command() applies the tighter bound to other verbs.
  size_t max_auth_line = 12288;
};

enum class Verb { kUser, kPass, kApop, kQuit, kStat, kList, kRetr, kDele, kNoop, kRset, kTop, kUidl, kCapa, kStls, kAuth, kUtf8 };

/// Upper-case keyword of a verb ("RETR").
std::string_view verb_name(Verb verb);

/// A parsed command. Only the fields named for its verb are set.
struct Command {
  Verb verb = Verb::kNoop;
  std::string user;      ///< USER name; APOP name
  std::string password;  ///< PASS: the rest of the line verbatim (may hold spaces)
  std::string digest;    ///< APOP: 32 hex digits, lower-cased
  std::string mechanism; ///< AUTH: upper-cased; empty for a bare "AUTH" (list mechanisms)
  std::optional<std::string> initial_response;  ///< AUTH: as sent ("=" means empty)
  std::optional<size_t> msg;  ///< RETR, DELE, TOP: always; LIST, UIDL: when given. Always >= 1.
  size_t lines = 0;           ///< TOP: body lines wanted (0 allowed)

  friend bool operator==(const Command&, const Command&) = default;
};

/// Parse one command line. Keywords are case-insensitive; arguments are
/// separated by exactly one space (an empty argument is a syntax error);
/// numbers are decimal digits only. Control characters are refused.
std::variant<Command, Error> parse_command(std::string_view line, const Limits& limits = {});

}  // namespace mail::pop3
