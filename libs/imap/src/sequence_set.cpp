// SPDX-License-Identifier: Apache-2.0
// sequence_set.cpp: parsing, resolving and formatting RFC 3501 sequence
// sets (see sequence_set.h). Input text is untrusted: numbers are checked
// for range (1..4294967295) and the range count for Limits.
// Diagnostics: Error texts "bad sequence set", "too many sequence ranges".
#include "mail/imap/sequence_set.h"

#include <algorithm>

namespace mail::imap {
namespace {

// seq-number = nz-number / "*"
bool parse_number(std::string_view s, uint32_t& out) {
  if (s == "*") {
    out = kStar;
    return true;
  }
  if (s.empty() || s.size() > 10 || s[0] == '0') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 0xffffffffULL) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

void append_range(std::string& out, uint32_t a, uint32_t b) {
  auto num = [&](uint32_t n) {
    if (n == kStar)
      out += '*';
    else
      out += std::to_string(n);
  };
  if (!out.empty()) out += ',';
  num(a);
  if (a != b) {
    out += ':';
    num(b);
  }
}

}  // namespace

bool SequenceSet::has_star() const {
  return std::any_of(ranges.begin(), ranges.end(), [](const SeqRange& r) { return r.first == kStar || r.last == kStar; });
}

uint64_t ResolvedSet::count() const {
  uint64_t n = 0;
  for (const auto& iv : intervals) n += static_cast<uint64_t>(iv.hi) - iv.lo + 1;
  return n;
}

bool ResolvedSet::contains(uint32_t n) const {
  auto it = std::upper_bound(intervals.begin(), intervals.end(), n,
                             [](uint32_t v, const Interval& iv) { return v < iv.lo; });
  if (it == intervals.begin()) return false;
  --it;
  return n >= it->lo && n <= it->hi;
}

std::optional<SequenceSet> parse_sequence_set(std::string_view text, const Limits& limits, Error* error) {
  auto bad = [&](ErrorKind kind, const char* why) -> std::optional<SequenceSet> {
    if (error) *error = Error{kind, why, std::nullopt};
    return std::nullopt;
  };
  SequenceSet set;
  if (text == "$") {
    set.saved = true;
    return set;
  }
  if (text.empty()) return bad(ErrorKind::kSyntax, "bad sequence set");
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (set.ranges.size() >= limits.max_sequence_ranges) return bad(ErrorKind::kTooMany, "too many sequence ranges");
    SeqRange r;
    size_t colon = part.find(':');
    if (colon == std::string_view::npos) {
      if (!parse_number(part, r.first)) return bad(ErrorKind::kSyntax, "bad sequence set");
      r.last = r.first;
    } else if (!parse_number(part.substr(0, colon), r.first) || !parse_number(part.substr(colon + 1), r.last)) {
      return bad(ErrorKind::kSyntax, "bad sequence set");
    }
    set.ranges.push_back(r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

ResolvedSet resolve(const SequenceSet& set, uint32_t max) {
  ResolvedSet out;
  if (max == 0 || set.saved) return out;
  std::vector<ResolvedSet::Interval> ivs;
  ivs.reserve(set.ranges.size());
  for (const auto& r : set.ranges) {
    uint32_t a = r.first == kStar ? max : r.first;
    uint32_t b = r.last == kStar ? max : r.last;
    if (a > b) std::swap(a, b);
    if (a > max) continue;
    ivs.push_back({a, std::min(b, max)});
  }
  std::sort(ivs.begin(), ivs.end(), [](const auto& x, const auto& y) { return x.lo < y.lo; });
  for (const auto& iv : ivs) {
    if (!out.intervals.empty() && static_cast<uint64_t>(iv.lo) <= static_cast<uint64_t>(out.intervals.back().hi) + 1)
      out.intervals.back().hi = std::max(out.intervals.back().hi, iv.hi);
    else
      out.intervals.push_back(iv);
  }
  return out;
}

bool within(const SequenceSet& set, uint32_t max) {
  for (const auto& r : set.ranges) {
    if (r.first != kStar && r.first > max) return false;
    if (r.last != kStar && r.last > max) return false;
  }
  return true;
}

std::string format_sequence_set(std::vector<uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::string out;
  size_t i = 0;
  while (i < numbers.size()) {
    size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    append_range(out, numbers[i], numbers[j]);
    i = j + 1;
  }
  return out;
}

std::string format_sequence_set(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  for (const auto& r : set.ranges) append_range(out, r.first, r.last);
  return out;
}

std::string format_sequence_set(const ResolvedSet& set) {
  std::string out;
  for (const auto& iv : set.intervals) append_range(out, iv.lo, iv.hi);
  return out;
}

}  // namespace mail::imap
