// SPDX-License-Identifier: Apache-2.0
// Limits for the SMTP server-side parsers. Every length and count a peer can
// make us hold is bounded by one of these; the values come from configuration
// (immutable after start-up) and default to what RFC 5321 and Postfix use.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace mail::smtp {

struct Limits {
  /// Longest command line, without CRLF (RFC 5321 4.5.3.1.4 says 512 incl. CRLF;
  /// extensions make longer lines legitimate, Postfix allows 2048).
  size_t max_command_line = 2048;
  /// Longest DATA text line on the wire, including CRLF (RFC 5321 4.5.3.1.6).
  size_t max_text_line = 1000;
  /// Largest message, counted in decoded (unstuffed) bytes; also the SIZE limit.
  uint64_t max_message_size = 25ull * 1024 * 1024;
  /// RCPT commands accepted per transaction (enforced by the session).
  size_t max_recipients = 100;
  /// Longest AUTH command line or SASL response line, without CRLF (RFC 4954 4:
  /// at least 12288 octets).
  size_t max_auth_line = 12288;
  /// Longest reverse-path or forward-path, brackets included (RFC 5321 4.5.3.1.3).
  size_t max_path = 256;
};

/// The bound a session should put on a line it reads before parsing it: the
/// larger of the command and AUTH limits (parse_command then applies the
/// stricter limit for every verb except AUTH).
inline size_t command_read_limit(const Limits& limits) {
  return std::max(limits.max_command_line, limits.max_auth_line);
}

}  // namespace mail::smtp
