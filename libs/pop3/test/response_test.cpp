// SPDX-License-Identifier: Apache-2.0
// Tests of the POP3 response writers: exact wire bytes, and the body writers
// under every chunking of their input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/pop3/response.h"

using namespace mail::pop3;

namespace {

TEST(Pop3Response, StatusLines) {
  EXPECT_EQ(ok(), "+OK\r\n");
  EXPECT_EQ(ok("maildrop locked and ready"), "+OK maildrop locked and ready\r\n");
  EXPECT_EQ(err("no such message"), "-ERR no such message\r\n");
  EXPECT_EQ(err("maildrop already locked", kCodeInUse), "-ERR [IN-USE] maildrop already locked\r\n");
  EXPECT_EQ(err("try later", kCodeSysTemp), "-ERR [SYS/TEMP] try later\r\n");
  EXPECT_EQ(err(Error{ErrorKind::kSyntax, "bad"}), "-ERR bad\r\n");
  // No text can inject a second response line.
  EXPECT_EQ(ok("a\r\n+OK b"), "+OK a  +OK b\r\n");
  EXPECT_EQ(err(std::string("x\0y", 3)), "-ERR x y\r\n");
  EXPECT_EQ(sasl_challenge(""), "+ \r\n");
  EXPECT_EQ(sasl_challenge("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
            "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
}

TEST(Pop3Response, Listings) {
  EXPECT_EQ(stat_reply({2, 320}), "+OK 2 320\r\n");
  EXPECT_EQ(stat_reply({0, 0}), "+OK 0 0\r\n");
  EXPECT_EQ(list_reply({2, 200}), "+OK 2 200\r\n");
  EXPECT_EQ(list_all_reply({{1, 120}, {2, 200}}), "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n");
  EXPECT_EQ(list_all_reply({{3, 5}}), "+OK 1 message (5 octets)\r\n3 5\r\n.\r\n");
  EXPECT_EQ(list_all_reply({}), "+OK 0 messages (0 octets)\r\n.\r\n");
  EXPECT_EQ(uidl_reply({2, "QhdPYR:00WBw1Ph7x7"}), "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
  EXPECT_EQ(uidl_all_reply({{1, "whqtswO00WBw418f9t5JxYwZ"}, {2, "QhdPYR:00WBw1Ph7x7"}}),
            "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
  EXPECT_EQ(uidl_all_reply({}), "+OK\r\n.\r\n");
}

TEST(Pop3Response, Capa) {
  CapaOptions o;
  EXPECT_EQ(capa_reply(o),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n.\r\n");
  o.user = true;
  o.sasl = {"PLAIN", "SCRAM-SHA-256"};
  o.stls = true;
  o.utf8 = true;
  o.expire = "NEVER";
  o.login_delay = 0;
  o.implementation = "mailplatform";
  o.pipelining = false;
  EXPECT_EQ(capa_reply(o),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\nRESP-CODES\r\n"
            "AUTH-RESP-CODE\r\nSTLS\r\nUTF8\r\nEXPIRE NEVER\r\nLOGIN-DELAY 0\r\nIMPLEMENTATION mailplatform\r\n.\r\n");
  EXPECT_EQ(capa_reply(std::vector<std::string>{}), "+OK Capability list follows\r\n.\r\n");
  EXPECT_EQ(capa_reply(std::vector<std::string>{"X\r\n.", ".Y"}),
            "+OK Capability list follows\r\nX  .\r\n..Y\r\n.\r\n");
}

struct StuffCase {
  std::string in;
  std::string want;
};

const std::vector<StuffCase> kStuffCases = {
    {"", ".\r\n"},
    {"a\r\n", "a\r\n.\r\n"},
    {"a", "a\r\n.\r\n"},
    {"a\r", "a\r\n.\r\n"},
    {"a\n", "a\r\n.\r\n"},  // a bare LF becomes CRLF (the one rule, common/dot_stuff.h)
    {".\r\n", "..\r\n.\r\n"},
    {".", "..\r\n.\r\n"},
    {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
    {"..x\r\n.y\r\n", "...x\r\n..y\r\n.\r\n"},
    {"a.b\r\n x.\r\n", "a.b\r\n x.\r\n.\r\n"},
    {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},  // bare LF starts a line, as CRLF
    {"a\r.\r\n", "a\r\n..\r\n.\r\n"},  // so does a bare CR
    {"\r\n\r\n", "\r\n\r\n.\r\n"},
    {std::string("\0", 1), std::string("\0\r\n.\r\n", 6)},
};

TEST(Pop3Response, DotStuffWhole) {
  for (const auto& c : kStuffCases) EXPECT_EQ(dot_stuff(c.in), c.want) << testing::PrintToString(c.in);
}

// Every split of the input into up to three chunks gives the same bytes.
TEST(Pop3Response, DotStuffAnyChunking) {
  for (const auto& c : kStuffCases) {
    const std::string& in = c.in;
    for (size_t i = 0; i <= in.size(); ++i) {
      for (size_t j = i; j <= in.size(); ++j) {
        DotStuffer s;
        std::string out;
        s.feed(std::string_view(in).substr(0, i), out);
        s.feed(std::string_view(in).substr(i, j - i), out);
        s.feed(std::string_view(in).substr(j), out);
        s.finish(out);
        EXPECT_EQ(out, c.want) << testing::PrintToString(in) << " split " << i << "," << j;
      }
    }
  }
}

TEST(Pop3Response, DotStufferIsReusableAfterFinish) {
  DotStuffer s;
  std::string out;
  s.feed("x", out);
  s.finish(out);
  s.feed(".y\r\n", out);
  s.finish(out);
  EXPECT_EQ(out, "x\r\n.\r\n..y\r\n.\r\n");
}

struct TopCase {
  std::string msg;
  size_t lines;
  std::string want;
};

TEST(Pop3Response, Top) {
  const std::string msg = "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\n.line2\r\nline3\r\n";
  const std::vector<TopCase> cases = {
      {msg, 0, "Subject: hi\r\nFrom: a@b\r\n\r\n.\r\n"},
      {msg, 1, "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\n.\r\n"},
      {msg, 2, "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\n..line2\r\n.\r\n"},
      {msg, 3, "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\n..line2\r\nline3\r\n.\r\n"},
      {msg, 100, "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\n..line2\r\nline3\r\n.\r\n"},
      // Body without a final line end: the partial line counts and gets CRLF.
      {"S: x\r\n\r\na\r\nb", 5, "S: x\r\n\r\na\r\nb\r\n.\r\n"},
      // Empty header section.
      {"\r\nbody\r\nmore\r\n", 1, "\r\nbody\r\n.\r\n"},
      {"\r\nbody\r\n", 0, "\r\n.\r\n"},
      // No blank line: all header, sent whole.
      {"S: x\r\nT: y", 0, "S: x\r\nT: y\r\n.\r\n"},
      // Folded header lines and whitespace-only lines are not the end.
      {"S: x\r\n \r\n y\r\n\r\nb1\r\nb2\r\n", 1, "S: x\r\n \r\n y\r\n\r\nb1\r\n.\r\n"},
      // LF-only files.
      {"S: x\n\nb1\nb2\n", 1, "S: x\r\n\r\nb1\r\n.\r\n"},  // bare LFs sent as CRLF
      // Empty body lines count as lines.
      {"S: x\r\n\r\n\r\n\r\nz\r\n", 2, "S: x\r\n\r\n\r\n\r\n.\r\n"},
      {"", 3, ".\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(top(c.msg, c.lines), c.want) << testing::PrintToString(c.msg) << " n=" << c.lines;
    // Byte-at-a-time feeding gives the same and stops early.
    TopWriter w(c.lines);
    std::string out;
    size_t fed = 0;
    for (char ch : c.msg) {
      ++fed;
      if (w.feed(std::string_view(&ch, 1), out)) break;
    }
    w.finish(out);
    EXPECT_EQ(out, c.want) << "bytewise " << testing::PrintToString(c.msg);
  }
}

TEST(Pop3Response, TopStopsReadingEarly) {
  TopWriter w(1);
  std::string out;
  EXPECT_FALSE(w.feed("Subject: x\r\n", out));
  EXPECT_FALSE(w.feed("\r\nfirst", out));
  EXPECT_TRUE(w.feed(" line\r\nsecond line\r\n", out));
  EXPECT_TRUE(w.done());
  EXPECT_TRUE(w.feed("more\r\n", out));  // ignored
  w.finish(out);
  EXPECT_EQ(out, "Subject: x\r\n\r\nfirst line\r\n.\r\n");
}

}  // namespace
