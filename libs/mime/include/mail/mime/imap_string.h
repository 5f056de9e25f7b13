// SPDX-License-Identifier: Apache-2.0
// The IMAP string forms (RFC 3501 §4.3, §9 "string" / "nstring") that the
// ENVELOPE and BODYSTRUCTURE writers need: a quoted string when the value
// allows it, else a literal. Kept tiny and self-contained here until libs/imap
// has its own encoder; then one of them goes.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mail::mime {

/// Appends s as a quoted string ("..." with '"' and '\' escaped) when it has
/// no CR, LF, NUL or 8-bit byte and is at most 1024 bytes, else as a literal
/// "{N}\r\n" followed by the bytes.
void append_imap_string(std::string& out, std::string_view s);
/// Appends NIL for nullopt, else as append_imap_string.
void append_imap_nstring(std::string& out, const std::optional<std::string>& s);
std::string imap_string(std::string_view s);

}  // namespace mail::mime
