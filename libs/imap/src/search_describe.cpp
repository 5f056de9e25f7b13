// SPDX-License-Identifier: Apache-2.0
// search_describe.cpp: describe(), a canonical text rendering of a parsed
// SearchKey for tests and logs. Walks a tree the parser bounded in depth;
// peer bytes in strings are escaped so the output is one printable line.
#include <cstdio>

#include "mail/imap/search.h"

namespace mail::imap {
namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

void put(std::string& out, const SearchKey& key);

void put_list(std::string& out, const std::vector<SearchKey>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ' ';
    put(out, keys[i]);
  }
}

struct Writer {
  std::string& out;
  void operator()(const SearchFlag& f) {
    static constexpr const char* kNames[] = {"ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "NEW", "OLD",
                                             "RECENT", "SEEN", "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED",
                                             "UNSEEN"};
    out += kNames[f.kind];
  }
  void operator()(const SearchKeyword& k) { out += (k.negated ? "UNKEYWORD " : "KEYWORD ") + k.flag; }
  void operator()(const SearchText& t) {
    static constexpr const char* kNames[] = {"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"};
    out += kNames[t.field];
    out += ' ' + quote(t.value);
  }
  void operator()(const SearchHeader& h) { out += "HEADER " + quote(h.field) + ' ' + quote(h.value); }
  void operator()(const SearchDate& d) {
    static constexpr const char* kNames[] = {"BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"};
    out += kNames[d.which];
    out += ' ' + format_date(d.date);
  }
  void operator()(const SearchSize& s) { out += (s.larger ? "LARGER " : "SMALLER ") + std::to_string(s.size); }
  void operator()(const SearchSet& s) { out += (s.uid ? "UID " : "") + format_sequence_set(s.set); }
  void operator()(const SearchModseq& m) {
    out += "MODSEQ ";
    if (m.entry) out += quote(*m.entry) + ' ' + m.entry_type.value_or("") + ' ';
    out += std::to_string(m.modseq);
  }
  void operator()(const SearchAge& a) { out += (a.younger ? "YOUNGER " : "OLDER ") + std::to_string(a.seconds); }
  void operator()(const SearchNot& n) {
    out += "NOT ";
    put_list(out, n.child);
  }
  void operator()(const SearchOr& o) {
    out += "OR ";
    put_list(out, o.children);
  }
  void operator()(const SearchAnd& a) {
    out += '(';
    put_list(out, a.children);
    out += ')';
  }
};

void put(std::string& out, const SearchKey& key) { std::visit(Writer{out}, key.node); }

}  // namespace

std::string describe(const SearchKey& key) {
  std::string out;
  put(out, key);
  return out;
}

}  // namespace mail::imap
