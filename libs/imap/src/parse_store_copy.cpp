// SPDX-License-Identifier: Apache-2.0
// parse_store_copy.cpp: STORE (RFC 3501 §6.4.6, UNCHANGEDSINCE RFC 7162),
// COPY (§6.4.7), MOVE (RFC 6851) and UID EXPUNGE (RFC 4315), with or
// without the UID prefix. Arguments are untrusted; flags are returned as
// sent and their meaning is the server's.
#include "parsers.h"

namespace mail::imap::detail {

Body parse_store(Lexer& lx, bool uid) {
  Store s;
  s.uid = uid;
  if (!lx.sp()) return std::nullopt;
  auto set = lx.sequence_set();
  if (!set || !lx.sp()) return std::nullopt;
  s.set = std::move(*set);
  if (lx.accept('(')) {
    // store-modifier list: only UNCHANGEDSINCE is known.
    if (!lx.count_token() || !lx.expect_keyword("UNCHANGEDSINCE") || !lx.sp()) return std::nullopt;
    auto m = lx.number63(true);
    if (!m || !lx.expect(')') || !lx.sp()) return std::nullopt;
    s.unchanged_since = *m;
  }
  if (lx.accept('+'))
    s.mode = Store::kAdd;
  else if (lx.accept('-'))
    s.mode = Store::kRemove;
  auto kw = lx.keyword();
  if (!kw) return std::nullopt;
  if (*kw == "FLAGS.SILENT")
    s.silent = true;
  else if (*kw != "FLAGS")
    return lx.fail("expected FLAGS, +FLAGS or -FLAGS"), std::nullopt;
  if (!lx.sp()) return std::nullopt;
  if (lx.peek() == '(') {
    auto flags = lx.flag_list();
    if (!flags) return std::nullopt;
    s.flags = std::move(*flags);
  } else {
    // 1*(SP flag) without parentheses
    size_t items = 0;
    while (true) {
      if (!lx.count_item(items)) return std::nullopt;
      auto f = lx.flag();
      if (!f) return std::nullopt;
      s.flags.push_back(std::move(*f));
      if (!lx.accept(' ')) break;
    }
  }
  return CommandBody{std::move(s)};
}

Body parse_copy(Lexer& lx, bool uid, bool move) {
  if (!lx.sp()) return std::nullopt;
  auto set = lx.sequence_set();
  if (!set || !lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox) return std::nullopt;
  if (move) return CommandBody{Move{uid, std::move(*set), std::move(*mailbox)}};
  return CommandBody{Copy{uid, std::move(*set), std::move(*mailbox)}};
}

Body parse_uid_expunge(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto set = lx.sequence_set();
  if (!set) return std::nullopt;
  return CommandBody{UidExpunge{std::move(*set)}};
}

}  // namespace mail::imap::detail
