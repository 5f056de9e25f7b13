// SPDX-License-Identifier: Apache-2.0
// SEARCH programs and SORT keys (see search_match.h). The parser's key tree
// is compiled into Nodes that carry what matching needs ready-made (folded
// UTF-8 needles, day numbers, sequence-number sets) and the level each
// subtree needs; match() is a three-valued walk so a conjunction stops at
// the first key that fails without loading anything more.
// Trusts: the tree's depth (bounded by the parser); message data as
// untrusted, through libs/mime. No diagnostics: a key that cannot apply
// (no Date: field) simply does not match.
#include "search_match.h"

#include <algorithm>

#include "mail/common/civil_date.h"
#include "mail/common/strings.h"
#include "mail/mime/address.h"
#include "mail/mime/date.h"
#include "mail/mime/decode.h"
#include "mail/mime/search_text.h"
#include "mail/mime/structure.h"

namespace mail::imapd {

struct SearchProgram::Node {
  enum Op { kAnd, kOr, kNot, kFlag, kKeyword, kText, kHeader, kInternalDate, kSentDate, kSize, kSet, kModseq, kAge };
  Op op = kAnd;
  SearchLevel level = SearchLevel::kIndex;
  std::vector<Node> children;
  imap::SearchFlag::Kind flag = imap::SearchFlag::kAll;
  imap::SearchText::Field field = imap::SearchText::kText;
  imap::SearchDate::Which which = imap::SearchDate::kOn;
  std::string name;  ///< keyword, or header field name
  std::string text;  ///< folded UTF-8 needle
  int64_t number = 0;  ///< day number, size, MODSEQ or seconds
  bool option = false; ///< KEYWORD negated, LARGER, YOUNGER
  imap::ResolvedSet set;
};

namespace {

using Node = SearchProgram::Node;

struct Compiler {
  const std::optional<std::string>& charset;
  const SearchProgram::Resolver& resolve;
  int64_t now;
  bool uses_modseq = false;
  unsigned levels = 0;

  std::string needle(const std::string& raw) const {
    const std::string cs = charset ? *charset : "US-ASCII";
    return mime::fold_case(mime::to_utf8(raw, cs).value_or(raw));
  }

  Node compile(const imap::SearchKey& key) {
    Node n;
    std::visit([&](const auto& k) { fill(n, k); }, key.node);
    if (n.op != Node::kAnd && n.op != Node::kOr && n.op != Node::kNot) levels |= 1u << static_cast<int>(n.level);
    for (const auto& c : n.children) n.level = std::max(n.level, c.level);
    return n;
  }

