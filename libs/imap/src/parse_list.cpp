// SPDX-License-Identifier: Apache-2.0
// parse_list.cpp: LIST (RFC 3501 §6.3.8; LIST-EXTENDED RFC 5258 selection
// and return options, SPECIAL-USE RFC 6154, LIST-STATUS RFC 5819) and LSUB
// (§6.3.9). Patterns are untrusted and returned as sent, wildcards kept.
// Unknown options are a syntax error (RFC 5258 §3: BAD).
#include "parsers.h"

namespace mail::imap::detail {
namespace {

bool parse_selection(Lexer& lx, List& l) {
  // list-select-opts = "(" [option *(SP option)] ")"
  size_t items = 0;
  if (!lx.expect('(')) return false;
  if (lx.accept(')')) return true;
  while (true) {
    if (!lx.count_item(items)) return false;
    auto kw = lx.keyword();
    if (!kw) return false;
    if (*kw == "SUBSCRIBED") l.subscribed = true;
    else if (*kw == "REMOTE") l.remote = true;
    else if (*kw == "RECURSIVEMATCH") l.recursive_match = true;
    else if (*kw == "SPECIAL-USE") l.special_use = true;
    else return lx.fail("unknown selection option");
    if (lx.accept(')')) break;
    if (!lx.sp()) return false;
  }
  // RFC 5258 §3.1: RECURSIVEMATCH needs a base option.
  if (l.recursive_match && !l.subscribed && !l.special_use)
    return lx.fail("RECURSIVEMATCH without a base selection option");
  return true;
}

bool parse_return(Lexer& lx, List& l) {
  // list-return-opts = "RETURN" SP "(" [option *(SP option)] ")"
  if (!lx.expect_keyword("RETURN") || !lx.sp() || !lx.expect('(')) return false;
  if (lx.accept(')')) return true;
  size_t items = 0;
  while (true) {
    if (!lx.count_item(items)) return false;
    auto kw = lx.keyword();
    if (!kw) return false;
    if (*kw == "SUBSCRIBED") l.return_subscribed = true;
    else if (*kw == "CHILDREN") l.return_children = true;
    else if (*kw == "SPECIAL-USE") l.return_special_use = true;
    else if (*kw == "STATUS") {
      if (!lx.sp()) return false;
      auto st = parse_status_items(lx);
      if (!st) return false;
      l.return_status = std::move(*st);
    } else {
      return lx.fail("unknown return option");
    }
    if (lx.accept(')')) return true;
    if (!lx.sp()) return false;
  }
}

}  // namespace

Body parse_list(Lexer& lx) {
  List l;
  if (!lx.sp()) return std::nullopt;
  if (lx.peek() == '(') {
    l.extended = true;
    if (!parse_selection(lx, l) || !lx.sp()) return std::nullopt;
  }
  // The reference is kept exactly as sent (not even INBOX is normalised):
  // the server combines it with the pattern before matching.
  auto ref = lx.astring();
  if (!ref || !lx.sp()) return std::nullopt;
  l.reference = std::move(*ref);
  if (lx.accept('(')) {
    l.extended = true;
    size_t items = 0;
    while (true) {
      if (!lx.count_item(items)) return std::nullopt;
      auto p = lx.list_mailbox();
      if (!p) return std::nullopt;
      l.patterns.push_back(std::move(*p));
      if (lx.accept(')')) break;
      if (!lx.sp()) return std::nullopt;
    }
  } else {
    auto p = lx.list_mailbox();
    if (!p) return std::nullopt;
    l.patterns.push_back(std::move(*p));
  }
  if (lx.accept(' ')) {
    l.extended = true;
    if (!parse_return(lx, l)) return std::nullopt;
  }
  return CommandBody{std::move(l)};
}

Body parse_lsub(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto ref = lx.astring();
  if (!ref || !lx.sp()) return std::nullopt;
  auto p = lx.list_mailbox();
  if (!p) return std::nullopt;
  return CommandBody{Lsub{std::move(*ref), std::move(*p)}};
}

}  // namespace mail::imap::detail
