// SPDX-License-Identifier: Apache-2.0
// date.cpp: RFC 3501 date and date-time parsing, validation and formatting
// (see date.h). Input text is untrusted; every field is range-checked.
#include "mail/imap/date.h"

#include <array>
#include <cstdio>

#include "lexer.h"

namespace mail::imap {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, int& out) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s) {
    if (!detail::is_digit(c)) return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// "Mon-yyyy" after the day.
bool month_year(std::string_view s, Date& d) {
  if (s.size() != 8 || s[3] != '-') return false;
  d.month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (detail::iequal(s.substr(0, 3), kMonths[i])) d.month = static_cast<int>(i) + 1;
  if (d.month == 0 || !digits(s.substr(4), d.year)) return false;
  return d.day >= 1 && d.day <= days_in(d.year, d.month);
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 2) return std::nullopt;
  Date d;
  if (!digits(text.substr(0, dash), d.day) || !month_year(text.substr(dash + 1), d)) return std::nullopt;
  return d;
}

std::optional<DateTime> parse_date_time(std::string_view t) {
  // dd-Mon-yyyy hh:mm:ss +zzzz = 26 octets
  if (t.size() != 26 || t[2] != '-' || t[11] != ' ' || t[14] != ':' || t[17] != ':' || t[20] != ' ') return std::nullopt;
  DateTime dt;
  std::string_view day = t.substr(0, 2);
  if (day[0] == ' ') day.remove_prefix(1);
  if (!digits(day, dt.date.day) || !month_year(t.substr(3, 8), dt.date)) return std::nullopt;
  if (!digits(t.substr(12, 2), dt.hour) || !digits(t.substr(15, 2), dt.minute) || !digits(t.substr(18, 2), dt.second))
    return std::nullopt;
  if (dt.hour > 23 || dt.minute > 59 || dt.second > 60) return std::nullopt;
  char sign = t[21];
  int zh = 0, zm = 0;
  if ((sign != '+' && sign != '-') || !digits(t.substr(22, 2), zh) || !digits(t.substr(24, 2), zm) || zh > 23 || zm > 59)
    return std::nullopt;
  dt.zone_minutes = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
  return dt;
}

std::string format_date(const Date& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%s-%04d", d.day, kMonthNames[(d.month - 1) % 12].data(), d.year);
  return buf;
}

std::string format_date_time(const DateTime& dt) {
  char buf[48];
  int z = dt.zone_minutes < 0 ? -dt.zone_minutes : dt.zone_minutes;
  std::snprintf(buf, sizeof buf, "\"%2d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", dt.date.day,
                kMonthNames[(dt.date.month - 1) % 12].data(), dt.date.year, dt.hour, dt.minute, dt.second,
                dt.zone_minutes < 0 ? '-' : '+', z / 60, z % 60);
  return buf;
}

DateTime date_time_from_unix(int64_t seconds, int zone_minutes) {
  int64_t local = seconds + static_cast<int64_t>(zone_minutes) * 60;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  int64_t secs = local - days * 86400;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  DateTime dt;
  dt.date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  dt.date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  dt.date.year = static_cast<int>(yoe + era * 400 + (dt.date.month <= 2));
  dt.hour = static_cast<int>(secs / 3600);
  dt.minute = static_cast<int>(secs / 60 % 60);
  dt.second = static_cast<int>(secs % 60);
  dt.zone_minutes = zone_minutes;
  return dt;
}

int64_t to_unix(const DateTime& dt) {
  return days_from_civil(dt.date.year, dt.date.month, dt.date.day) * 86400 + dt.hour * 3600 + dt.minute * 60 +
         dt.second - static_cast<int64_t>(dt.zone_minutes) * 60;
}

}  // namespace mail::imap
