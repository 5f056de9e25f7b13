// SPDX-License-Identifier: Apache-2.0
// mailctl output: human sizes and aligned tables. Pure; cells are sanitized
// (control characters from the server are shown as '?').
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::mailctl {

/// 0 -> "0", 512 -> "512", 1536 -> "1.5K", 1073741824 -> "1G" (binary units).
std::string format_size(uint64_t bytes);
/// Quota column: "unlimited" for 0, else format_size.
std::string format_quota(uint64_t bytes);

/// Text from the server made safe for a terminal line: control characters
/// (C0, DEL and the C1 range U+0080..U+009F, which terminals also obey) and
/// bytes that are not valid UTF-8 become '?'; longer than `max` bytes is cut
/// (at a character boundary) and ends in "...".
std::string sanitize(std::string_view text, size_t max = 500);

/// Left-aligned columns separated by two spaces; a header row first.
std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

}  // namespace mail::mailctl
