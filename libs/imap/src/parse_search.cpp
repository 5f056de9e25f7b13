// SPDX-License-Identifier: Apache-2.0
// parse_search.cpp: SEARCH / UID SEARCH (RFC 3501 §6.4.4) into a SearchKey
// AST, with CHARSET, ESEARCH RETURN options (RFC 4731, SAVE RFC 5182),
// MODSEQ (RFC 7162) and OLDER/YOUNGER (RFC 5032); SORT / UID SORT (RFC 5256);
// describe() for tests. The program is untrusted: recursion is bounded by
// Limits::max_search_depth, key count by max_tokens.
#include <array>

#include "mail/common/strings.h"
#include "parsers.h"

namespace mail::imap::detail {
namespace {

struct FlagName {
  std::string_view name;
  SearchFlag::Kind kind;
};
constexpr std::array<FlagName, 14> kFlags = {{
    {"ALL", SearchFlag::kAll}, {"ANSWERED", SearchFlag::kAnswered}, {"DELETED", SearchFlag::kDeleted},
    {"DRAFT", SearchFlag::kDraft}, {"FLAGGED", SearchFlag::kFlagged}, {"NEW", SearchFlag::kNew},
    {"OLD", SearchFlag::kOld}, {"RECENT", SearchFlag::kRecent}, {"SEEN", SearchFlag::kSeen},
    {"UNANSWERED", SearchFlag::kUnanswered}, {"UNDELETED", SearchFlag::kUndeleted},
    {"UNDRAFT", SearchFlag::kUndraft}, {"UNFLAGGED", SearchFlag::kUnflagged}, {"UNSEEN", SearchFlag::kUnseen},
}};

struct TextName {
  std::string_view name;
  SearchText::Field field;
};
constexpr std::array<TextName, 7> kTexts = {{
    {"BCC", SearchText::kBcc}, {"BODY", SearchText::kBody}, {"CC", SearchText::kCc}, {"FROM", SearchText::kFrom},
    {"SUBJECT", SearchText::kSubject}, {"TEXT", SearchText::kText}, {"TO", SearchText::kTo},
}};

struct DateName {
  std::string_view name;
  SearchDate::Which which;
};
constexpr std::array<DateName, 6> kDates = {{
    {"BEFORE", SearchDate::kBefore}, {"ON", SearchDate::kOn}, {"SINCE", SearchDate::kSince},
    {"SENTBEFORE", SearchDate::kSentBefore}, {"SENTON", SearchDate::kSentOn}, {"SENTSINCE", SearchDate::kSentSince},
}};

std::optional<Date> date(Lexer& lx) {
  std::optional<std::string> text;
  if (lx.peek() == '"') {
    text = lx.string(32);
  } else {
    auto a = lx.atom();
    if (a) text = std::string(*a);
  }
  if (!text) return std::nullopt;
  auto d = parse_date(*text);
  if (!d) lx.fail("bad date");
  return d;
}

std::optional<SearchKey> search_key(Lexer& lx, size_t depth);

bool key_list(Lexer& lx, size_t depth, std::vector<SearchKey>& out, bool parenthesised) {
  while (true) {
    auto k = search_key(lx, depth);
    if (!k) return false;
    out.push_back(std::move(*k));
    if (parenthesised && lx.accept(')')) return true;
    if (!parenthesised && lx.peek() != ' ') return true;
    if (!lx.sp()) return false;
  }
}

std::optional<SearchKey> modseq(Lexer& lx) {
  // "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
  SearchModseq m;
  if (!lx.sp()) return std::nullopt;
  if (lx.peek() == '"') {
    auto entry = lx.string(256);
    if (!entry) return std::nullopt;
    if (!entry->starts_with("/flags/") || entry->size() == 7)
      return lx.fail("bad MODSEQ entry name"), std::nullopt;
    if (!lx.sp()) return std::nullopt;
    auto type = lx.keyword();
    if (!type) return std::nullopt;
    if (*type != "PRIV" && *type != "SHARED" && *type != "ALL") return lx.fail("bad MODSEQ entry type"), std::nullopt;
    m.entry = std::move(*entry);
    m.entry_type = common::ascii_lower(*type);
    if (!lx.sp()) return std::nullopt;
  }
  auto v = lx.number63(true);
  if (!v) return std::nullopt;
  m.modseq = *v;
  return SearchKey{std::move(m)};
}

std::optional<SearchKey> search_key(Lexer& lx, size_t depth) {
  if (depth > lx.limits().max_search_depth) return lx.fail(ErrorKind::kTooMany, "search nested too deeply"), std::nullopt;
  if (!lx.ok()) return std::nullopt;
  char c = lx.peek();
  if (c == '(') {
    lx.skip(1);
    if (!lx.count_token()) return std::nullopt;
    SearchAnd a;
    if (!key_list(lx, depth + 1, a.children, true)) return std::nullopt;
    return SearchKey{std::move(a)};
  }
  if (is_digit(c) || c == '*' || c == '$') {
    auto set = lx.sequence_set();
    if (!set) return std::nullopt;
    return SearchKey{SearchSet{false, std::move(*set)}};
  }
  auto kw = lx.keyword();
  if (!kw) return std::nullopt;
  for (const auto& f : kFlags)
    if (*kw == f.name) return SearchKey{SearchFlag{f.kind}};
  for (const auto& t : kTexts) {
    if (*kw != t.name) continue;
    if (!lx.sp()) return std::nullopt;
    auto v = lx.astring();
    if (!v) return std::nullopt;
    return SearchKey{SearchText{t.field, std::move(*v)}};
  }
  for (const auto& d : kDates) {
    if (*kw != d.name) continue;
    if (!lx.sp()) return std::nullopt;
    auto v = date(lx);
    if (!v) return std::nullopt;
    return SearchKey{SearchDate{d.which, *v}};
  }
  if (*kw == "KEYWORD" || *kw == "UNKEYWORD") {
    if (!lx.sp()) return std::nullopt;
    auto a = lx.atom();
    if (!a) return std::nullopt;
    return SearchKey{SearchKeyword{std::string(*a), *kw == "UNKEYWORD"}};
  }
  if (*kw == "HEADER") {
    if (!lx.sp()) return std::nullopt;
    auto field = lx.astring();
    if (!field || !lx.sp()) return std::nullopt;
    auto value = lx.astring();
    if (!value) return std::nullopt;
    return SearchKey{SearchHeader{std::move(*field), std::move(*value)}};
  }
  if (*kw == "LARGER" || *kw == "SMALLER") {
    if (!lx.sp()) return std::nullopt;
    auto n = lx.number();
    if (!n) return std::nullopt;
    return SearchKey{SearchSize{*kw == "LARGER", *n}};
  }
  if (*kw == "OLDER" || *kw == "YOUNGER") {
    if (!lx.sp()) return std::nullopt;
    auto n = lx.nz_number();
    if (!n) return std::nullopt;
    return SearchKey{SearchAge{*kw == "YOUNGER", *n}};
  }
  if (*kw == "UID") {
    if (!lx.sp()) return std::nullopt;
    auto set = lx.sequence_set();
    if (!set) return std::nullopt;
    return SearchKey{SearchSet{true, std::move(*set)}};
  }
  if (*kw == "NOT") {
    if (!lx.sp()) return std::nullopt;
    auto k = search_key(lx, depth + 1);
    if (!k) return std::nullopt;
    SearchNot n;
    n.child.push_back(std::move(*k));
    return SearchKey{std::move(n)};
  }
  if (*kw == "OR") {
    SearchOr o;
    for (int i = 0; i < 2; ++i) {
      if (!lx.sp()) return std::nullopt;
      auto k = search_key(lx, depth + 1);
      if (!k) return std::nullopt;
      o.children.push_back(std::move(*k));
    }
    return SearchKey{std::move(o)};
  }
  if (*kw == "MODSEQ") return modseq(lx);
  return lx.fail("unknown search key"), std::nullopt;
}

bool search_return(Lexer& lx, SearchReturn& r) {
  if (!lx.sp() || !lx.expect('(')) return false;
  if (lx.accept(')')) {
    r.all = true;  // RFC 4731 §3.1: "RETURN ()" is ALL
    return true;
  }
  size_t items = 0;
  while (true) {
    if (!lx.count_item(items)) return false;
    auto kw = lx.keyword();
    if (!kw) return false;
    if (*kw == "MIN") r.min = true;
    else if (*kw == "MAX") r.max = true;
    else if (*kw == "ALL") r.all = true;
    else if (*kw == "COUNT") r.count = true;
    else if (*kw == "SAVE") r.save = true;
    else return lx.fail("unknown search return option");
    if (lx.accept(')')) return true;
    if (!lx.sp()) return false;
  }
}

bool program(Lexer& lx, SearchKey& key) {
  SearchAnd top;
  if (!key_list(lx, 1, top.children, false)) return false;
  key.node = std::move(top);
  return true;
}

}  // namespace

Body parse_search(Lexer& lx, bool uid) {
  Search s;
  s.uid = uid;
  if (!lx.sp()) return std::nullopt;
  if (lx.accept_keyword("RETURN")) {
    s.ret.emplace();
    if (!search_return(lx, *s.ret) || !lx.sp()) return std::nullopt;
  }
  if (lx.accept_keyword("CHARSET")) {
    if (!lx.sp()) return std::nullopt;
    auto cs = lx.astring(64);
    if (!cs || !lx.sp()) return std::nullopt;
    s.charset = upper(*cs);
  }
  if (!program(lx, s.key)) return std::nullopt;
  return CommandBody{std::move(s)};
}

Body parse_sort(Lexer& lx, bool uid) {
  Sort s;
  s.uid = uid;
  if (!lx.sp() || !lx.expect('(')) return std::nullopt;
  size_t items = 0;
  while (true) {
    if (!lx.count_item(items)) return std::nullopt;
    SortCriterion c;
    if (lx.accept_keyword("REVERSE")) {
      c.reverse = true;
      if (!lx.sp()) return std::nullopt;
    }
    auto kw = lx.keyword();
    if (!kw) return std::nullopt;
    if (*kw == "ARRIVAL") c.key = SortCriterion::kArrival;
    else if (*kw == "CC") c.key = SortCriterion::kCc;
    else if (*kw == "DATE") c.key = SortCriterion::kDate;
    else if (*kw == "FROM") c.key = SortCriterion::kFrom;
    else if (*kw == "SIZE") c.key = SortCriterion::kSize;
    else if (*kw == "SUBJECT") c.key = SortCriterion::kSubject;
    else if (*kw == "TO") c.key = SortCriterion::kTo;
    else if (*kw == "DISPLAYFROM") c.key = SortCriterion::kDisplayFrom;
    else if (*kw == "DISPLAYTO") c.key = SortCriterion::kDisplayTo;
    else return lx.fail("unknown sort key"), std::nullopt;
    s.criteria.push_back(c);
    if (lx.accept(')')) break;
    if (!lx.sp()) return std::nullopt;
  }
  if (!lx.sp()) return std::nullopt;
  auto cs = lx.astring(64);
  if (!cs || !lx.sp()) return std::nullopt;
  s.charset = upper(*cs);
  if (!program(lx, s.key)) return std::nullopt;
  return CommandBody{std::move(s)};
}

}  // namespace mail::imap::detail
