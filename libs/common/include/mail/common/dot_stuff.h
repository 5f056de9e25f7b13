// SPDX-License-Identifier: Apache-2.0
// dot_stuff.h: the one dot-stuffer for every multi-line transfer that ends in
// "." CRLF: SMTP DATA on the client side (RFC 5321 4.5.2) and POP3 RETR/TOP
// (RFC 1939 3).
//
// One rule for line ends, whoever calls: CRLF stays CRLF, and a bare LF or a
// bare CR is written as CRLF. A line starts after each of those, and a line
// that starts with '.' gets one more '.'. So the receiver sees the same lines
// whether it splits on CRLF alone (as it must) or on LF or CR (as lenient
// readers do), and no message content can end the transfer early or smuggle
// a second message behind a terminator that some other reader accepts.
//
// Trusts: nothing about the message bytes (any content, any chunking, NUL
// passed on unchanged: refusing NUL is the receiver's business). State is two
// flags, so a chunk may end anywhere, between a CR and its LF included.
// Diagnostics: none; it cannot fail.
#pragma once
#include <string>
#include <string_view>

namespace mail::common {

class DotStuffer {
 public:
  /// Appends the stuffed form of `chunk` (any piece of the message) to `out`.
  /// A CR at the end of a chunk waits for the next chunk (or finish()) to
  /// learn whether an LF follows it.
  void feed(std::string_view chunk, std::string& out);
  /// Ends the last line with CRLF if it was unterminated, appends ".\r\n",
  /// and resets the stuffer for the next message.
  void finish(std::string& out);
  /// Forgets any state (a message abandoned half-way).
  void reset() { *this = DotStuffer{}; }

  /// True when the next byte fed would start a line.
  bool at_line_start() const { return at_line_start_ && !pending_cr_; }

 private:
  bool at_line_start_ = true;
  bool pending_cr_ = false;  // the last byte fed was a CR whose LF may follow
};

/// Stuffs a whole message and appends the terminator.
std::string dot_stuff(std::string_view message);

/// The same line-end rule without stuffing: CRLF stays, a bare LF or a bare
/// CR becomes CRLF (IMAP APPEND stores what it is given in this form).
std::string to_crlf(std::string_view message);

}  // namespace mail::common
