// SPDX-License-Identifier: Apache-2.0
// Size formatting and table rendering for mailctl's list and show output.
#include "format.h"

#include <algorithm>
#include <cstdio>

namespace mail::mailctl {
namespace {

std::string clean(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string format_size(uint64_t bytes) {
  static const char kUnits[] = {'K', 'M', 'G', 'T', 'P', 'E'};
  if (bytes < 1024) return std::to_string(bytes);
  int unit = -1;
  long double v = static_cast<long double>(bytes);
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  uint64_t scale = 1ULL << (10 * (unit + 1));
  if (bytes % scale == 0) return std::to_string(bytes / scale) + kUnits[unit];
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1Lf%c", v, kUnits[unit]);
  // 1023.96K rounds to "1024.0K": say 1.0M instead.
  if (v >= 1023.95L && unit < 5) std::snprintf(buf, sizeof buf, "%.1f%c", 1.0, kUnits[unit + 1]);
  return buf;
}

std::string format_quota(uint64_t bytes) { return bytes == 0 ? "unlimited" : format_size(bytes); }

std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  };
  measure(headers);
  for (const auto& r : rows) measure(r);
  std::string out;
  auto emit = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < r.size() ? clean(r[i]) : "";
      line += cell;
      if (i + 1 < width.size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(headers);
  for (const auto& r : rows) emit(r);
  return out;
}

}  // namespace mail::mailctl
