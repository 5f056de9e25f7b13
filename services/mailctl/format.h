// SPDX-License-Identifier: Apache-2.0
// mailctl output: human sizes and aligned tables. Pure; cells are sanitized
// (control characters from the server are shown as '?').
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mail::mailctl {

/// 0 -> "0", 512 -> "512", 1536 -> "1.5K", 1073741824 -> "1G" (binary units).
std::string format_size(uint64_t bytes);
/// Quota column: "unlimited" for 0, else format_size.
std::string format_quota(uint64_t bytes);

/// Left-aligned columns separated by two spaces; a header row first.
std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

}  // namespace mail::mailctl
