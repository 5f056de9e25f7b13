// SPDX-License-Identifier: Apache-2.0
// framing_check.h (internal): the frame pre-check of parse_command().
#pragma once
#include <optional>
#include <string_view>

#include "mail/imap/error.h"
#include "mail/imap/limits.h"

namespace mail::imap::detail {

/// nullopt when the frame's lines and literals are well delimited and within limits.
std::optional<Error> check_frame(std::string_view frame, const Limits& limits);

}  // namespace mail::imap::detail
