// SPDX-License-Identifier: Apache-2.0
// Tables for parse_message_date(): RFC 5322 §3.3 and the obsolete forms of
// §4.3 (two-digit years, named zones), comments, and things that are not dates.
#include <gtest/gtest.h>

#include "mail/mime/date.h"

namespace mail::mime {
namespace {

struct Case {
  const char* value;
  int y, mo, d, h, mi, s, zone;
};

TEST(MessageDate, ParsesValidForms) {
  const Case cases[] = {
      {"Tue, 1 Jul 2003 10:52:37 +0200", 2003, 7, 1, 10, 52, 37, 120},
      {"Fri, 21 Nov 1997 09:55:06 -0600", 1997, 11, 21, 9, 55, 6, -360},
      {"21 Nov 97 09:55:06 GMT", 1997, 11, 21, 9, 55, 6, 0},
      {"Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)", 1969, 2, 13, 23, 32, 0, -210},
      {" Mon,\r\n 3 Jan 05 01:02:03 EST", 2005, 1, 3, 1, 2, 3, -300},
      {"Sat, 29 Feb 2020 12:00:00 PDT", 2020, 2, 29, 12, 0, 0, -420},
      {"1 jan 2024 00:00:00 z", 2024, 1, 1, 0, 0, 0, 0},
      {"(comment) 5 (more) Dec 2010 1:2:3 +0000", 2010, 12, 5, 1, 2, 3, 0},
      {"Wed, 7 Aug 102 10:00:00 +0000", 2002, 8, 7, 10, 0, 0, 0},
      {"Tue, 1 Jul 2003 10:52:37", 2003, 7, 1, 10, 52, 37, 0},
      {"Jul 4 2021 08:00:00 +0100", 2021, 7, 4, 8, 0, 0, 60},
      {"4-Jul-2021 08:00:00 +0100", 2021, 7, 4, 8, 0, 0, 60},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    const auto d = parse_message_date(c.value);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->year, c.y);
    EXPECT_EQ(d->month, c.mo);
    EXPECT_EQ(d->day, c.d);
    EXPECT_EQ(d->hour, c.h);
    EXPECT_EQ(d->minute, c.mi);
    EXPECT_EQ(d->second, c.s);
    EXPECT_EQ(d->zone_minutes, c.zone);
  }
}

TEST(MessageDate, RefusesWhatIsNotADate) {
  for (const char* v : {"", "yesterday", "Tue, 31 Feb 2003 10:00:00 +0000", "1 Jul 2003", "1 Jul 2003 25:00:00",
                        "1 Jul 2003 10:61:00", "32 Jan 2003 10:00:00", "1 Foo 2003 10:00:00", "1 Jul 12345 10:00:00",
                        "1 Jul 2003 10:00:00 +2400"}) {
    SCOPED_TRACE(v);
    EXPECT_FALSE(parse_message_date(v));
  }
}

TEST(MessageDate, UnixTimeIsTheUtcInstant) {
  EXPECT_EQ(parse_message_date("Thu, 1 Jan 1970 00:00:00 +0000")->unix_time(), 0);
  EXPECT_EQ(parse_message_date("Thu, 1 Jan 1970 01:00:00 +0100")->unix_time(), 0);
  EXPECT_EQ(parse_message_date("Wed, 31 Dec 1969 19:00:00 EST")->unix_time(), 0);
  EXPECT_EQ(parse_message_date("Sat, 29 Feb 2020 12:00:00 +0000")->unix_time(), 1582977600);
}

}  // namespace
}  // namespace mail::mime