  void fill(Node& n, const imap::SearchFlag& k) {
    n.op = Node::kFlag;
    n.flag = k.kind;
  }
  void fill(Node& n, const imap::SearchKeyword& k) {
    n.op = Node::kKeyword;
    n.name = k.flag;
    n.option = k.negated;
  }
  void fill(Node& n, const imap::SearchText& k) {
    n.op = Node::kText;
    n.field = k.field;
    n.text = needle(k.value);
    n.level = k.field == imap::SearchText::kBody || k.field == imap::SearchText::kText ? SearchLevel::kBody
                                                                                         : SearchLevel::kFields;
  }
  void fill(Node& n, const imap::SearchHeader& k) {
    n.op = Node::kHeader;
    n.name = k.field;
    n.text = needle(k.value);
    n.level = mime::is_search_field(k.field) ? SearchLevel::kFields : SearchLevel::kHeader;
  }
  void fill(Node& n, const imap::SearchDate& k) {
    const bool sent = k.which == imap::SearchDate::kSentBefore || k.which == imap::SearchDate::kSentOn ||
                      k.which == imap::SearchDate::kSentSince;
    n.op = sent ? Node::kSentDate : Node::kInternalDate;
    n.which = k.which;
    n.number = common::days_from_civil(k.date.year, k.date.month, k.date.day);
    n.level = sent ? SearchLevel::kFields : SearchLevel::kMeta;
  }
  void fill(Node& n, const imap::SearchSize& k) {
    n.op = Node::kSize;
    n.option = k.larger;
    n.number = k.size;
    n.level = SearchLevel::kMeta;
  }
  void fill(Node& n, const imap::SearchSet& k) {
    n.op = Node::kSet;
    n.set = resolve(k);
  }
  void fill(Node& n, const imap::SearchModseq& k) {
    n.op = Node::kModseq;
    n.number = static_cast<int64_t>(std::min<uint64_t>(k.modseq, INT64_MAX));
    n.level = SearchLevel::kMeta;  // the view keeps no MODSEQs
    uses_modseq = true;
  }
  void fill(Node& n, const imap::SearchAge& k) {
    n.op = Node::kAge;
    n.option = k.younger;
    n.number = now - static_cast<int64_t>(k.seconds);
    n.level = SearchLevel::kMeta;
  }
  void fill(Node& n, const imap::SearchNot& k) {
    n.op = Node::kNot;
    for (const auto& c : k.child) n.children.push_back(compile(c));
  }
  void fill(Node& n, const imap::SearchOr& k) {
    n.op = Node::kOr;
    for (const auto& c : k.children) n.children.push_back(compile(c));
  }
  void fill(Node& n, const imap::SearchAnd& k) {
    n.op = Node::kAnd;
    for (const auto& c : k.children) n.children.push_back(compile(c));
  }
};

Tri from_bool(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

const std::vector<mime::Field>& fields_of(SearchMessage& m) {
  if (!m.fields) m.fields = mime::parse_header_prefix(*m.header).fields;
  return *m.fields;
}

// The search fields: stored, or computed from the header section once.
std::string_view search_fields_of(SearchMessage& m) {
  if (m.search_fields) return *m.search_fields;
  if (!m.computed_fields) m.computed_fields = mime::search_fields(m.header.value_or(std::string_view()));
  return *m.computed_fields;
}

// Whether a field named `name` whose decoded value holds `needle` exists.
bool field_holds(SearchMessage& m, std::string_view name, const std::string& needle) {
  if (mime::is_search_field(name)) return mime::search_field_holds(search_fields_of(m), name, needle);
  for (const auto& f : fields_of(m)) {
    if (!f.valid || !common::iequals(f.name, name)) continue;
    if (needle.empty()) return true;
    if (mime::fold_case(mime::decode_header_value(f.value)).find(needle) != std::string::npos) return true;
  }
  return false;
}

const std::string& folded_header(SearchMessage& m) {
  if (!m.folded_header) {
    std::string all;
    for (const auto& f : fields_of(m)) {
      if (!f.valid) continue;
      all.append(f.name).append(": ").append(mime::decode_header_value(f.value)).push_back('\n');
    }
    m.folded_header = mime::fold_case(all);
  }
  return *m.folded_header;
}

const std::string& folded_body(SearchMessage& m, size_t max) {
  if (!m.folded_body) {
    const mime::Part root = mime::parse_structure(*m.message);
    m.folded_body = mime::fold_case(mime::body_text(*m.message, root, max));
  }
  return *m.folded_body;
}

bool has_keyword(const SearchMessage& m, const std::string& name) {
  for (const auto& k : m.keywords)
    if (common::iequals(k, name)) return true;
  return false;
}

bool flag_matches(const SearchMessage& m, imap::SearchFlag::Kind kind) {
  const auto has = [&](int bit) { return (m.flags & bit) != 0; };
  switch (kind) {
    case imap::SearchFlag::kAll: return true;
    case imap::SearchFlag::kAnswered: return has(store::kAnswered);
    case imap::SearchFlag::kDeleted: return has(store::kDeleted);
    case imap::SearchFlag::kDraft: return has(store::kDraft);
    case imap::SearchFlag::kFlagged: return has(store::kFlagged);
    case imap::SearchFlag::kNew: return m.recent && !has(store::kSeen);
    case imap::SearchFlag::kOld: return !m.recent;
    case imap::SearchFlag::kRecent: return m.recent;
    case imap::SearchFlag::kSeen: return has(store::kSeen);
    case imap::SearchFlag::kUnanswered: return !has(store::kAnswered);
    case imap::SearchFlag::kUndeleted: return !has(store::kDeleted);
    case imap::SearchFlag::kUndraft: return !has(store::kDraft);
    case imap::SearchFlag::kUnflagged: return !has(store::kFlagged);
    case imap::SearchFlag::kUnseen: return !has(store::kSeen);
  }
  return false;
}

bool day_matches(imap::SearchDate::Which which, int64_t day, int64_t key) {
  switch (which) {
    case imap::SearchDate::kBefore:
    case imap::SearchDate::kSentBefore: return day < key;
    case imap::SearchDate::kOn:
    case imap::SearchDate::kSentOn: return day == key;
    case imap::SearchDate::kSince:
    case imap::SearchDate::kSentSince: return day >= key;
  }
  return false;
}

int64_t floor_day(int64_t seconds) { return seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400); }

constexpr std::string_view field_name(imap::SearchText::Field f) {
  switch (f) {
    case imap::SearchText::kBcc: return "Bcc";
    case imap::SearchText::kCc: return "Cc";
    case imap::SearchText::kFrom: return "From";
    case imap::SearchText::kSubject: return "Subject";
    case imap::SearchText::kTo: return "To";
    case imap::SearchText::kBody:
    case imap::SearchText::kText: return "";
  }
  return "";
}

Tri leaf(const Node& n, SearchMessage& m, size_t max_body) {
  switch (n.op) {
    case Node::kFlag: return from_bool(flag_matches(m, n.flag));
    case Node::kKeyword: return from_bool(has_keyword(m, n.name) != n.option);
    case Node::kSet: return from_bool(n.set.contains(m.seq));
    case Node::kModseq: return from_bool(m.modseq >= n.number);
    case Node::kSize:
      return from_bool(n.option ? m.meta->size > static_cast<uint64_t>(n.number)
                                : m.meta->size < static_cast<uint64_t>(n.number));
    case Node::kInternalDate: return from_bool(day_matches(n.which, floor_day(m.meta->internal_date), n.number));
    case Node::kAge: return from_bool(n.option ? m.meta->internal_date > n.number : m.meta->internal_date <= n.number);
    case Node::kSentDate: {
      const auto f = mime::search_field(search_fields_of(m), "date");
      const auto d = f ? mime::parse_message_date(*f) : std::nullopt;
      return from_bool(d && day_matches(n.which, common::days_from_civil(d->year, d->month, d->day), n.number));
    }
    case Node::kHeader: return from_bool(field_holds(m, n.name, n.text));
    case Node::kText:
      if (n.field == imap::SearchText::kBody) return from_bool(folded_body(m, max_body).find(n.text) != std::string::npos);
      if (n.field == imap::SearchText::kText)
        return from_bool(folded_header(m).find(n.text) != std::string::npos ||
                         folded_body(m, max_body).find(n.text) != std::string::npos);
      return from_bool(field_holds(m, field_name(n.field), n.text));
    case Node::kAnd:
    case Node::kOr:
    case Node::kNot: break;
  }
  return Tri::kFalse;
}

Tri eval(const Node& n, SearchMessage& m, SearchLevel loaded, size_t max_body) {
  switch (n.op) {
    case Node::kAnd: {
      Tri out = Tri::kTrue;
      for (const auto& c : n.children) {
        const Tri t = eval(c, m, loaded, max_body);
        if (t == Tri::kFalse) return Tri::kFalse;
        if (t == Tri::kUnknown) out = Tri::kUnknown;
      }
      return out;
    }
    case Node::kOr: {
      Tri out = Tri::kFalse;
      for (const auto& c : n.children) {
        const Tri t = eval(c, m, loaded, max_body);
        if (t == Tri::kTrue) return Tri::kTrue;
        if (t == Tri::kUnknown) out = Tri::kUnknown;
      }
      return out;
    }
    case Node::kNot: {
      const Tri t = n.children.empty() ? Tri::kFalse : eval(n.children[0], m, loaded, max_body);
      return t == Tri::kUnknown ? t : from_bool(t == Tri::kFalse);
    }
    default:
      if (n.level > loaded) return Tri::kUnknown;
      return leaf(n, m, max_body);
  }
}

}  // namespace

std::variant<SearchProgram, SearchError> SearchProgram::compile(const imap::SearchKey& key,
                                                                const std::optional<std::string>& charset,
                                                                const Resolver& resolve, int64_t now,
                                                                SearchSettings settings) {
  if (charset && !search_charset_ok(*charset)) return SearchError::kBadCharset;
  Compiler c{charset, resolve, now};
  SearchProgram p;
  p.root_ = std::make_shared<const Node>(c.compile(key));
  p.settings_ = settings;
  p.uses_modseq_ = c.uses_modseq;
  p.levels_ = c.levels;
  return p;
}

SearchLevel SearchProgram::level() const { return root_->level; }

Tri SearchProgram::match(SearchMessage& m, SearchLevel loaded) const {
  return eval(*root_, m, loaded, settings_.max_body_text);
}

std::vector<std::string> search_charsets() { return {"US-ASCII", "UTF-8"}; }

bool search_charset_ok(std::string_view charset) {
  // Any charset the decoder knows, as Dovecot accepts what iconv does.
  return mime::charset_known(charset);
}

// ---- SORT ---------------------------------------------------------------------

namespace {

// The first real address of a field (group markers skipped).
std::optional<mime::Address> first_address(const std::vector<mime::Field>& fields, std::string_view name) {
  const mime::Field* f = mime::find_field(fields, name);
  if (!f) return std::nullopt;
  for (auto& a : mime::parse_address_list(f->value))
    if (a.host) return a;
  return std::nullopt;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string mailbox_key(const std::optional<mime::Address>& a) {
  return a && a->mailbox ? mime::fold_case(unquote(*a->mailbox)) : std::string();
}

// RFC 5957 §3: the display name when there is one, else the addr-spec.
std::string display_key(const std::optional<mime::Address>& a) {
  if (!a) return {};
  if (a->name && !a->name->empty()) return mime::fold_case(mime::decode_header_value(*a->name));
  return mime::fold_case(unquote(a->mailbox.value_or("")) + "@" + a->host.value_or(""));
}

template <class T>
int compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

SortKeys sort_keys(const store::MessageMeta& meta, std::string_view header) {
  SortKeys k;
  k.arrival = meta.internal_date;
  k.size = meta.size;
  k.date = meta.internal_date;
  if (header.empty()) return k;
  const auto fields = mime::parse_header_prefix(header).fields;
  if (const mime::Field* d = mime::find_field(fields, "Date"))
    if (const auto md = mime::parse_message_date(d->value)) k.date = md->unix_time();
  if (const mime::Field* s = mime::find_field(fields, "Subject"))
    k.subject = mime::base_subject(mime::decode_header_value(s->value));
  const auto from = first_address(fields, "From");
  const auto to = first_address(fields, "To");
  k.from = mailbox_key(from);
  k.to = mailbox_key(to);
  k.cc = mailbox_key(first_address(fields, "Cc"));
  k.display_from = display_key(from);
  k.display_to = display_key(to);
  return k;
}

bool sort_before(const std::vector<imap::SortCriterion>& criteria, const SortKeys& a, uint32_t seq_a,
                 const SortKeys& b, uint32_t seq_b) {
  for (const auto& c : criteria) {
    int r = 0;
    switch (c.key) {
      case imap::SortCriterion::kArrival: r = compare(a.arrival, b.arrival); break;
      case imap::SortCriterion::kCc: r = compare(a.cc, b.cc); break;
      case imap::SortCriterion::kDate: r = compare(a.date, b.date); break;
      case imap::SortCriterion::kFrom: r = compare(a.from, b.from); break;
      case imap::SortCriterion::kSize: r = compare(a.size, b.size); break;
      case imap::SortCriterion::kSubject: r = compare(a.subject, b.subject); break;
      case imap::SortCriterion::kTo: r = compare(a.to, b.to); break;
      case imap::SortCriterion::kDisplayFrom: r = compare(a.display_from, b.display_from); break;
      case imap::SortCriterion::kDisplayTo: r = compare(a.display_to, b.display_to); break;
    }
    if (c.reverse) r = -r;
    if (r != 0) return r < 0;
  }
  return seq_a < seq_b;
}

bool sort_needs_header(const std::vector<imap::SortCriterion>& criteria) {
  return std::any_of(criteria.begin(), criteria.end(), [](const imap::SortCriterion& c) {
    return c.key != imap::SortCriterion::kArrival && c.key != imap::SortCriterion::kSize;
  });
}

}  // namespace mail::imapd
