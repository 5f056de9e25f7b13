// SPDX-License-Identifier: Apache-2.0
// lexer.h (internal): the token reader every parse_*.cpp uses over one
// frame: SP, atoms, keywords, numbers, quoted strings, literals inside the
// frame, astring / nstring / list-mailbox, flags and sequence sets
// (RFC 3501 §9). Trusts nothing; every token is counted against
// Limits::max_tokens and every string bounded. The first error wins and is
// kept in the lexer; later calls fail at once, so parsers just return.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/imap/error.h"
#include "mail/imap/limits.h"
#include "mail/imap/sequence_set.h"

namespace mail::imap::detail {

/// ATOM-CHAR: CHAR except atom-specials ( ) { SP CTL % * " \ ].
bool is_atom_char(unsigned char c);
/// ASTRING-CHAR: ATOM-CHAR or "]".
inline bool is_astring_char(unsigned char c) { return is_atom_char(c) || c == ']'; }
/// list-char: ATOM-CHAR, % * and "]".
inline bool is_list_char(unsigned char c) { return is_astring_char(c) || c == '%' || c == '*'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool iequal(std::string_view a, std::string_view upper);
std::string upper(std::string_view s);

class Lexer {
 public:
  Lexer(std::string_view in, const Limits& limits) : in_(in), limits_(limits) {}

  const Limits& limits() const { return limits_; }
  /// Prefix of error texts, the verb ("FETCH").
  void set_context(std::string_view context) { context_ = context; }

  bool ok() const { return !error_; }
  const std::optional<Error>& error() const { return error_; }
  /// Record an error (the first one stays); always returns false.
  bool fail(ErrorKind kind, std::string_view text);
  bool fail(std::string_view text) { return fail(ErrorKind::kSyntax, text); }

  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return in_.substr(pos_); }

  /// Step over n octets the caller has checked.
  void skip(size_t n) { pos_ += n; }
  /// Consume c when it is next.
  bool accept(char c);
  bool expect(char c);
  /// Exactly one SP.
  bool sp() { return expect(' '); }
  /// Nothing may follow.
  bool end();

  /// Count one token (or list item) against the limits.
  bool count_token();
  bool count_item(size_t& items);

  /// 1*ATOM-CHAR (not counting "]" unless astring_chars).
  std::optional<std::string_view> atom(bool astring_chars = false);
  /// The keyword kw (upper-case) when the next atom is it, any case;
  /// consumes nothing otherwise.
  bool accept_keyword(std::string_view kw);
  bool expect_keyword(std::string_view kw);
  /// The next atom upper-cased, for keyword dispatch.
  std::optional<std::string> keyword();

  /// number (0..4294967295), nz-number (no leading zero), and 63-bit values
  /// (mod-sequence-value; zero_ok for mod-sequence-valzer).
  std::optional<uint32_t> number();
  std::optional<uint32_t> nz_number();
  std::optional<uint64_t> number63(bool zero_ok);

  /// quoted / literal; max 0 = Limits::max_string.
  std::optional<std::string> string(size_t max = 0);
  std::optional<std::string> astring(size_t max = 0);
  /// nullopt + ok(): never; returns {nullopt} for NIL.
  std::optional<std::optional<std::string>> nstring();
  /// A literal "{N}" / "{N+}" ("~{N}" when literal8 is allowed) with its
  /// octets; NUL only in literal8. *was8 says which it was.
  std::optional<std::string> literal(size_t max, bool allow8, bool* was8);
  /// mailbox: astring, "INBOX" in any case returned as "INBOX".
  std::optional<std::string> mailbox();
  /// list-mailbox: 1*list-char / string.
  std::optional<std::string> list_mailbox();
  /// flag: "\" atom / atom (any case kept).
  std::optional<std::string> flag();
  /// "(" [flag *(SP flag)] ")".
  std::optional<std::vector<std::string>> flag_list();
  std::optional<SequenceSet> sequence_set();
  /// date (optionally quoted) and quoted date-time.
  bool is_literal_start() const;

 private:
  std::optional<std::string> quoted(size_t max);

  std::string_view in_;
  size_t pos_ = 0;
  const Limits& limits_;
  size_t tokens_ = 0;
  std::string_view context_;
  std::optional<Error> error_;
};

}  // namespace mail::imap::detail
