// SPDX-License-Identifier: Apache-2.0
// Mailbox notices: the payload round-trips; anything else is refused.
#include <gtest/gtest.h>

#include "mail/store/notice.h"

using namespace mail::store;

TEST(MailboxNotice, FormatsAndParses) {
  const MailboxNotice n{42, 7, 1234};
  EXPECT_EQ(format_mailbox_notice(n), "mailbox 42 7 1234");
  EXPECT_EQ(parse_mailbox_notice("mailbox 42 7 1234"), n);
  for (const char* bad : {"", "mailbox", "mailbox 42 7", "mailbox 42 7 1234 9", "mailbox -1 7 3", "mailbox 0 7 3",
                          "mailbox 4x 7 3", "account 42 a@b", "mailbox 42  7 3", "mailbox 42 7 99999999999999999999"})
    EXPECT_FALSE(parse_mailbox_notice(bad).has_value()) << bad;
}
