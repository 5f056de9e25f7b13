// SPDX-License-Identifier: Apache-2.0
// limits.h: the bounds every IMAP parser in libs/imap applies to untrusted
// client input. Each exceeded bound is a typed Error (kTooLong or kTooMany),
// never a crash and never unbounded recursion or allocation.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mail::imap {

struct Limits {
  /// One line of a frame, without its CRLF (the text before a literal, or
  /// between two literals, or after the last one). RFC 7162 §4 asks servers
  /// to accept at least 8192 octets.
  size_t max_line = 8192;
  /// One literal's octets ({N} / {N+} / ~{N}). APPEND messages are literals,
  /// so this is also the largest message the server takes.
  uint64_t max_literal = 50u * 1024 * 1024;
  /// A whole frame: lines, CRLFs and literal octets.
  size_t max_frame = 50u * 1024 * 1024 + 64 * 1024;
  /// A string that is not an APPEND message (user names, mailbox names,
  /// search values, header field names...).
  size_t max_string = 64 * 1024;
  /// Tokens (atoms, strings, numbers, parentheses) in one command.
  size_t max_tokens = 10000;
  /// Items in any one parenthesised list (flags, fetch items, patterns,
  /// header field names, ID pairs...).
  size_t max_list_items = 1000;
  /// Nesting of parenthesised search keys, NOT and OR.
  size_t max_search_depth = 32;
  /// Ranges (comma-separated parts) in one sequence set.
  size_t max_sequence_ranges = 1000;
};

}  // namespace mail::imap
