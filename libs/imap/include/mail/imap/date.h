// SPDX-License-Identifier: Apache-2.0
// date.h: RFC 3501 date ("1-Feb-1994", for SEARCH) and date-time
// ("17-Jul-1996 02:44:25 -0700", for APPEND and INTERNALDATE), parsed into
// validated structs and formatted back. Pure; every field is range-checked
// (day against month and leap year, zone within +-2359).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mail::imap {

struct Date {
  int year = 1970;  ///< four digits
  int month = 1;    ///< 1..12
  int day = 1;      ///< 1..days in month
  friend bool operator==(const Date&, const Date&) = default;
};

struct DateTime {
  Date date;
  int hour = 0, minute = 0, second = 0;  ///< second may be 60 (leap second)
  int zone_minutes = 0;                  ///< east of UTC, -1439..1439
  friend bool operator==(const DateTime&, const DateTime&) = default;
};

/// date-text "d-Mon-yyyy" (day one or two digits, month name any case), no quotes.
std::optional<Date> parse_date(std::string_view text);
/// date-time contents without the quotes: "dd-Mon-yyyy hh:mm:ss +zzzz"
/// (day is two digits or SP and one digit).
std::optional<DateTime> parse_date_time(std::string_view text);

/// "\"17-Jul-1996 02:44:25 -0700\"", quotes included, day padded with SP
/// as RFC 3501's date-day-fixed.
std::string format_date_time(const DateTime& dt);
/// "1-Feb-1994".
std::string format_date(const Date& d);
/// A UTC unix time as a date-time in the given zone.
DateTime date_time_from_unix(int64_t seconds, int zone_minutes = 0);
/// Seconds since the epoch of the UTC instant a date-time denotes.
int64_t to_unix(const DateTime& dt);

}  // namespace mail::imap
