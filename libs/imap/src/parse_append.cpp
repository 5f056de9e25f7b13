// SPDX-License-Identifier: Apache-2.0
// parse_append.cpp: APPEND (RFC 3501 §6.3.11) with the message as a
// literal, a literal8 (BINARY RFC 3516) or UTF8 (literal8) (RFC 6855 §4).
// The message is untrusted and returned as sent; only Limits::max_literal
// bounds it. Multiple messages (MULTIAPPEND) are not accepted.
#include "parsers.h"

namespace mail::imap::detail {

Body parse_append(Lexer& lx) {
  Append a;
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox || !lx.sp()) return std::nullopt;
  a.mailbox = std::move(*mailbox);
  if (lx.peek() == '(') {
    auto flags = lx.flag_list();
    if (!flags || !lx.sp()) return std::nullopt;
    a.flags = std::move(*flags);
  }
  if (lx.peek() == '"') {
    auto s = lx.string(64);
    if (!s) return std::nullopt;
    auto dt = parse_date_time(*s);
    if (!dt) return lx.fail("bad date-time"), std::nullopt;
    a.date_time = *dt;
    if (!lx.sp()) return std::nullopt;
  }
  const size_t max = static_cast<size_t>(lx.limits().max_literal);
  if (lx.accept_keyword("UTF8")) {
    // append-data =/ "UTF8" SP "(" literal8 ")"
    if (!lx.sp() || !lx.expect('(')) return std::nullopt;
    if (lx.peek() != '~') return lx.fail("UTF8 needs a literal8"), std::nullopt;
    auto msg = lx.literal(max, true, nullptr);
    if (!msg || !lx.expect(')')) return std::nullopt;
    a.message = std::move(*msg);
    a.utf8 = true;
    return CommandBody{std::move(a)};
  }
  if (!lx.is_literal_start()) return lx.fail("the message must be a literal"), std::nullopt;
  bool lit8 = false;
  auto msg = lx.literal(max, true, &lit8);
  if (!msg) return std::nullopt;
  a.message = std::move(*msg);
  a.binary = lit8;
  return CommandBody{std::move(a)};
}

}  // namespace mail::imap::detail
