// SPDX-License-Identifier: Apache-2.0
// The DATA phase on both sides of the wire (RFC 5321 4.1.1.4, 4.5.2).
//
// DataDecoder (server side) turns the raw bytes a client sends after "354"
// into message bytes. It trusts nothing: the end of data is <CRLF>.<CRLF> and
// nothing else, so "\n.\n", "\r.\r", "\r\n.\n" and the like never end the
// message (SMTP smuggling); any CR or LF that is not part of a CRLF pair is an
// error. After the first error it keeps reading, discards what it reads and
// appends nothing, until the real end of data, so the session stays in step
// with the client and memory stays bounded; then the session sends the error
// reply. It consumes exactly up to the terminating CRLF.CRLF, so bytes that a
// pipelining client sent after it stay with the caller.
//
// DotStuffer (client side) is common::DotStuffer, shared with POP3 RETR/TOP:
// it adds the stuffing and the terminator, every line ending made CRLF.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/common/dot_stuff.h"
#include "mail/smtp/limits.h"
#include "mail/smtp/reply.h"

namespace mail::smtp {

enum class DataError {
  kNone,
  kBareLf,       ///< an LF not preceded by CR ("bare_lf")
  kBareCr,       ///< a CR not followed by LF ("bare_cr")
  kLineTooLong,  ///< a line over Limits::max_text_line octets incl. CRLF ("line_too_long")
  kTooBig,       ///< more than Limits::max_message_size message bytes ("too_big")
  kNul,          ///< a NUL octet, which RFC 5322 text never holds ("nul"; Postfix: message_reject_characters)
};

/// "none", "bare_lf", "bare_cr", "line_too_long", "too_big", "nul" (for logs and metrics).
std::string_view data_error_name(DataError error);

/// The one reply to send after the end of data when the decoder reports
/// `error`: 550 5.6.0 for a bare CR or LF, 554 5.6.0 for a line over
/// limits.max_text_line or a NUL (RFC 5321 4.3.2 allows only 552, 554, 451,
/// 550 there, not 500), 552 5.3.4 for too big.
Reply data_error_reply(DataError error, const Limits& limits = {});

class DataDecoder {
 public:
  explicit DataDecoder(const Limits& limits = {});

  /// Consumes bytes up to and including the terminating CRLF.CRLF; returns how
  /// many were consumed (less than bytes.size() only when done() became true).
  /// Feeding after done() consumes nothing. Works for any split of the input.
  size_t feed(std::string_view bytes);

  /// True once the terminating CRLF.CRLF has been consumed.
  bool done() const { return state_ == State::kDone; }
  /// The first error seen (kNone if none). The message must be rejected when
  /// this is set, whatever output was already taken.
  DataError error() const { return error_; }
  /// Wire bytes consumed so far, terminator included.
  uint64_t bytes_seen() const { return bytes_seen_; }
  /// Message bytes decoded so far (keeps counting after an error).
  uint64_t message_size() const { return message_size_; }

  /// Decoded message bytes not yet taken; every line ends in CRLF once done().
  /// Nothing is appended after an error.
  const std::string& output() const { return output_; }
  /// Moves the pending output out (for streaming the message onwards).
  std::string take_output();

  /// Starts over for a new message.
  void reset();

 private:
  enum class State { kLineStart, kDot, kDotCr, kInLine, kCr, kDone };

  void fail(DataError error);
  void emit(std::string_view bytes);
  void in_line(char c);

  Limits limits_;
  State state_ = State::kLineStart;
  DataError error_ = DataError::kNone;
  uint64_t bytes_seen_ = 0;
  uint64_t message_size_ = 0;
  size_t line_length_ = 0;  // wire octets of the current line so far
  std::string output_;
};

/// The client side's stuffer is the shared one (mail/common/dot_stuff.h):
/// CRLF, bare LF and bare CR all become CRLF; a leading '.' is doubled.
using DotStuffer = common::DotStuffer;
using common::dot_stuff;

}  // namespace mail::smtp
