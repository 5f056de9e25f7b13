// SPDX-License-Identifier: Apache-2.0
// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding).
//
// The decoder trusts nothing: it is used on SASL responses straight from the
// network, so it is strict. Input length must be a multiple of four, only the
// alphabet and trailing padding are accepted, no whitespace is skipped, and
// the unused bits before the padding must be zero (a canonical encoding).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mail::common {

/// Encodes bytes as padded base64 with no line breaks.
std::string base64_encode(std::string_view bytes);

/// Decodes strict padded base64; std::nullopt on any invalid character,
/// misplaced or missing padding, a length that is not a multiple of 4, or
/// non-zero pad bits. The empty string decodes to the empty string.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mail::common
