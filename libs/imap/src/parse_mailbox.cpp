// SPDX-License-Identifier: Apache-2.0
// parse_mailbox.cpp: SELECT/EXAMINE with CONDSTORE and QRESYNC parameters
// (RFC 7162 §3.2.5), CREATE with USE (RFC 6154), DELETE, RENAME,
// SUBSCRIBE, UNSUBSCRIBE and STATUS (RFC 3501, STATUS=SIZE RFC 8438). The
// arguments are untrusted; mailbox names are returned as raw octets
// (INBOX normalised). Diagnostics name the verb.
#include "parsers.h"

namespace mail::imap::detail {
namespace {

std::optional<Qresync> parse_qresync(Lexer& lx) {
  Qresync q;
  if (!lx.sp() || !lx.expect('(')) return std::nullopt;
  auto v = lx.nz_number();
  if (!v || !lx.sp()) return std::nullopt;
  auto m = lx.number63(false);
  if (!m) return std::nullopt;
  q.uidvalidity = *v;
  q.modseq = *m;
  if (lx.accept(' ')) {
    if (lx.peek() != '(') {
      auto known = lx.sequence_set();
      if (!known) return std::nullopt;
      q.known_uids = std::move(*known);
      if (!lx.accept(' ')) return lx.expect(')') ? std::optional<Qresync>(std::move(q)) : std::nullopt;
    }
    if (!lx.expect('(')) return std::nullopt;
    auto seqs = lx.sequence_set();
    if (!seqs || !lx.sp()) return std::nullopt;
    auto uids = lx.sequence_set();
    if (!uids || !lx.expect(')')) return std::nullopt;
    q.seq_match = std::make_pair(std::move(*seqs), std::move(*uids));
  }
  if (!lx.expect(')')) return std::nullopt;
  return q;
}

}  // namespace

Body parse_select(Lexer& lx, bool examine) {
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox) return std::nullopt;
  SelectParams params;
  if (lx.accept(' ')) {
    if (!lx.expect('(')) return std::nullopt;
    size_t items = 0;
    while (true) {
      if (!lx.count_item(items)) return std::nullopt;
      if (lx.accept_keyword("CONDSTORE")) {
        params.condstore = true;
      } else if (lx.accept_keyword("QRESYNC")) {
        if (params.qresync) return lx.fail("QRESYNC given twice"), std::nullopt;
        auto q = parse_qresync(lx);
        if (!q) return std::nullopt;
        params.qresync = std::move(*q);
      } else {
        return lx.fail("unknown select parameter"), std::nullopt;
      }
      if (lx.accept(')')) break;
      if (!lx.sp()) return std::nullopt;
    }
  }
  if (examine) return CommandBody{Examine{std::move(*mailbox), std::move(params)}};
  return CommandBody{Select{std::move(*mailbox), std::move(params)}};
}

Body parse_create(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox) return std::nullopt;
  Create c{std::move(*mailbox), {}};
  if (lx.accept(' ')) {
    // create-params = "(" "USE" SP "(" [use-attr *(SP use-attr)] ")" ")"
    if (!lx.expect('(') || !lx.expect_keyword("USE") || !lx.sp()) return std::nullopt;
    auto attrs = lx.flag_list();
    if (!attrs) return std::nullopt;
    for (const auto& a : *attrs)
      if (a.empty() || a[0] != '\\') return lx.fail("USE attributes start with '\\'"), std::nullopt;
    c.use = std::move(*attrs);
    if (!lx.expect(')')) return std::nullopt;
  }
  return CommandBody{std::move(c)};
}

Body parse_delete(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox) return std::nullopt;
  return CommandBody{Delete{std::move(*mailbox)}};
}

Body parse_rename(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto from = lx.mailbox();
  if (!from || !lx.sp()) return std::nullopt;
  auto to = lx.mailbox();
  if (!to) return std::nullopt;
  return CommandBody{Rename{std::move(*from), std::move(*to)}};
}

Body parse_subscribe(Lexer& lx, bool unsubscribe) {
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox) return std::nullopt;
  if (unsubscribe) return CommandBody{Unsubscribe{std::move(*mailbox)}};
  return CommandBody{Subscribe{std::move(*mailbox)}};
}

std::optional<std::vector<StatusItem>> parse_status_items(Lexer& lx) {
  if (!lx.expect('(')) return std::nullopt;
  std::vector<StatusItem> items;
  size_t count = 0;
  while (true) {
    if (!lx.count_item(count)) return std::nullopt;
    auto kw = lx.keyword();
    if (!kw) return std::nullopt;
    if (*kw == "MESSAGES") items.push_back(StatusItem::kMessages);
    else if (*kw == "RECENT") items.push_back(StatusItem::kRecent);
    else if (*kw == "UIDNEXT") items.push_back(StatusItem::kUidNext);
    else if (*kw == "UIDVALIDITY") items.push_back(StatusItem::kUidValidity);
    else if (*kw == "UNSEEN") items.push_back(StatusItem::kUnseen);
    else if (*kw == "HIGHESTMODSEQ") items.push_back(StatusItem::kHighestModseq);
    else if (*kw == "SIZE") items.push_back(StatusItem::kSize);
    else return lx.fail("unknown status item"), std::nullopt;
    if (lx.accept(')')) return items;
    if (!lx.sp()) return std::nullopt;
  }
}

Body parse_status(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto mailbox = lx.mailbox();
  if (!mailbox || !lx.sp()) return std::nullopt;
  auto items = parse_status_items(lx);
  if (!items) return std::nullopt;
  return CommandBody{Status{std::move(*mailbox), std::move(*items)}};
}

}  // namespace mail::imap::detail
