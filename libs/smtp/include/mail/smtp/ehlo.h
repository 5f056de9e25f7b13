// SPDX-License-Identifier: Apache-2.0
// EHLO reply interpretation for the SMTP client (RFC 5321 4.1.1.1): the
// server's domain and the service extensions it offers.
//
// Pure: a parsed ServerReply in, Capabilities out. Trusts nothing in the
// reply: keywords are checked against the ehlo-keyword syntax (a line that
// is not one is skipped, as a client must ignore what it cannot use), numbers
// are range-checked, and the sizes of everything kept are bounded by the
// ReplyLimits the reply was parsed with.
//
// Known extensions: SIZE (RFC 1870), PIPELINING (RFC 2920), 8BITMIME (RFC
// 6152), SMTPUTF8 (RFC 6531), STARTTLS (RFC 3207), ENHANCEDSTATUSCODES (RFC
// 2034), CHUNKING (RFC 3030), DSN (RFC 3461), AUTH (RFC 4954, also the old
// "AUTH=LOGIN PLAIN" form some servers still send). Every line, known or not,
// is kept in `extensions`.
//
// Diagnostics: EhloError when the reply is not a 250.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/smtp/reply_parser.h"

namespace mail::smtp {

/// One extension line: the keyword upper-cased, its parameters as sent.
struct Extension {
  std::string keyword;
  std::vector<std::string> params;
  bool operator==(const Extension&) const = default;
};

struct Capabilities {
  /// The first word of the first line (the server's name for itself).
  std::string domain;
  /// The rest of the first line.
  std::string greeting;

  bool size = false;      ///< SIZE offered (so MAIL may carry SIZE=)
  uint64_t max_size = 0;  ///< SIZE's limit; 0 = none announced
  bool pipelining = false;
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool starttls = false;
  bool enhanced_status_codes = false;
  bool chunking = false;
  bool dsn = false;
  /// SASL mechanisms offered, upper-cased, each once, in order of appearance.
  std::vector<std::string> auth;

  /// Every valid extension line, known ones included, in order.
  std::vector<Extension> extensions;

  /// The extension with this keyword (case-insensitive), or nullptr.
  const Extension* find(std::string_view keyword) const;
  bool has(std::string_view keyword) const { return find(keyword) != nullptr; }
  /// AUTH offered the mechanism (case-insensitive).
  bool has_auth(std::string_view mechanism) const;
};

enum class EhloError {
  kNotOk,  ///< the reply is not 250 (a 5xx means: fall back to HELO)
};

/// Interprets an EHLO reply.
std::variant<Capabilities, EhloError> parse_ehlo(const ServerReply& reply);

}  // namespace mail::smtp
