// SPDX-License-Identifier: Apache-2.0
// Address-list parser (RFC 5322 §3.4 and §4.4 obsolete syntax: routes,
// empty list elements, CFWS around dots) for IMAP ENVELOPE. Trusts nothing:
// the value is split into tokens (atoms, quoted strings, comments, domain
// literals, specials) in one pass, then read by a small state machine that
// never backtracks, so work is linear in the value. Broken input (stray '>',
// missing '@', unterminated quotes, comments, '<' or groups) gives a
// best-effort address; nothing fails. No diagnostics.
#include "mail/mime/address.h"

#include "lex.h"

namespace mail::mime {
namespace {

enum class Kind { kAtom, kQuoted, kComment, kLiteral, kSpecial };

struct Token {
  Kind kind;
  std::string text;  // atom/literal: as written; quoted/comment: unescaped content; special: the char
};

bool is_special(char c) { return std::string_view("()<>[]:;@,\"").find(c) != std::string_view::npos; }

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t pos = 0;
  while (pos < s.size()) {
    char c = s[pos];
    if (lex::is_space(c)) {
      ++pos;
    } else if (c == '(') {
      Token t{Kind::kComment, {}};
      pos = lex::skip_comment(s, pos, &t.text);
      out.push_back(std::move(t));
    } else if (c == '"') {
      Token t{Kind::kQuoted, {}};
      pos = lex::read_quoted(s, pos, t.text);
      out.push_back(std::move(t));
    } else if (c == '[') {
      Token t{Kind::kLiteral, {}};
      while (pos < s.size() && s[pos] != ']') {
        if (!lex::is_space(s[pos])) t.text.push_back(s[pos]);
        ++pos;
      }
      t.text.push_back(']');
      if (pos < s.size()) ++pos;
      out.push_back(std::move(t));
    } else if (is_special(c)) {
      out.push_back(Token{Kind::kSpecial, std::string(1, c)});
      ++pos;
    } else {
      Token t{Kind::kAtom, {}};
      while (pos < s.size() && !lex::is_space(s[pos]) && !is_special(s[pos])) t.text.push_back(s[pos++]);
      out.push_back(std::move(t));
    }
  }
  return out;
}

bool is(const Token& t, char c) { return t.kind == Kind::kSpecial && t.text[0] == c; }

std::string quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A display name: words joined by one space, specials stuck to their neighbours.
std::optional<std::string> phrase(const std::vector<const Token*>& toks) {
  std::string out;
  bool space = false;
  for (const Token* t : toks) {
    if (t->kind == Kind::kSpecial) {
      out += t->text;
      space = false;
      continue;
    }
    if (space) out.push_back(' ');
    out += t->text;
    space = true;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// Concatenation as written (local parts and domains: CFWS dropped, quotes kept).
std::string joined(const std::vector<const Token*>& toks, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += toks[i]->kind == Kind::kQuoted ? quote(toks[i]->text) : toks[i]->text;
  return out;
}

// [obs-route] local-part "@" domain, from the tokens of an angle-addr or a
// bare addr-spec (comments already removed).
Address addr_spec(const std::vector<const Token*>& toks) {
  Address a;
  size_t start = 0;
  if (!toks.empty() && is(*toks[0], '@')) {
    size_t colon = 0;
    while (colon < toks.size() && !is(*toks[colon], ':')) ++colon;
    if (colon < toks.size()) {
      a.adl = joined(toks, 0, colon);
      start = colon + 1;
    }
  }
  size_t at = toks.size();
  for (size_t i = toks.size(); i > start; --i) {
    if (is(*toks[i - 1], '@')) {
      at = i - 1;
      break;
    }
  }
  a.mailbox = joined(toks, start, at);
  a.host = at < toks.size() ? joined(toks, at + 1, toks.size()) : std::string();
  return a;
}

class ListParser {
 public:
  ListParser(const Limits& limits) : limits_(limits) {}

  std::vector<Address> run(const std::vector<Token>& toks) {
    for (size_t i = 0; i < toks.size(); ++i) {
      const Token& t = toks[i];
      if (is(t, ',')) {
        flush();
      } else if (is(t, ';')) {
        flush();
        if (in_group_) end_group();
      } else if (is(t, ':') && !in_group_ && !angle_ && !has_at()) {
        group_marked_ = out_.size() < limits_.max_addresses;
        emit(Address{std::nullopt, std::nullopt, phrase(cur_).value_or(""), std::nullopt});
        in_group_ = true;
        cur_.clear();
        cur_has_at_ = false;
        comment_.reset();
      } else if (is(t, '<')) {
        std::vector<const Token*> inner;
        for (++i; i < toks.size() && !is(toks[i], '>'); ++i)
          if (toks[i].kind != Kind::kComment) inner.push_back(&toks[i]);
        if (!angle_) {
          angle_ = addr_spec(inner);
          angle_->name = phrase(cur_);
        }
      } else if (t.kind == Kind::kComment) {
        comment_ = t.text;
      } else if (!angle_ && !is(t, '>')) {
        cur_.push_back(&t);
        cur_has_at_ = cur_has_at_ || is(t, '@');
      }
    }
    flush();
    if (in_group_) end_group();
    return std::move(out_);
  }

 private:
  // Kept as a flag, not a scan of cur_: "@:@:@:..." must stay linear.
  bool has_at() const { return cur_has_at_; }
  void emit(Address a) {
    if (out_.size() < limits_.max_addresses) out_.push_back(std::move(a));
  }
  void end_group() {
    if (group_marked_) out_.push_back(Address{});  // past the limit too: keeps markers balanced
    in_group_ = false;
  }
  void flush() {
    if (angle_) {
      emit(std::move(*angle_));
    } else if (!cur_.empty()) {
      Address a = addr_spec(cur_);
      if (comment_ && !comment_->empty()) a.name = *comment_;
      emit(std::move(a));
    }
    angle_.reset();
    cur_.clear();
    cur_has_at_ = false;
    comment_.reset();
  }

  const Limits& limits_;
  std::vector<Address> out_;
  std::vector<const Token*> cur_;  // tokens of the element being read
  bool cur_has_at_ = false;        // an '@' is among them
  std::optional<Address> angle_;   // its angle-addr, once seen
  std::optional<std::string> comment_;
  bool in_group_ = false;
  bool group_marked_ = false;  // the open group's start marker was emitted
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value, const Limits& limits) {
  std::vector<Token> toks = tokenize(value);
  return ListParser(limits).run(toks);
}

}  // namespace mail::mime
