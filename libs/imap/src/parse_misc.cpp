// SPDX-License-Identifier: Apache-2.0
// parse_misc.cpp: ID (RFC 2971), ENABLE (RFC 5161) and the QUOTA commands
// GETQUOTA, GETQUOTAROOT, SETQUOTA (RFC 9208). Arguments are untrusted;
// ID is bounded by RFC 2971 §3.3 (30 pairs, field 30 octets, value 1024).
#include "parsers.h"

namespace mail::imap::detail {

Body parse_id(Lexer& lx) {
  Id id;
  if (!lx.sp()) return std::nullopt;
  if (lx.accept_keyword("NIL")) return CommandBody{std::move(id)};
  if (!lx.expect('(')) return std::nullopt;
  id.params.emplace();
  if (lx.accept(')')) return CommandBody{std::move(id)};
  while (true) {
    if (id.params->size() >= 30) return lx.fail(ErrorKind::kTooMany, "too many ID fields"), std::nullopt;
    auto field = lx.string(30);
    if (!field || !lx.sp()) return std::nullopt;
    std::optional<std::optional<std::string>> value;
    if (lx.accept_keyword("NIL"))
      value.emplace();
    else if (auto v = lx.string(1024))
      value.emplace(std::move(*v));
    else
      return std::nullopt;
    id.params->emplace_back(std::move(*field), std::move(*value));
    if (lx.accept(')')) break;
    if (!lx.sp()) return std::nullopt;
  }
  return CommandBody{std::move(id)};
}

Body parse_enable(Lexer& lx) {
  Enable e;
  size_t items = 0;
  do {
    if (!lx.sp() || !lx.count_item(items)) return std::nullopt;
    auto cap = lx.keyword();
    if (!cap) return std::nullopt;
    e.capabilities.push_back(std::move(*cap));
  } while (lx.peek() == ' ');
  return CommandBody{std::move(e)};
}

Body parse_getquota(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto root = lx.astring();
  if (!root) return std::nullopt;
  return CommandBody{GetQuota{std::move(*root)}};
}

Body parse_getquotaroot(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox) return std::nullopt;
  return CommandBody{GetQuotaRoot{std::move(*mailbox)}};
}

Body parse_setquota(Lexer& lx) {
  SetQuota q;
  if (!lx.sp()) return std::nullopt;
  auto root = lx.astring();
  if (!root || !lx.sp() || !lx.expect('(')) return std::nullopt;
  q.root = std::move(*root);
  if (lx.accept(')')) return CommandBody{std::move(q)};
  size_t items = 0;
  while (true) {
    if (!lx.count_item(items)) return std::nullopt;
    auto res = lx.keyword();
    if (!res || !lx.sp()) return std::nullopt;
    auto n = lx.number63(true);
    if (!n) return std::nullopt;
    q.limits.emplace_back(std::move(*res), *n);
    if (lx.accept(')')) break;
    if (!lx.sp()) return std::nullopt;
  }
  return CommandBody{std::move(q)};
}

}  // namespace mail::imap::detail
