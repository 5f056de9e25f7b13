// SPDX-License-Identifier: Apache-2.0
// hostile_test.cpp: the client against servers that misbehave: garbage and
// over-long replies, silence (each stage's timeout, short ones here), a
// reply trickled slower than its timeout allows though every byte comes
// within the read timeout, a server that answers one byte at a time (which
// must work), 421 mid-transaction, a connection dropped during DATA, a body
// source that fails, and no reply to the end of data. Every failure must be
// a tempfail with our words for the recipients not yet answered, and leave
// the session unusable; none may hang or throw.
#include <gtest/gtest.h>

#include "script_server.h"

namespace mail::smtp::client::test {
namespace {

constexpr std::string_view kEhlo = "250-mx.test.example\n250-PIPELINING\n250 8BITMIME";
const std::string kBody = "Subject: x\r\n\r\nbody\r\n";

OutboundMessage message(std::vector<std::string> rcpts = {"a@mx.test.example", "b@mx.test.example"}) {
  OutboundMessage m;
  m.sender = "sender@client.test.example";
  m.recipients = std::move(rcpts);
  m.size = kBody.size();
  return m;
}

Script opening() {
  Script s;
  s.reply("220 mx.test.example ESMTP").expect("EHLO").reply(kEhlo);
  return s;
}

// send(), the outcomes, whether the session may go on, and what a second
// send() on it gets.
awaitable<std::string> send_twice(ClientSession& s, std::vector<std::string> chunks) {
  OutboundMessage m = message();
  std::string out = co_await send_one(s, m, chunks);
  out += s.usable() ? "usable\n" : "unusable\n";
  if (!s.usable()) {
    OutboundMessage again = message({"c@mx.test.example"});
    const std::vector<std::string> one = {kBody};
    out += co_await send_one(s, again, one);
  }
  co_return out;
}

SessionBody send_body(std::vector<std::string> chunks = {kBody}) {
  return [chunks](ClientSession& s) -> awaitable<std::string> {
    std::string out = co_await send_twice(s, chunks);
    co_return out;
  };
}

const std::string kNotUsable = "tempfail 4.4.2 the connection to 127.0.0.1[127.0.0.1]:";

TEST(ClientHostile, GarbageReplyToEhlo) {
  Script sc;
  sc.reply("220 mx ESMTP").expect("EHLO").send("hello there, this is no reply\r\n").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), send_body());
  EXPECT_EQ(got, "error stage=ehlo temp code=0 4.5.0 bad reply to EHLO: bad_code");
  // Out of step: no QUIT, just the close.
  EXPECT_EQ(server.transcript(), "C: EHLO client.test.example\nC: <eof>\n");
}

TEST(ClientHostile, GarbageReplyMidTransaction) {
  Script sc = opening();
  sc.expect("MAIL").expect("RCPT").expect("RCPT").send("250 ok\r\n250 ok\r\n2x0 what\r\n").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), send_body());
  // The first RCPT was accepted but never finally answered: a tempfail too.
  EXPECT_EQ(got.substr(0, got.find(kNotUsable)),
            "tempfail 4.5.0 bad reply to RCPT: bad_code (local)\n"
            "tempfail 4.5.0 bad reply to RCPT: bad_code (local)\n"
            "unusable\n");
  EXPECT_NE(got.find(kNotUsable), std::string::npos) << got;
  EXPECT_EQ(server.transcript().find("QUIT"), std::string::npos) << server.transcript();
}

TEST(ClientHostile, OverLongAndEndlessReplies) {
  {
    Script sc;
    sc.reply("220 mx ESMTP").expect("EHLO").reply("250-mx\n250 " + std::string(5000, 'x')).wait_close();
    ScriptServer server(sc);
    std::string got = run_client(server.port(), test_options(), send_body());
    EXPECT_EQ(got, "error stage=ehlo temp code=0 4.5.0 bad reply to EHLO: line_too_long");
  }
  {
    std::string endless;
    for (int i = 0; i < 150; ++i) endless += "250-EXTENSION" + std::to_string(i) + "\n";
    Script sc;
    sc.reply("220 mx ESMTP").expect("EHLO").reply(endless + "250 END").wait_close();
    ScriptServer server(sc);
    std::string got = run_client(server.port(), test_options(), send_body());
    EXPECT_EQ(got, "error stage=ehlo temp code=0 4.5.0 bad reply to EHLO: too_many_lines");
  }
}

TEST(ClientHostile, SilentServerTimesOut) {
  ClientOptions opts = test_options();
  opts.greeting_timeout = 300ms;
  Script sc;
  sc.wait_close();
  ScriptServer server(sc);
  const auto start = std::chrono::steady_clock::now();
  std::string got = run_client(server.port(), opts, send_body());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(got, "error stage=greeting temp code=0 4.4.2 timeout waiting for reply to the greeting");
  EXPECT_EQ(server.transcript(), "C: <eof>\n");
}

TEST(ClientHostile, RcptNeverAnswered) {
  ClientOptions opts = test_options();
  opts.rcpt_timeout = 300ms;
  Script sc = opening();
  sc.expect("MAIL").expect("RCPT").expect("RCPT").reply("250 sender ok").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), opts, send_body());
  EXPECT_EQ(got.substr(0, got.find(kNotUsable)),
            "tempfail 4.4.2 timeout waiting for reply to RCPT (local)\n"
            "tempfail 4.4.2 timeout waiting for reply to RCPT (local)\n"
            "unusable\n");
  EXPECT_NE(got.find(kNotUsable), std::string::npos) << got;
}

