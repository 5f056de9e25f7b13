// SPDX-License-Identifier: Apache-2.0
// sequence_set.h: RFC 3501 sequence sets ("1,3:5,7:*") and RFC 5182 "$"
// (the saved search result), kept compact as ranges; resolving them against
// a mailbox's message count or highest UID; formatting UID lists as sets.
// Pure. The parser bounds the number of ranges by Limits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/imap/error.h"
#include "mail/imap/limits.h"

namespace mail::imap {

/// A number in a sequence set; kStar stands for "*" (the largest number in
/// use), which is safe because 0 is never a valid sequence number or UID.
inline constexpr uint32_t kStar = 0;

/// One part of a set: "n" (first == last) or "a:b" as written (either order).
struct SeqRange {
  uint32_t first = 1;
  uint32_t last = 1;
  friend bool operator==(const SeqRange&, const SeqRange&) = default;
};

struct SequenceSet {
  std::vector<SeqRange> ranges;  ///< as written; empty when `saved`
  bool saved = false;            ///< "$": the server substitutes its saved result

  bool has_star() const;
  friend bool operator==(const SequenceSet&, const SequenceSet&) = default;
};

/// An ordered, merged list of closed intervals.
struct ResolvedSet {
  struct Interval {
    uint32_t lo;
    uint32_t hi;
    friend bool operator==(const Interval&, const Interval&) = default;
  };
  std::vector<Interval> intervals;

  uint64_t count() const;
  bool contains(uint32_t n) const;
  template <class F>
  void for_each(F&& f) const {
    for (const auto& iv : intervals)
      for (uint64_t n = iv.lo; n <= iv.hi; ++n) f(static_cast<uint32_t>(n));
  }
  friend bool operator==(const ResolvedSet&, const ResolvedSet&) = default;
};

/// Parse a whole string as a sequence set (used by the command parser and
/// by tests). Errors: kSyntax, kTooMany (over max_sequence_ranges).
std::optional<SequenceSet> parse_sequence_set(std::string_view text, const Limits& limits, Error* error = nullptr);

/// Resolve against `max` (message count for sequence numbers, highest UID
/// for UIDs): "*" becomes max, each range is ordered, clipped to 1..max and
/// merged. With max == 0 the result is empty. A saved set ("$") resolves
/// to empty: the server substitutes its own saved result first.
ResolvedSet resolve(const SequenceSet& set, uint32_t max);

/// True when every explicit number in the set is <= max (RFC 3501 §9: a
/// message sequence number above the count is an error; for UIDs it is not).
bool within(const SequenceSet& set, uint32_t max);

/// "1:3,5,7:9" from numbers in any order (duplicates ignored); "" when empty.
std::string format_sequence_set(std::vector<uint32_t> numbers);
/// The wire form of a set as parsed ("$", "1:*", "5,3:2").
std::string format_sequence_set(const SequenceSet& set);
std::string format_sequence_set(const ResolvedSet& set);

}  // namespace mail::imap
