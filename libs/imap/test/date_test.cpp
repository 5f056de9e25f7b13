// SPDX-License-Identifier: Apache-2.0
// Tests of RFC 3501 date and date-time parsing, validation and formatting.
#include <gtest/gtest.h>

#include <string>

#include "mail/imap/date.h"

using namespace mail::imap;

namespace {

TEST(ImapDate, ParseDate) {
  EXPECT_EQ(parse_date("1-Feb-1994"), (Date{1994, 2, 1}));
  EXPECT_EQ(parse_date("01-feb-1994"), (Date{1994, 2, 1}));
  EXPECT_EQ(parse_date("29-Feb-2000"), (Date{2000, 2, 29}));
  EXPECT_EQ(parse_date("31-DEC-9999"), (Date{9999, 12, 31}));
  for (std::string_view bad : {"", "29-Feb-1900", "29-Feb-2023", "31-Apr-2020", "0-Jan-2020", "32-Jan-2020", "1-Jan-20",
                               "1-Jan-20201", "001-Jan-2020", "1-Janu-2020", "1 Jan 2020", "1-Jan-2020 ", "-Jan-2020",
                               "1-Jan-", "a-Jan-2020", "1-Jan-2o20"})
    EXPECT_FALSE(parse_date(bad)) << bad;
}

TEST(ImapDate, ParseDateTime) {
  EXPECT_EQ(parse_date_time("17-Jul-1996 02:44:25 -0700"), (DateTime{{1996, 7, 17}, 2, 44, 25, -420}));
  EXPECT_EQ(parse_date_time(" 7-Feb-1994 21:52:25 +0000"), (DateTime{{1994, 2, 7}, 21, 52, 25, 0}));
  EXPECT_EQ(parse_date_time("07-Feb-1994 23:59:60 +2359"), (DateTime{{1994, 2, 7}, 23, 59, 60, 1439}));
  for (std::string_view bad : {"", "7-Feb-1994 21:52:25 +0000", "17-Jul-1996 24:00:00 -0700", "17-Jul-1996 02:60:25 -0700",
                               "17-Jul-1996 02:44:61 -0700", "17-Jul-1996 02:44:25 0700", "17-Jul-1996 02:44:25 -2400",
                               "17-Jul-1996 02:44:25 -0760", "17-Jul-1996 02:44:25  -070", "17-Jul-1996T02:44:25 -0700",
                               "31-Jun-1996 02:44:25 -0700", "17-Jul-1996 02:44:25 -0700 "})
    EXPECT_FALSE(parse_date_time(bad)) << bad;
}

TEST(ImapDate, FormatAndUnix) {
  EXPECT_EQ(format_date_time({{1996, 7, 17}, 2, 44, 25, -420}), "\"17-Jul-1996 02:44:25 -0700\"");
  EXPECT_EQ(format_date_time({{1994, 2, 7}, 21, 52, 25, 90}), "\" 7-Feb-1994 21:52:25 +0130\"");
  EXPECT_EQ(format_date({2024, 3, 5}), "5-Mar-2024");
  DateTime epoch = date_time_from_unix(0);
  EXPECT_EQ(epoch, (DateTime{{1970, 1, 1}, 0, 0, 0, 0}));
  // 2000-02-29 12:34:56 UTC = 951827696
  EXPECT_EQ(date_time_from_unix(951827696), (DateTime{{2000, 2, 29}, 12, 34, 56, 0}));
  EXPECT_EQ(date_time_from_unix(951827696, -300), (DateTime{{2000, 2, 29}, 7, 34, 56, -300}));
  EXPECT_EQ(to_unix(*parse_date_time("29-Feb-2000 07:34:56 -0500")), 951827696);
  EXPECT_EQ(to_unix(date_time_from_unix(-86401)), -86401);
  for (int64_t t : {0LL, 1LL, 86399LL, 951827696LL, 4102444800LL, -1LL})
    EXPECT_EQ(to_unix(date_time_from_unix(t, 330)), t) << t;
}

}  // namespace
