// SPDX-License-Identifier: Apache-2.0
// lexer.cpp: IMAP tokens over one untrusted frame (see lexer.h).
// Diagnostics: every failure becomes an Error whose text names the verb
// context and what was expected; no peer bytes are copied into it.
#include "lexer.h"

#include "mail/common/strings.h"

namespace mail::imap::detail {

bool is_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

bool iequal(std::string_view a, std::string_view up) {
  if (a.size() != up.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != up[i]) return false;
  }
  return true;
}

std::string upper(std::string_view s) { return common::ascii_upper(s); }

bool Lexer::fail(ErrorKind kind, std::string_view text) {
  if (!error_) {
    std::string t;
    if (!context_.empty()) {
      t.append(context_);
      t += ": ";
    }
    t.append(text);
    error_ = Error{kind, std::move(t), std::nullopt};
  }
  return false;
}

bool Lexer::accept(char c) {
  if (!ok() || peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

bool Lexer::expect(char c) {
  if (accept(c)) return true;
  if (!ok()) return false;
  switch (c) {
    case ' ': return fail(at_end() ? "missing argument" : "expected a single space");
    case '(': return fail("expected '('");
    case ')': return fail("expected ')'");
    case '[': return fail("expected '['");
    case ']': return fail("expected ']'");
    default: return fail(std::string("expected '") + c + "'");
  }
}

bool Lexer::end() {
  if (!ok()) return false;
  if (!at_end()) return fail(peek() == ' ' ? "unexpected extra argument" : "unexpected characters after the arguments");
  return true;
}

bool Lexer::count_token() {
  if (!ok()) return false;
  if (++tokens_ > limits_.max_tokens) return fail(ErrorKind::kTooMany, "too many tokens");
  return true;
}

bool Lexer::count_item(size_t& items) {
  if (!ok()) return false;
  if (++items > limits_.max_list_items) return fail(ErrorKind::kTooMany, "too many list items");
  return true;
}

std::optional<std::string_view> Lexer::atom(bool astring_chars) {
  if (!count_token()) return std::nullopt;
  size_t start = pos_;
  while (!at_end() && (astring_chars ? is_astring_char(static_cast<unsigned char>(in_[pos_]))
                                     : is_atom_char(static_cast<unsigned char>(in_[pos_]))))
    ++pos_;
  if (pos_ == start) {
    fail(at_end() ? "missing argument" : "expected an atom");
    return std::nullopt;
  }
  return in_.substr(start, pos_ - start);
}

bool Lexer::accept_keyword(std::string_view kw) {
  if (!ok()) return false;
  std::string_view r = rest();
  if (r.size() < kw.size() || !iequal(r.substr(0, kw.size()), kw)) return false;
  if (r.size() > kw.size() && is_atom_char(static_cast<unsigned char>(r[kw.size()]))) return false;
  pos_ += kw.size();
  return count_token();
}

bool Lexer::expect_keyword(std::string_view kw) {
  if (accept_keyword(kw)) return true;
  return fail("expected " + std::string(kw));
}

std::optional<std::string> Lexer::keyword() {
  auto a = atom();
  if (!a) return std::nullopt;
  return upper(*a);
}

std::optional<uint64_t> Lexer::number63(bool zero_ok) {
  if (!count_token()) return std::nullopt;
  size_t start = pos_;
  uint64_t v = 0;
  while (!at_end() && is_digit(in_[pos_])) {
    v = v * 10 + static_cast<uint64_t>(in_[pos_] - '0');
    if (v > 0x7fffffffffffffffULL) {
      fail("number too large");
      return std::nullopt;
    }
    ++pos_;
  }
  if (pos_ == start) {
    fail("expected a number");
    return std::nullopt;
  }
  if (v == 0 && !zero_ok) {
    fail("expected a non-zero number");
    return std::nullopt;
  }
  return v;
}

std::optional<uint32_t> Lexer::number() {
  if (!ok()) return std::nullopt;
  if (!is_digit(peek())) {
    fail("expected a number");
    return std::nullopt;
  }
  auto v = number63(true);
  if (!v) return std::nullopt;
  if (*v > 0xffffffffULL) {
    fail("number too large");
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

std::optional<uint32_t> Lexer::nz_number() {
  if (!ok()) return std::nullopt;
  if (peek() == '0') {
    fail("expected a non-zero number");
    return std::nullopt;
  }
  return number();
}

bool Lexer::is_literal_start() const {
  char c = peek();
  return c == '{' || (c == '~' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '{');
}

std::optional<std::string> Lexer::quoted(size_t max) {
  ++pos_;  // the opening quote
  std::string out;
  bool eight = false;
  while (true) {
    if (at_end()) {
      fail("unterminated quoted string");
      return std::nullopt;
    }
    char c = in_[pos_++];
    if (c == '"') break;
    if (c == '\\') {
      if (at_end() || (in_[pos_] != '"' && in_[pos_] != '\\')) {
        fail("bad escape in quoted string");
        return std::nullopt;
      }
      c = in_[pos_++];
    } else if (c == '\r' || c == '\n' || c == '\0') {
      fail("CR, LF or NUL in a quoted string");
      return std::nullopt;
    }
    if (static_cast<unsigned char>(c) >= 0x80) eight = true;
    if (out.size() >= max) {
      fail(ErrorKind::kTooLong, "string too long");
      return std::nullopt;
    }
    out.push_back(c);
  }
  // 8-bit text only as UTF-8; whether it is allowed at all is the server's call.
  if (eight && !common::utf8_valid(out)) {
    fail("quoted string is not valid UTF-8");
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> Lexer::literal(size_t max, bool allow8, bool* was8) {
  if (!count_token()) return std::nullopt;
  bool lit8 = false;
  if (peek() == '~') {
    if (!allow8) {
      fail("literal8 not allowed here");
      return std::nullopt;
    }
    lit8 = true;
    ++pos_;
  }
  if (was8) *was8 = lit8;
  if (!accept('{')) {
    fail("expected a literal");
    return std::nullopt;
  }
  uint64_t n = 0;
  size_t digits = 0;
  while (!at_end() && is_digit(in_[pos_])) {
    n = n * 10 + static_cast<uint64_t>(in_[pos_++] - '0');
    if (++digits > 19) {
      fail(ErrorKind::kTooLong, "literal too large");
      return std::nullopt;
    }
  }
  if (digits == 0) {
    fail("bad literal size");
    return std::nullopt;
  }
  accept('+');
  if (!accept('}') || !accept('\r') || !accept('\n')) {
    fail("bad literal announcement");
    return std::nullopt;
  }
  if (n > max || n > limits_.max_literal) {
    fail(ErrorKind::kTooLong, "literal too large");
    return std::nullopt;
  }
  if (in_.size() - pos_ < n) {
    fail("literal shorter than announced");
    return std::nullopt;
  }
  std::string_view octets = in_.substr(pos_, static_cast<size_t>(n));
  if (!lit8 && octets.find('\0') != std::string_view::npos) {
    fail("NUL in a literal");
    return std::nullopt;
  }
  pos_ += static_cast<size_t>(n);
  return std::string(octets);
}

std::optional<std::string> Lexer::string(size_t max) {
  if (!ok()) return std::nullopt;
  if (max == 0) max = limits_.max_string;
  if (peek() == '"') {
    if (!count_token()) return std::nullopt;
    return quoted(max);
  }
  if (peek() == '{') return literal(max, false, nullptr);
  fail(at_end() ? "missing argument" : "expected a string");
  return std::nullopt;
}

std::optional<std::string> Lexer::astring(size_t max) {
  if (!ok()) return std::nullopt;
  if (peek() == '"' || peek() == '{') return string(max);
  auto a = atom(true);
  if (!a) return std::nullopt;
  if (a->size() > (max ? max : limits_.max_string)) {
    fail(ErrorKind::kTooLong, "string too long");
    return std::nullopt;
  }
  return std::string(*a);
}

std::optional<std::optional<std::string>> Lexer::nstring() {
  if (!ok()) return std::nullopt;
  if (accept_keyword("NIL")) return std::optional<std::string>{};
  auto s = string();
  if (!s) return std::nullopt;
  return std::optional<std::string>{std::move(*s)};
}

std::optional<std::string> Lexer::mailbox() {
  auto s = astring();
  if (!s) return std::nullopt;
  if (iequal(*s, "INBOX")) return std::string("INBOX");
  return s;
}

std::optional<std::string> Lexer::list_mailbox() {
  if (!ok()) return std::nullopt;
  if (peek() == '"' || peek() == '{') return string();
  if (!count_token()) return std::nullopt;
  size_t start = pos_;
  while (!at_end() && is_list_char(static_cast<unsigned char>(in_[pos_]))) ++pos_;
  if (pos_ == start) {
    fail(at_end() ? "missing argument" : "expected a mailbox pattern");
    return std::nullopt;
  }
  if (pos_ - start > limits_.max_string) {
    fail(ErrorKind::kTooLong, "string too long");
    return std::nullopt;
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::optional<std::string> Lexer::flag() {
  if (!ok()) return std::nullopt;
  std::string out;
  if (accept('\\')) out = "\\";
  if (!is_atom_char(static_cast<unsigned char>(peek())) || at_end()) {
    fail(at_end() && out.empty() ? "missing argument" : "expected a flag");
    return std::nullopt;
  }
  auto a = atom();
  if (!a) return std::nullopt;
  out.append(*a);
  return out;
}

std::optional<std::vector<std::string>> Lexer::flag_list() {
  if (!expect('(') || !count_token()) return std::nullopt;
  std::vector<std::string> flags;
  size_t items = 0;
  if (accept(')')) return flags;
  while (true) {
    if (!count_item(items)) return std::nullopt;
    auto f = flag();
    if (!f) return std::nullopt;
    flags.push_back(std::move(*f));
    if (accept(')')) return flags;
    if (!sp()) return std::nullopt;
  }
}

std::optional<SequenceSet> Lexer::sequence_set() {
  if (!count_token()) return std::nullopt;
  std::string_view r = rest();
  size_t n = 0;
  while (n < r.size() && (is_digit(r[n]) || r[n] == ':' || r[n] == ',' || r[n] == '*' || r[n] == '$')) ++n;
  if (n == 0) {
    fail(at_end() ? "missing argument" : "expected a sequence set");
    return std::nullopt;
  }
  Error e;
  auto set = parse_sequence_set(r.substr(0, n), limits_, &e);
  if (!set) {
    fail(e.kind, e.text);
    return std::nullopt;
  }
  pos_ += n;
  return set;
}

}  // namespace mail::imap::detail
