// SPDX-License-Identifier: Apache-2.0
// SMTP AUTH argument syntax (see auth.h). The arguments are untrusted network
// text; the initial response is only checked for base64 characters here and
// decoded by libs/sasl.
#include "mail/smtp/auth.h"

#include "syntax.h"

namespace mail::smtp {
namespace {

ParseError err(int code, std::string_view enhanced, std::string_view text) {
  return ParseError{code, std::string(enhanced), std::string(text)};
}

bool base64_chars(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(detail::is_alnum(c) || c == '+' || c == '/' || c == '=')) return false;
  }
  return true;
}

}  // namespace

std::variant<AuthRequest, ParseError> parse_auth_args(std::string_view args) {
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  while (!args.empty() && args.back() == ' ') args.remove_suffix(1);
  size_t sp = args.find(' ');
  std::string_view mech = args.substr(0, sp);
  // sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
  // (matched case-insensitively, as clients do send "auth login").
  if (mech.empty() || mech.size() > 20) return err(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  AuthRequest req;
  for (char ch : mech) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(detail::is_alnum(c) || c == '-' || c == '_')) return err(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    req.mechanism += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : ch;
  }
  if (sp != std::string_view::npos) {
    std::string_view ir = args.substr(sp + 1);
    while (!ir.empty() && ir.front() == ' ') ir.remove_prefix(1);
    if (ir.find(' ') != std::string_view::npos || !base64_chars(ir))
      return err(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    req.initial_response = ir == "=" ? std::string() : std::string(ir);
  }
  return req;
}

}  // namespace mail::smtp
