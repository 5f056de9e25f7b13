// SPDX-License-Identifier: Apache-2.0
// SMTP command formatting for the client side (RFC 5321 4.1; SIZE RFC 1870,
// 8BITMIME RFC 6152, SMTPUTF8 RFC 6531, DSN RFC 3461, CHUNKING RFC 3030,
// AUTH RFC 4954 with PLAIN RFC 4616).
//
// Pure: values in, one command line (with its CRLF) or a FormatError out.
// Trusts nothing it is given: addresses and names may come from a message's
// envelope that a remote client chose. Nothing is ever formatted that holds
// CR, LF or NUL (no command can be split in two or smuggle a second one),
// paths are held to the RFC 5321 4.5.3.1 limits (local part 64, domain 255,
// path 256 octets), a local part that is not a dot-atom is quoted, and a
// non-ASCII address is refused unless the transaction uses SMTPUTF8.
//
// The DATA body is stuffed by common::DotStuffer (mail/smtp/data.h).
// Diagnostics: FormatError, named by format_error_name().
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/smtp/command.h"

namespace mail::smtp {

enum class FormatError {
  kControl,          ///< CR, LF, NUL or another control character ("control")
  kBadAddress,       ///< not local@domain, empty local part or domain ("bad_address")
  kLocalTooLong,     ///< local part over 64 octets, quoting included ("local_too_long")
  kDomainTooLong,    ///< domain over 255 octets ("domain_too_long")
  kPathTooLong,      ///< "<...>" over 256 octets ("path_too_long")
  kBadDomain,        ///< not a domain name or address literal ("bad_domain")
  kNeedsSmtpUtf8,    ///< non-ASCII (or bad UTF-8) without SMTPUTF8 ("needs_smtputf8")
  kBadArgument,      ///< an empty or malformed parameter value ("bad_argument")
  kTooLong,          ///< the command line would exceed its limit ("too_long")
};

/// "control", "bad_address", ... (for logs).
std::string_view format_error_name(FormatError error);

/// A formatted command line, CRLF included, or why it cannot be sent.
using Formatted = std::variant<std::string, FormatError>;

/// "EHLO <domain>" / "HELO <domain>". `domain` is our name: a domain or an
/// address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]").
Formatted format_ehlo(std::string_view domain);
Formatted format_helo(std::string_view domain);

/// MAIL parameters; each is sent only when set (the caller checks that the
/// server offered the extension).
struct MailParams {
  std::optional<uint64_t> size;  ///< SIZE=<n>
  /// BODY=8BITMIME or BODY=7BIT; kUnspecified sends nothing.
  BodyType body = BodyType::kUnspecified;
  bool smtputf8 = false;  ///< SMTPUTF8; also allows non-ASCII addresses
};

/// "MAIL FROM:<sender>[ params]". An empty `sender` is the null path "<>"
/// (bounces). `sender` is local@domain, local part unquoted (it is quoted
/// here when it needs to be).
Formatted format_mail(std::string_view sender, const MailParams& params = {});

/// RCPT parameters (DSN, RFC 3461 4).
struct RcptParams {
  /// NOTIFY=: never, or any of success/failure/delay; nothing when all false.
  bool notify_never = false;
  bool notify_success = false;
  bool notify_failure = false;
  bool notify_delay = false;
  /// ORCPT=rfc822;<xtext>; nothing when empty. Encoded as xtext here.
  std::string orcpt;
  /// The transaction uses SMTPUTF8: non-ASCII addresses are allowed.
  bool smtputf8 = false;
};

/// "RCPT TO:<recipient>[ params]". "postmaster" without a domain is allowed
/// (RFC 5321 4.1.1.3).
Formatted format_rcpt(std::string_view recipient, const RcptParams& params = {});

/// "AUTH PLAIN <base64>" with the initial response (RFC 4954 4): authzid
/// (may be empty), authcid and password, none holding CR, LF or NUL; the
/// line is held to 12288 octets (RFC 4954 4).
Formatted format_auth_plain(std::string_view authzid, std::string_view authcid, std::string_view password);

/// "BDAT <size>[ LAST]".
std::string format_bdat(uint64_t size, bool last);

/// The commands without arguments.
inline constexpr std::string_view kData = "DATA\r\n";
inline constexpr std::string_view kRset = "RSET\r\n";
inline constexpr std::string_view kQuit = "QUIT\r\n";
inline constexpr std::string_view kNoop = "NOOP\r\n";
inline constexpr std::string_view kStarttls = "STARTTLS\r\n";

/// The path text for local@domain with the local part quoted if it needs to
/// be, without brackets; the same checks as format_mail/format_rcpt.
Formatted format_path(std::string_view address, bool smtputf8);

}  // namespace mail::smtp
