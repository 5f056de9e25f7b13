// SPDX-License-Identifier: Apache-2.0
// parse_auth.cpp: AUTHENTICATE (RFC 3501 §6.2.2, SASL-IR RFC 4959) and
// LOGIN (§6.2.3) arguments. The credentials are untrusted and returned as
// sent; the initial response is only checked for base64 characters here,
// libs/sasl decodes it. Diagnostics name the verb.
#include "parsers.h"

namespace mail::imap::detail {
namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/' || c == '=';
}

}  // namespace

Body parse_authenticate(Lexer& lx) {
  Authenticate a;
  if (!lx.sp()) return std::nullopt;
  auto mech = lx.atom();
  if (!mech) return std::nullopt;
  // sasl-mech chars (RFC 4422 §3.1): upper-case letters, digits, '-', '_'
  // (matched in any case, as clients send "authenticate plain").
  for (char c : *mech)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_'))
      return lx.fail("bad mechanism name"), std::nullopt;
  if (mech->size() > 20) return lx.fail("bad mechanism name"), std::nullopt;
  a.mechanism = upper(*mech);
  if (lx.accept(' ')) {
    if (!lx.count_token()) return std::nullopt;
    std::string_view r = lx.rest();
    size_t n = 0;
    while (n < r.size() && is_base64_char(r[n])) ++n;
    if (n == 0 || n != r.size()) return lx.fail("bad initial response"), std::nullopt;
    std::string_view ir = r.substr(0, n);
    // base64 padding only at the end; "=" alone is the empty response.
    size_t eq = ir.find('=');
    if (eq != std::string_view::npos && ir != "=" &&
        (ir.find_first_not_of('=', eq) != std::string_view::npos || ir.size() % 4 != 0))
      return lx.fail("bad initial response"), std::nullopt;
    a.initial_response = std::string(ir);
    lx.skip(n);
  }
  return CommandBody{std::move(a)};
}

Body parse_login(Lexer& lx) {
  Login l;
  if (!lx.sp()) return std::nullopt;
  auto user = lx.astring();
  if (!user || !lx.sp()) return std::nullopt;
  auto pass = lx.astring();
  if (!pass) return std::nullopt;
  l.user = std::move(*user);
  l.password = std::move(*pass);
  return CommandBody{std::move(l)};
}

}  // namespace mail::imap::detail
