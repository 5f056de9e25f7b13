// SPDX-License-Identifier: Apache-2.0
// Reply formatting tests: single and multi-line replies, EHLO, sanitising.
#include <gtest/gtest.h>

#include "mail/smtp/reply.h"

using namespace mail::smtp;

TEST(Reply, SingleLine) {
  const struct {
    int code;
    std::string_view enhanced, text, want;
  } cases[] = {
      {250, "2.1.0", "Ok", "250 2.1.0 Ok\r\n"},
      {220, "", "mx.example ESMTP", "220 mx.example ESMTP\r\n"},
      {354, "", "End data with <CR><LF>.<CR><LF>", "354 End data with <CR><LF>.<CR><LF>\r\n"},
      {250, "", "", "250\r\n"},
      {250, "2.0.0", "", "250 2.0.0\r\n"},
      {421, "4.4.2", "Timeout", "421 4.4.2 Timeout\r\n"},
      {550, "5.1.1", "<a@b>: Recipient address rejected", "550 5.1.1 <a@b>: Recipient address rejected\r\n"},
      // Text from elsewhere can never start a second reply line.
      {550, "5.7.1", "bad\r\n250 ok", "550 5.7.1 bad  250 ok\r\n"},
      {550, "", std::string_view("a\0b\x7f", 4), "550 a b \r\n"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_reply(c.code, c.enhanced, c.text), c.want) << c.text;
  EXPECT_EQ((Reply{250, "2.0.0", "Ok"}).wire(), "250 2.0.0 Ok\r\n");
}

TEST(Reply, LongTextIsCut) {
  auto r = format_reply(550, "5.0.0", std::string(2000, 'x'));
  EXPECT_EQ(r.size(), 512u);
  EXPECT_TRUE(r.ends_with("xx\r\n"));
  // A cut never leaves half a UTF-8 character.
  std::string text(497, 'y');
  text += "\xc3\xa9\xc3\xa9";
  r = format_reply(550, "5.0.0", text);
  EXPECT_LE(r.size(), 512u);
  EXPECT_TRUE(r.ends_with("y\xc3\xa9\r\n") || r.ends_with("y\r\n")) << r.substr(r.size() - 6);
  EXPECT_EQ(r.find("\xc3\r"), std::string::npos);
}

TEST(Reply, MultiLine) {
  EXPECT_EQ(format_reply(250, "2.0.0", std::vector<std::string>{"one", "two", "three"}),
            "250-2.0.0 one\r\n250-2.0.0 two\r\n250 2.0.0 three\r\n");
  EXPECT_EQ(format_reply(214, "", std::vector<std::string>{"help"}), "214 help\r\n");
  EXPECT_EQ(format_reply(214, "", std::vector<std::string>{}), "214\r\n");
  EXPECT_EQ(format_reply(250, "", std::vector<std::string>{"", "x"}), "250-\r\n250 x\r\n");
  EXPECT_EQ(format_reply(550, "", std::vector<std::string>{"a\nb", "c"}), "550-a b\r\n550 c\r\n");
}

TEST(Reply, Ehlo) {
  EXPECT_EQ(format_ehlo_reply("mx.example.org", "Hello client.example [192.0.2.1]",
                              {"PIPELINING", "SIZE 26214400", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8",
                               "STARTTLS"}),
            "250-mx.example.org Hello client.example [192.0.2.1]\r\n"
            "250-PIPELINING\r\n"
            "250-SIZE 26214400\r\n"
            "250-8BITMIME\r\n"
            "250-ENHANCEDSTATUSCODES\r\n"
            "250-SMTPUTF8\r\n"
            "250 STARTTLS\r\n");
  EXPECT_EQ(format_ehlo_reply("mx.example.org", "", {}), "250 mx.example.org\r\n");
  EXPECT_EQ(format_ehlo_reply("mx", "hi", {"AUTH PLAIN LOGIN"}), "250-mx hi\r\n250 AUTH PLAIN LOGIN\r\n");
}
