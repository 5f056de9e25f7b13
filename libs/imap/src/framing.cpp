// SPDX-License-Identifier: Apache-2.0
// framing.cpp: literal announcements at the end of a line, tags of broken
// lines, the IDLE DONE line, and the frame pre-check parse_command() runs
// before the grammar (every CRLF must follow a literal announcement, the
// literal octets must be there, each line and the frame within Limits).
// Trusts nothing; reads only within the given views.
#include "mail/imap/framing.h"

#include "framing_check.h"
#include "lexer.h"

namespace mail::imap {

FrameInfo literal_at_end(std::string_view line, const Limits& limits) {
  FrameInfo info;
  if (line.size() < 3 || line.back() != '}') return info;
  size_t end = line.size() - 1;  // index of '}'
  bool plus = false;
  if (line[end - 1] == '+') {
    plus = true;
    --end;
  }
  size_t d = end;
  while (d > 0 && detail::is_digit(line[d - 1])) --d;
  if (d == end || d == 0 || line[d - 1] != '{') return info;
  size_t open = d - 1;
  // A literal is an argument: it starts the line's content or follows SP or
  // "(" (or "~" for literal8). Anything else ("abc{5}") is not one.
  bool lit8 = open > 0 && line[open - 1] == '~';
  size_t before = lit8 ? open - 1 : open;
  if (before > 0 && line[before - 1] != ' ' && line[before - 1] != '(') return info;
  info.synchronizing = !plus;
  info.literal8 = lit8;
  std::string_view digits = line.substr(d, end - d);
  uint64_t n = 0;
  bool overflow = false;
  for (char c : digits) {
    uint64_t v = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - v) / 10) {
      overflow = true;
      break;
    }
    n = n * 10 + v;
  }
  info.size = overflow ? 0 : n;
  info.kind = (overflow || n > limits.max_literal) ? FrameInfo::kTooLarge : FrameInfo::kLiteral;
  return info;
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty()) return false;
  for (char c : tag)
    if (!detail::is_astring_char(static_cast<unsigned char>(c)) || c == '+') return false;
  return true;
}

std::optional<std::string> tag_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && n < 64 && detail::is_astring_char(static_cast<unsigned char>(line[n])) && line[n] != '+') ++n;
  if (n == 0 || n == 64) return std::nullopt;
  if (n < line.size() && line[n] != ' ') return std::nullopt;
  return std::string(line.substr(0, n));
}

bool parse_idle_done(std::string_view line) { return detail::iequal(line, "DONE"); }

namespace detail {

std::optional<Error> check_frame(std::string_view frame, const Limits& limits) {
  if (frame.size() > limits.max_frame) return Error{ErrorKind::kTooLong, "command too long", std::nullopt};
  size_t pos = 0;
  while (true) {
    size_t crlf = frame.find("\r\n", pos);
    std::string_view line = frame.substr(pos, crlf == std::string_view::npos ? std::string_view::npos : crlf - pos);
    if (line.size() > limits.max_line) return Error{ErrorKind::kTooLong, "line too long", std::nullopt};
    if (crlf == std::string_view::npos) return std::nullopt;
    FrameInfo fi = literal_at_end(line, limits);
    if (fi.kind == FrameInfo::kTooLarge) return Error{ErrorKind::kTooLong, "literal too large", std::nullopt};
    if (fi.kind == FrameInfo::kComplete)
      return Error{ErrorKind::kSyntax, "line break without a literal announcement", std::nullopt};
    pos = crlf + 2;
    if (frame.size() - pos < fi.size) return Error{ErrorKind::kSyntax, "literal shorter than announced", std::nullopt};
    pos += static_cast<size_t>(fi.size);
  }
}

}  // namespace detail
}  // namespace mail::imap
