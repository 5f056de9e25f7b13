// SPDX-License-Identifier: Apache-2.0
// DATA decoding (server; dot-stuffing lives in mail/common/dot_stuff.h). The decoder reads raw
// client bytes, trusts none of them, and recognises <CRLF>.<CRLF> as the only
// end of data; every CR or LF outside a CRLF pair is an error (SMTP smuggling).
// Memory is bounded: after any error nothing more is kept.
#include "mail/smtp/data.h"

namespace mail::smtp {

std::string_view data_error_name(DataError error) {
  switch (error) {
    case DataError::kNone: return "none";
    case DataError::kBareLf: return "bare_lf";
    case DataError::kBareCr: return "bare_cr";
    case DataError::kLineTooLong: return "line_too_long";
    case DataError::kTooBig: return "too_big";
    case DataError::kNul: return "nul";
  }
  return "unknown";
}

Reply data_error_reply(DataError error, const Limits& limits) {
  switch (error) {
    case DataError::kNone: return {250, "2.0.0", "Ok"};
    case DataError::kBareLf:
    case DataError::kBareCr:
      // Lines must end in CRLF; a bare CR or LF is how SMTP smuggling hides a
      // second message behind an end of data that other servers accept.
      return {550, "5.6.0", "Message refused: bare CR or LF in message text; lines must end with CRLF"};
    case DataError::kLineTooLong:
      return {554, "5.6.0",
              "Message refused: a line is longer than " + std::to_string(limits.max_text_line) + " octets"};
    case DataError::kTooBig: return {552, "5.3.4", "Message size exceeds fixed maximum message size"};
    case DataError::kNul: return {554, "5.6.0", "Message refused: NUL characters are not allowed"};
  }
  return {554, "5.6.0", "Message rejected"};
}

DataDecoder::DataDecoder(const Limits& limits) : limits_(limits) {}

void DataDecoder::reset() {
  state_ = State::kLineStart;
  error_ = DataError::kNone;
  bytes_seen_ = 0;
  message_size_ = 0;
  line_length_ = 0;
  output_.clear();
}

std::string DataDecoder::take_output() {
  std::string out;
  out.swap(output_);
  return out;
}

void DataDecoder::fail(DataError error) {
  if (error_ != DataError::kNone) return;  // the first error is the one reported
  error_ = error;
  std::string().swap(output_);  // rejected anyway: free it now
}

void DataDecoder::emit(std::string_view bytes) {
  message_size_ += bytes.size();
  if (error_ != DataError::kNone) return;
  if (message_size_ > limits_.max_message_size) {
    fail(DataError::kTooBig);
    return;
  }
  output_.append(bytes);
}

// A byte in the middle of a line (the leading-dot handling already done).
void DataDecoder::in_line(char c) {
  state_ = State::kInLine;
  if (c == '\r') {
    state_ = State::kCr;
  } else if (c == '\n') {
    fail(DataError::kBareLf);  // and the line goes on: an LF alone ends nothing
  } else if (c == '\0') {
    fail(DataError::kNul);
  } else {
    emit(std::string_view(&c, 1));
  }
}

size_t DataDecoder::feed(std::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n && state_ != State::kDone) {
    if (state_ == State::kInLine) {
      // Fast path: copy the run of ordinary bytes up to the next CR or LF.
      size_t j = i;
      while (j < n && bytes[j] != '\r' && bytes[j] != '\n' && bytes[j] != '\0') ++j;
      if (j > i) {
        line_length_ += j - i;
        if (line_length_ > limits_.max_text_line) fail(DataError::kLineTooLong);
        emit(bytes.substr(i, j - i));
        i = j;
        continue;
      }
    }
    const char c = bytes[i++];
    if (++line_length_ > limits_.max_text_line) fail(DataError::kLineTooLong);
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;
        } else {
          in_line(c);
        }
        break;
      case State::kDot:
        // ".\r" may start the terminator; anything else means the dot was
        // stuffing and is dropped (RFC 5321 4.5.2).
        if (c == '\r') state_ = State::kDotCr;
        else in_line(c);
        break;
      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
        } else {
          fail(DataError::kBareCr);
          in_line(c);
        }
        break;
      case State::kInLine:
        in_line(c);
        break;
      case State::kCr:
        if (c == '\n') {
          emit("\r\n");
          state_ = State::kLineStart;
          line_length_ = 0;
        } else if (c == '\r') {
          fail(DataError::kBareCr);  // the first CR was bare; this one may still pair
        } else {
          fail(DataError::kBareCr);
          in_line(c);
        }
        break;
      case State::kDone:
        break;
    }
  }
  bytes_seen_ += i;
  return i;
}

}  // namespace mail::smtp
