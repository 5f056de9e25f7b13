// SPDX-License-Identifier: Apache-2.0
// Internal lexical helpers shared by the structured-field parsers
// (content_type.cpp, address.cpp): RFC 5322 §3.2 whitespace, comments and
// quoted strings over an unfolded or folded field value. Trusts nothing: an
// unterminated comment or quoted string ends at the end of the value, nesting
// is a counter (no recursion), and every loop advances. No diagnostics.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mail::mime::lex {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/// Skips a comment starting at s[pos] == '('; returns the position after it
/// and, when text is given, stores its content without the outer
/// parentheses (quoted-pairs unescaped, nested parentheses kept).
inline size_t skip_comment(std::string_view s, size_t pos, std::string* text = nullptr) {
  size_t depth = 0;
  for (; pos < s.size(); ++pos) {
    char c = s[pos];
    if (c == '\\' && pos + 1 < s.size()) {
      ++pos;
      if (text) text->push_back(s[pos]);
      continue;
    }
    if (c == '(') {
      if (depth++ == 0) continue;
    } else if (c == ')') {
      if (--depth == 0) return pos + 1;
    }
    if (text && c != '\r' && c != '\n') text->push_back(c);
  }
  return pos;
}

/// Skips spaces, line ends and comments.
inline size_t skip_cfws(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    if (is_space(s[pos])) {
      ++pos;
    } else if (s[pos] == '(') {
      pos = skip_comment(s, pos);
    } else {
      break;
    }
  }
  return pos;
}

/// Reads a quoted string starting at s[pos] == '"'; returns the position
/// after the closing quote (or the end) and appends the unescaped content
/// to out (folding line ends dropped).
inline size_t read_quoted(std::string_view s, size_t pos, std::string& out) {
  for (++pos; pos < s.size(); ++pos) {
    char c = s[pos];
    if (c == '\\' && pos + 1 < s.size()) {
      out.push_back(s[++pos]);
    } else if (c == '"') {
      return pos + 1;
    } else if (c != '\r' && c != '\n') {
      out.push_back(c);
    }
  }
  return pos;
}

}  // namespace mail::mime::lex
