// SPDX-License-Identifier: Apache-2.0
// SMTP reply parser (client side): a byte-at-a-time state machine over
// "code [SP|-] text CRLF" lines. Input is untrusted server output; every
// count is checked against ReplyLimits before anything is stored, so memory
// stays within max_line + max_total whatever the server sends. No I/O, no
// logging; errors are ReplyError values.
#include "mail/smtp/reply_parser.h"

namespace mail::smtp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "C.S.D" at the start of `text`, C == cls, S and D of 1..3 digits, followed
// by the end or a space (RFC 3463 2, RFC 2034 4). Returns its length or 0.
size_t enhanced_length(std::string_view text, char cls) {
  if (cls != '2' && cls != '4' && cls != '5') return 0;  // no class 3 (354)
  if (text.size() < 5 || text[0] != cls || text[1] != '.') return 0;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t digits = 0;
    while (i < text.size() && is_digit(text[i]) && digits < 4) ++i, ++digits;
    if (digits == 0 || digits > 3) return 0;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  if (i < text.size() && text[i] != ' ') return 0;
  return i;
}

}  // namespace

std::string_view reply_error_name(ReplyError error) {
  switch (error) {
    case ReplyError::kBadCode: return "bad_code";
    case ReplyError::kBadLine: return "bad_line";
    case ReplyError::kMixedCodes: return "mixed_codes";
    case ReplyError::kLineTooLong: return "line_too_long";
    case ReplyError::kTooManyLines: return "too_many_lines";
    case ReplyError::kTooBig: return "too_big";
    case ReplyError::kBareLf: return "bare_lf";
  }
  return "unknown";
}

const std::string& ServerReply::enhanced() const {
  static const std::string kEmpty;
  return lines.empty() ? kEmpty : lines.front().enhanced;
}

std::string ServerReply::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (l.text.empty()) continue;
    if (!out.empty()) out += ' ';
    out += l.text;
  }
  return out;
}

std::string ServerReply::summary() const {
  std::string out = std::to_string(code);
  if (!enhanced().empty()) out += ' ' + enhanced();
  std::string t = text();
  if (!t.empty()) out += ' ' + t;
  return out;
}

void ReplyParser::reset() {
  state_ = State::kCode;
  code_len_ = 0;
  last_line_ = false;
  line_len_ = 0;
  total_ = 0;
  text_.clear();
  reply_ = ServerReply{};
}

ReplyStep ReplyParser::fail(ReplyError error) {
  state_ = State::kFailed;
  error_ = error;
  text_.clear();
  reply_ = ServerReply{};
  return error;
}

void ReplyParser::add_text_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  text_ += ((u < 0x20 && c != '\t') || u == 0x7f) ? ' ' : c;
}

ReplyParser::LineEnd ReplyParser::end_line() {
  const int code = (code_[0] - '0') * 100 + (code_[1] - '0') * 10 + (code_[2] - '0');
  ReplyLine line;
  std::string_view text = text_;
  if (size_t n = enhanced_length(text, code_[0])) {
    line.enhanced.assign(text.substr(0, n));
    text.remove_prefix(n < text.size() ? n + 1 : n);
  }
  line.text.assign(text);
  reply_.code = code;
  reply_.lines.push_back(std::move(line));
  text_.clear();
  line_len_ = 0;
  code_len_ = 0;
  state_ = State::kCode;
  if (last_line_) return LineEnd::kReplyDone;
  // Another line must follow, and there is no room for it.
  if (reply_.lines.size() >= limits_.max_lines) return LineEnd::kTooManyLines;
  return LineEnd::kMore;
}

ReplyStep ReplyParser::parse(std::string_view& in) {
  if (state_ == State::kFailed) return error_;
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i++];
    if (++total_ > limits_.max_total) {
      in.remove_prefix(i);
      return fail(ReplyError::kTooBig);
    }
    bool line_done = false;
    switch (state_) {
      case State::kCode: {
        const bool ok = code_len_ == 0 ? (c >= '2' && c <= '5') : is_digit(c);
        if (!ok) {
          in.remove_prefix(i);
          return fail(ReplyError::kBadCode);
        }
        code_[code_len_++] = c;
        ++line_len_;
        if (code_len_ == 3) {
          if (!reply_.lines.empty() &&
              (code_[0] - '0') * 100 + (code_[1] - '0') * 10 + (code_[2] - '0') != reply_.code) {
            in.remove_prefix(i);
            return fail(ReplyError::kMixedCodes);
          }
          state_ = State::kSeparator;
        }
        break;
      }
      case State::kSeparator:
        if (c == ' ' || c == '-') {
          last_line_ = c == ' ';
          ++line_len_;
          state_ = State::kText;
        } else if (c == '\r') {
          last_line_ = true;  // "250" CRLF: a final line without text
          state_ = State::kCr;
        } else if (c == '\n' && !limits_.strict_crlf) {
          last_line_ = true;
          line_done = true;
        } else {
          in.remove_prefix(i);
          return fail(c == '\n' ? ReplyError::kBareLf : ReplyError::kBadLine);
        }
        break;
      case State::kCr:
        if (c == '\n') {
          line_done = true;
          break;
        }
        // The CR before this byte was bare: it is text (made a space).
        add_text_byte('\r');
        if (++line_len_ > limits_.max_line) {
          in.remove_prefix(i);
          return fail(ReplyError::kLineTooLong);
        }
        state_ = State::kText;
        [[fallthrough]];
      case State::kText:
        if (c == '\r') {
          state_ = State::kCr;
        } else if (c == '\n') {
          if (limits_.strict_crlf) {
            in.remove_prefix(i);
            return fail(ReplyError::kBareLf);
          }
          line_done = true;
        } else {
          if (++line_len_ > limits_.max_line) {
            in.remove_prefix(i);
            return fail(ReplyError::kLineTooLong);
          }
          add_text_byte(c);
        }
        break;
      case State::kFailed:
        break;  // not reached: checked above
    }
    if (!line_done) continue;
    switch (end_line()) {
      case LineEnd::kMore:
        break;
      case LineEnd::kReplyDone: {
        in.remove_prefix(i);
        ServerReply done = std::move(reply_);
        reset();
        return done;
      }
      case LineEnd::kTooManyLines:
        in.remove_prefix(i);
        return fail(ReplyError::kTooManyLines);
    }
  }
  in.remove_prefix(i);
  return NeedMore{};
}

std::variant<ServerReply, ReplyError> parse_reply(std::string_view wire, const ReplyLimits& limits) {
  ReplyParser parser(limits);
  ReplyStep step = parser.parse(wire);
  if (auto* e = std::get_if<ReplyError>(&step)) return *e;
  if (std::holds_alternative<NeedMore>(step) || !wire.empty()) return ReplyError::kBadLine;
  return std::get<ServerReply>(std::move(step));
}

}  // namespace mail::smtp
