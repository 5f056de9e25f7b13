// SPDX-License-Identifier: Apache-2.0
// framing.h: what the session engine needs to read an IMAP command frame
// (RFC 3501 §4.3 literals, RFC 7888 LITERAL+): does a line end in a literal
// announcement "{N}" / "{N+}" (also "~{N}" literal8 of RFC 3516 / 6855),
// how many octets follow, and the tag of a line that could not be parsed.
// Pure. Trusts nothing in the line; the size is bounded by Limits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mail/imap/limits.h"

namespace mail::imap {

struct FrameInfo {
  enum Kind {
    kComplete,  ///< no literal announcement at the end: the frame is whole
    kLiteral,   ///< read `size` octets (after a continuation if synchronizing), then a line more
    /// A literal over Limits::max_literal (or a number that overflows). The
    /// server refuses before reading it: synchronizing → tagged NO/BAD, the
    /// client sends nothing more of this command; non-synchronizing → the
    /// octets are already coming: BAD and close (RFC 7888 §4).
    kTooLarge,
  };
  Kind kind = kComplete;
  uint64_t size = 0;           ///< octets announced (kLiteral, kTooLarge when it fits in 64 bits)
  bool synchronizing = false;  ///< "{N}": send "+ ..." before reading
  bool literal8 = false;       ///< "~{N}": may carry NUL octets

  friend bool operator==(const FrameInfo&, const FrameInfo&) = default;
};

/// Look at one line of a frame (without its CRLF). A line that does not end
/// in a well-formed "{digits}" or "{digits+}" is kComplete; the command
/// parser then judges it.
FrameInfo literal_at_end(std::string_view line, const Limits& limits = {});

/// The tag of a line, even a broken one: the leading run of tag characters
/// (ASTRING-CHAR except "+"), at most 63 octets, when it is followed by SP
/// or the end. nullopt when there is none; then the server answers "* BAD".
/// parse_command() uses it too, so longer tags are refused there.
std::optional<std::string> tag_of(std::string_view line);

/// True for a valid tag (1*<ASTRING-CHAR except "+">).
bool is_valid_tag(std::string_view tag);

/// The line that ends IDLE (RFC 2177): "DONE", case-insensitive.
bool parse_idle_done(std::string_view line);

}  // namespace mail::imap
