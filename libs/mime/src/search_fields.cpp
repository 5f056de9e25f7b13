// SPDX-License-Identifier: Apache-2.0
// search_fields(): the From/To/Cc/Bcc/Subject/Date lines SEARCH matches,
// decoded and folded once when a message is stored (see search_text.h).
#include <array>

#include "mail/common/strings.h"
#include "mail/mime/decode.h"
#include "mail/mime/header.h"
#include "mail/mime/search_text.h"

namespace mail::mime {
namespace {

constexpr std::array<std::string_view, 6> kNames = {"from", "to", "cc", "bcc", "subject", "date"};

// Appends s as valid UTF-8 without NUL, CR or LF.
void append_clean(std::string& out, std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    const size_t n = common::utf8_decode(s, i, cp);
    if (n == 0) {  // not a character here
      out.append(kReplacement);
      ++i;
      continue;
    }
    if (cp == 0) out.append(kReplacement);
    else if (cp == '\r' || cp == '\n') out.push_back(' ');
    else out.append(s.substr(i, n));
    i += n;
  }
}

}  // namespace

bool is_search_field(std::string_view name) {
  for (auto n : kNames)
    if (common::iequals(n, name)) return true;
  return false;
}

std::string search_fields(std::string_view header_section) {
  std::string out;
  for (const auto& f : parse_header_prefix(header_section).fields) {
    if (!f.valid) continue;
    for (auto n : kNames) {
      if (!common::iequals(n, f.name)) continue;
      out.append(n).push_back('\t');
      if (n == "date") append_clean(out, common::trim(f.value));
      else append_clean(out, fold_case(decode_header_value(f.value)));
      out.push_back('\n');
      break;
    }
  }
  return out;
}

namespace {

// Calls f(value) for each line named `name` until f returns true.
template <class F>
bool any_line(std::string_view fields, std::string_view name, F&& f) {
  size_t pos = 0;
  while (pos < fields.size()) {
    size_t end = fields.find('\n', pos);
    if (end == std::string_view::npos) end = fields.size();
    const std::string_view line = fields.substr(pos, end - pos);
    pos = end + 1;
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos || !common::iequals(line.substr(0, tab), name)) continue;
    if (f(line.substr(tab + 1))) return true;
  }
  return false;
}

}  // namespace

bool search_field_holds(std::string_view fields, std::string_view name, std::string_view folded_needle) {
  return any_line(fields, name,
                  [&](std::string_view value) { return value.find(folded_needle) != std::string_view::npos; });
}

std::optional<std::string_view> search_field(std::string_view fields, std::string_view name) {
  std::optional<std::string_view> out;
  any_line(fields, name, [&](std::string_view value) {
    out = value;
    return true;
  });
  return out;
}

}  // namespace mail::mime
