// SPDX-License-Identifier: Apache-2.0
// date.h: the RFC 5322 §3.3 date-time of a Date: field ("Tue, 1 Jul 2003
// 10:52:37 +0200"), with the obsolete forms of §4.3 that real mail still
// carries: two- and three-digit years, named zones (UT, GMT, EST...),
// military zones (taken as +0000, as §4.3 advises), missing seconds, a
// missing day of week, comments and extra whitespace anywhere. For IMAP
// SEARCH SENTBEFORE/SENTON/SENTSINCE (the date as written) and SORT DATE
// (the instant, in UTC).
// Pure; trusts nothing: every field is range-checked, and anything that
// is not a date gives nullopt (no diagnostics).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace mail::mime {

struct MessageDate {
  int year = 1970, month = 1, day = 1;   ///< as written (the sender's local date)
  int hour = 0, minute = 0, second = 0;  ///< as written
  int zone_minutes = 0;                  ///< east of UTC
  /// Seconds since the epoch of the instant (UTC).
  int64_t unix_time() const;
};

/// Parses the value of a Date: field (unfolded or folded).
std::optional<MessageDate> parse_message_date(std::string_view value);

}  // namespace mail::mime
