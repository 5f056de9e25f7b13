// SPDX-License-Identifier: Apache-2.0
// date.cpp: RFC 3501 date and date-time parsing, validation and formatting
// (see date.h). Input text is untrusted; every field is range-checked.
#include "mail/imap/date.h"

#include <array>
#include <cstdio>

#include "lexer.h"
#include "mail/common/civil_date.h"

namespace mail::imap {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int days_in(int y, int m) { return common::days_in_month(y, m); }

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
  const common::CivilDate c = common::civil_from_days(days);
  DateTime dt;
  dt.date = {c.year, c.month, c.day};
  dt.hour = static_cast<int>(secs / 3600);
  dt.minute = static_cast<int>(secs / 60 % 60);
  dt.second = static_cast<int>(secs % 60);
  dt.zone_minutes = zone_minutes;
  return dt;
}

int64_t to_unix(const DateTime& dt) {
  return common::days_from_civil(dt.date.year, dt.date.month, dt.date.day) * 86400 + dt.hour * 3600 + dt.minute * 60 +
         dt.second - static_cast<int64_t>(dt.zone_minutes) * 60;
}

}  // namespace mail::imap