TEST(ClientHostile, TrickledReplyCannotStretchItsTimeout) {
  // Every byte arrives well within the connection's 5 s read timeout, but
  // the greeting as a whole takes 2 s of a 500 ms allowance.
  ClientOptions opts = test_options();
  opts.greeting_timeout = 500ms;
  Script sc;
  sc.trickle("220 mx.test.example ESMTP ready", 50ms).wait_close();
  ScriptServer server(sc);
  const auto start = std::chrono::steady_clock::now();
  std::string got = run_client(server.port(), opts, send_body());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(got, "error stage=greeting temp code=0 4.4.2 timeout waiting for reply to the greeting");
}

TEST(ClientHostile, OneByteAtATimeWorks) {
  Script sc;
  sc.trickle("220-mx.test.example ESMTP\n220 ready", 1ms)
      .expect("EHLO")
      .trickle("250-mx.test.example\n250-PIPELINING\n250-SIZE 1000\n250 ENHANCEDSTATUSCODES", 1ms)
      .expect("MAIL")
      .expect("RCPT")
      .expect("RCPT")
      .trickle("250 2.1.0 ok\n250 2.1.5 ok\n550 5.1.1 no", 1ms)
      .expect("DATA")
      .trickle("354 go", 1ms)
      .data()
      .trickle("250-2.0.0 queued\n250 2.0.0 as 42", 1ms)
      .expect("QUIT")
      .trickle("221 bye", 1ms)
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), send_body());
  EXPECT_EQ(got,
            "delivered 2.0.0 250 2.0.0 queued as 42\n"
            "permfail 5.1.1 550 5.1.1 no\n"
            "usable\n");
  EXPECT_EQ(server.transcript().find("!!"), std::string::npos) << server.transcript();
}

TEST(ClientHostile, Server421MidTransaction) {
  Script sc = opening();
  sc.expect("MAIL")
      .expect("RCPT")
      .expect("RCPT")
      .reply("250 ok\n250 ok\n421 4.3.2 shutting down")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), send_body());
  EXPECT_EQ(got.substr(0, got.find(kNotUsable)),
            "tempfail 4.3.2 421 4.3.2 shutting down\n"
            "tempfail 4.3.2 421 4.3.2 shutting down\n"
            "unusable\n");
  EXPECT_EQ(server.transcript().find("QUIT"), std::string::npos) << server.transcript();
}

TEST(ClientHostile, ConnectionDroppedDuringData) {
  Script sc = opening();
  // The server takes the 354 and leaves in the middle of the body.
  sc.expect("MAIL").expect("RCPT").expect("RCPT").reply("250 ok\n250 ok\n250 ok").expect("DATA").reply("354 go");
  sc.pause(20ms);
  ScriptServer server(sc);
  std::vector<std::string> chunks = {"Subject: big\r\n\r\n"};
  for (int i = 0; i < 64; ++i) chunks.push_back(std::string(64 * 1024, 'a' + i % 26) + "\r\n");
  std::string got = run_client(server.port(), test_options(), send_body(chunks));
  // Whether the loss shows on a write or on the wait for the final reply,
  // it is a tempfail of ours for both recipients: nothing was delivered.
  std::vector<std::string> lines;
  for (size_t start = 0; start < got.size();) {
    size_t end = got.find('\n', start);
    lines.push_back(got.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 4u) << got;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(lines[i].rfind("tempfail 4.4.2 connection lost ", 0), 0u) << got;
    EXPECT_NE(lines[i].find("(local)"), std::string::npos) << got;
  }
  EXPECT_EQ(lines[0], lines[1]);
  EXPECT_EQ(lines[2], "unusable");
  EXPECT_EQ(lines[3].rfind(kNotUsable, 0), 0u) << got;
}

TEST(ClientHostile, BodySourceFailureDropsTheConnection) {
  Script sc = opening();
  sc.expect("MAIL").expect("RCPT").expect("RCPT").reply("250 ok\n250 ok\n250 ok").expect("DATA").reply("354 go").data();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message();
    ChunkBody body({"Subject: half\r\n", "never sent\r\n"}, 1);
    std::vector<RecipientOutcome> outcomes = co_await s.send(m, body);
    co_return show(outcomes) + (s.usable() ? "usable" : "unusable");
  });
  EXPECT_EQ(got,
            "tempfail 4.3.0 cannot read the message body: blob 7 chunk 2: database gone (local)\n"
            "tempfail 4.3.0 cannot read the message body: blob 7 chunk 2: database gone (local)\n"
            "unusable");
  // The server saw the first chunk and then the connection end: no terminator.
  EXPECT_NE(server.transcript().find("D: Subject: half\\r\\n <eof>"), std::string::npos) << server.transcript();
}

TEST(ClientHostile, NoReplyToTheEndOfData) {
  ClientOptions opts = test_options();
  opts.data_end_timeout = 300ms;
  Script sc = opening();
  sc.expect("MAIL").expect("RCPT").reply("250 ok\n250 ok").expect("DATA").reply("354 go").data().wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), opts, [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"a@mx.test.example"});
    const std::vector<std::string> chunks = {kBody};
    std::string out = co_await send_one(s, m, chunks);
    co_return out + (s.usable() ? "usable" : "unusable");
  });
  EXPECT_EQ(got,
            "tempfail 4.4.2 timeout waiting for reply to end of data (the message may have been delivered) (local)\n"
            "unusable");
}

TEST(ClientHostile, ServerClosesAfterGreeting) {
  Script sc;
  sc.reply("220 mx ESMTP");
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), send_body());
  EXPECT_EQ(got.rfind("error stage=ehlo temp code=0 4.4.2 connection lost after EHLO: ", 0), 0u) << got;
}

}  // namespace
}  // namespace mail::smtp::client::test
