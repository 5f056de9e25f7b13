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

std::string sanitize(std::string_view text, size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 3);
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len != 0 && i + len <= text.size();
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
      ok = false;
    if (!ok) len = 1;
    if (out.size() + (ok ? len : 1) > max) {
      out += "...";
      return out;
    }
    if (!ok || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) out += '?';
    else out.append(text.substr(i, len));
    i += len;
  }
  return out;
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
