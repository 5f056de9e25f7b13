// SPDX-License-Identifier: Apache-2.0
// SMTP reply parser, the client side of RFC 5321 4.2 (enhanced status codes
// RFC 2034 / RFC 3463).
//
// Pure: bytes from the server in (split anywhere, one byte at a time if need
// be), complete replies, "need more" or a typed error out. No I/O, no logging.
//
// Trusts: nothing. Every line, the number of lines and the total size of one
// reply are bounded by ReplyLimits, so a server cannot make us buffer without
// bound; a line over the limit is an error as soon as it is seen, not when
// its end arrives. Codes must be three digits, 2xx..5xx, and every line of a
// multi-line reply must carry the same code.
//
// Line ends: CRLF is the norm. A bare LF is also accepted as a line end (as
// Postfix's smtp client and most MTAs do): a reply cannot smuggle anything,
// the client acts on codes only, and refusing would make mail to sloppy
// servers undeliverable. ReplyLimits::strict_crlf turns that off. A CR that is
// not followed by LF, NUL and other control characters (TAB excepted) are
// replaced by a space in the text returned, so reply text can go into logs,
// Received headers and DSNs as is.
//
// Diagnostics: ReplyError, named by reply_error_name() for logs and metrics.
// After an error the stream is out of step (we cannot know where the next
// reply starts): the caller should give up on the connection (QUIT, close).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mail::smtp {

/// Bounds for one reply read from a server.
struct ReplyLimits {
  /// Longest reply line, without its line end. RFC 5321 4.5.3.1.5 says 512
  /// octets with CRLF; servers exceed that, Postfix's smtp client reads 2048.
  size_t max_line = 2048;
  /// Lines in one reply (an EHLO reply has about 15).
  size_t max_lines = 100;
  /// Octets of one reply on the wire, line ends included.
  size_t max_total = 64 * 1024;
  /// Refuse a bare LF as line end (kBareLf) instead of accepting it.
  bool strict_crlf = false;
};

/// One line of a reply, after its code and separator.
struct ReplyLine {
  /// The enhanced status code ("2.1.0") when the line starts with one whose
  /// class equals the reply's first digit (RFC 2034 3), otherwise empty.
  std::string enhanced;
  /// The rest of the line (after the enhanced code and its space, if any).
  std::string text;
  bool operator==(const ReplyLine&) const = default;
};

/// A complete reply from a server.
struct ServerReply {
  int code = 0;                  ///< 200..599
  std::vector<ReplyLine> lines;  ///< at least one

  bool positive() const { return code >= 200 && code < 400; }  ///< 2xx, 3xx
  bool transient() const { return code >= 400 && code < 500; }  ///< 4xx
  bool permanent() const { return code >= 500; }                 ///< 5xx
  /// The first line's enhanced code ("" when none).
  const std::string& enhanced() const;
  /// The texts of all lines joined by single spaces (for logs and DSNs).
  std::string text() const;
  /// The reply as "code enhanced text" on one line, e.g. "550 5.1.1 no such user".
  std::string summary() const;
  bool operator==(const ServerReply&) const = default;
};

enum class ReplyError {
  kBadCode,      ///< not three digits, first digit not 2..5 ("bad_code")
  kBadLine,      ///< code followed by something other than SP, "-" or the line end ("bad_line")
  kMixedCodes,   ///< a line of a multi-line reply with another code ("mixed_codes")
  kLineTooLong,  ///< a line over ReplyLimits::max_line ("line_too_long")
  kTooManyLines, ///< more than ReplyLimits::max_lines lines ("too_many_lines")
  kTooBig,       ///< more than ReplyLimits::max_total octets ("too_big")
  kBareLf,       ///< a bare LF with ReplyLimits::strict_crlf ("bare_lf")
};

/// "bad_code", "bad_line", ... (for logs and metrics).
std::string_view reply_error_name(ReplyError error);

/// Returned while a reply is incomplete.
struct NeedMore {
  bool operator==(const NeedMore&) const = default;
};

using ReplyStep = std::variant<NeedMore, ServerReply, ReplyError>;

/// Incremental reply parser; one per connection.
///
///   std::string_view in = bytes_from_socket;
///   auto step = parser.parse(in);   // `in` loses what was consumed
///
/// It consumes exactly up to the end of one reply, so bytes after it (the next
/// pipelined reply, or bytes a server sent after "220 Ready to start TLS",
/// which must be thrown away before the handshake) stay in `in`.
class ReplyParser {
 public:
  explicit ReplyParser(const ReplyLimits& limits = {}) : limits_(limits) {}

  /// Consumes bytes from the front of `in` and returns:
  ///  - a ServerReply once one is complete; `in` then starts right after its
  ///    last line end, and the parser is ready for the next reply;
  ///  - NeedMore when `in` ran out first (all of it consumed and held here);
  ///  - a ReplyError for malformed input; `in` starts after the offending
  ///    byte. The error is sticky: later calls return it and consume nothing
  ///    until reset().
  ReplyStep parse(std::string_view& in);

  /// True while part of a reply has been consumed but not yet returned.
  bool in_reply() const { return total_ > 0; }

  /// Forgets any partial reply and a sticky error.
  void reset();

 private:
  enum class State { kCode, kSeparator, kText, kCr, kFailed };

  enum class LineEnd { kMore, kReplyDone, kTooManyLines };

  ReplyStep fail(ReplyError error);
  // The current line is complete: splits off its enhanced code and adds it.
  LineEnd end_line();
  void add_text_byte(char c);

  ReplyLimits limits_;
  State state_ = State::kCode;
  ReplyError error_ = ReplyError::kBadCode;
  char code_[3] = {0, 0, 0};
  size_t code_len_ = 0;
  bool last_line_ = false;  // separator was SP or the line ended after the code
  size_t line_len_ = 0;     // octets of the current line so far, line end excluded
  size_t total_ = 0;        // octets of the current reply so far
  std::string text_;        // text of the current line
  ServerReply reply_;
};

/// Parses `wire`, which must hold exactly one complete reply (tests, tools).
/// A trailing partial reply or extra bytes are reported as kBadLine.
std::variant<ServerReply, ReplyError> parse_reply(std::string_view wire, const ReplyLimits& limits = {});

}  // namespace mail::smtp
