// SPDX-License-Identifier: Apache-2.0
// session_test.cpp: the client conversation against scripted servers on
// loopback: a transaction with and without PIPELINING (the script proves
// which: it reads all the pipelined commands before it answers, or checks
// that the client waits), the HELO fallback, per-recipient outcomes, no
// DATA when every RCPT is refused, SIZE refused before sending, MAIL
// refused, dot-stuffing and CRLF on the wire, and a second message on the
// same connection after RSET. Every test compares the server's transcript
// of what the client sent, byte for byte where it matters.
#include <gtest/gtest.h>

#include "script_server.h"

namespace mail::smtp::client::test {
namespace {

constexpr std::string_view kEhloPipelining =
    "250-mx.test.example at your service\n250-PIPELINING\n250-SIZE 100000\n250-8BITMIME\n250 ENHANCEDSTATUSCODES";
constexpr std::string_view kEhloPlain = "250-mx.test.example\n250 ENHANCEDSTATUSCODES";
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

OutboundMessage message(std::vector<std::string> rcpts, bool eightbit = false) {
  OutboundMessage m;
  m.sender = "sender@client.test.example";
  m.recipients = std::move(rcpts);
  m.size = kBody.size();
  m.eightbit = eightbit;
  return m;
}

// The greeting and EHLO, as most scripts start.
Script opening(std::string_view ehlo_reply) {
  Script s;
  s.reply("220 mx.test.example ESMTP").expect("EHLO client.test.example").reply(ehlo_reply);
  return s;
}

TEST(ClientSession, PipelinedTransaction) {
  Script sc = opening(kEhloPipelining);
  // All three commands are read before any reply: only a pipelining client
  // gets past this point (the other kind would wait for the MAIL reply).
  sc.expect("MAIL")
      .expect("RCPT")
      .expect("RCPT")
      .reply("250 2.1.0 Ok\n250 2.1.5 Ok\n250 2.1.5 Ok")
      .expect("DATA")
      .reply("354 End data with <CR><LF>.<CR><LF>")
      .data()
      .reply("250 2.0.0 Ok: queued as 4711")
      .expect("QUIT")
      .reply("221 2.0.0 Bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    const Capabilities& caps = s.capabilities();
    std::string out = caps.domain + (caps.pipelining ? " pipelining" : "") + " size=" + std::to_string(caps.max_size) +
                      " tls=" + s.tls().protocol + " peer=" + s.peer() + "\n";
    OutboundMessage m = message({"a@mx.test.example", "b@mx.test.example"}, true);
    const std::vector<std::string> chunks = {kBody};
    out += co_await send_one(s, m, chunks);
    out += s.usable() ? "usable" : "unusable";
    for (const auto& n : s.notes()) out += "\nnote: " + n;
    co_return out;
  });
  const std::string port = std::to_string(server.port());
  EXPECT_EQ(got,
            "mx.test.example pipelining size=100000 tls= peer=127.0.0.1[127.0.0.1]:" + port +
                "\n"
                "delivered 2.0.0 250 2.0.0 Ok: queued as 4711\n"
                "delivered 2.0.0 250 2.0.0 Ok: queued as 4711\n"
                "usable");
  EXPECT_EQ(server.transcript(), R"(C: EHLO client.test.example
C: MAIL FROM:<sender@client.test.example> SIZE=22 BODY=8BITMIME
C: RCPT TO:<a@mx.test.example>
C: RCPT TO:<b@mx.test.example>
C: DATA
D: Subject: hi\r\n\r\nhello\r\n.\r\n
C: QUIT
C: <eof>
)");
}

TEST(ClientSession, OneCommandAtATimeWithoutPipelining) {
  Script sc = opening(kEhloPlain);
  sc.expect("MAIL")
      .quiet()
      .reply("250 2.1.0 Ok")
      .expect("RCPT")
      .quiet()
      .reply("250 2.1.5 Ok")
      .expect("RCPT")
      .quiet()
      .reply("250 2.1.5 Ok")
      .expect("DATA")
      .quiet()
      .reply("354 go ahead")
      .data()
      .quiet()
      .reply("250 2.0.0 Ok")
      .expect("QUIT")
      .reply("221 Bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    // An 8-bit body to a server without 8BITMIME goes as it is, noted.
    OutboundMessage m = message({"a@mx.test.example", "b@mx.test.example"}, true);
    const std::vector<std::string> chunks = {kBody};
    std::string out = co_await send_one(s, m, chunks);
    for (const auto& n : s.notes()) out += "note: " + n + "\n";
    co_return out;
  });
  EXPECT_EQ(got,
            "delivered 2.0.0 250 2.0.0 Ok\n"
            "delivered 2.0.0 250 2.0.0 Ok\n"
            "note: 8-bit body sent as it is: the server does not offer 8BITMIME\n");
  // No SIZE= and no BODY= for a server that offers neither.
  EXPECT_EQ(server.transcript(), R"(C: EHLO client.test.example
C: MAIL FROM:<sender@client.test.example>
C: RCPT TO:<a@mx.test.example>
C: RCPT TO:<b@mx.test.example>
C: DATA
D: Subject: hi\r\n\r\nhello\r\n.\r\n
C: QUIT
C: <eof>
)");
}

TEST(ClientSession, EhloRefusedFallsBackToHelo) {
  Script sc;
  sc.reply("220 old.test.example SMTP")
      .expect("EHLO client.test.example")
      .reply("502 5.5.1 what is EHLO")
      .expect("HELO client.test.example")
      .reply("250 old.test.example")
      .expect("MAIL")
      .reply("250 ok")
      .expect("RCPT")
      .reply("250 ok")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 ok")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    std::string out = std::string(s.helo_fallback() ? "helo " : "ehlo ") + s.capabilities().domain + "\n";
    OutboundMessage m = message({"a@old.test.example"});
    const std::vector<std::string> chunks = {kBody};
    out += co_await send_one(s, m, chunks);
    for (const auto& n : s.notes()) out += "note: " + n + "\n";
    co_return out;
  });
  EXPECT_EQ(got,
            "helo old.test.example\n"
            "delivered 2.0.0 250 ok\n"
            "note: EHLO refused (502 5.5.1 what is EHLO); HELO used, no extensions\n");
  EXPECT_NE(server.transcript().find("C: MAIL FROM:<sender@client.test.example>\n"), std::string::npos);
}

TEST(ClientSession, EhloTemporaryFailureDoesNotFallBack) {
  Script sc;
  sc.reply("220 mx").expect("EHLO").reply("451 4.3.0 try later").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got, "error stage=ehlo temp code=451 4.3.0 EHLO refused: 451 4.3.0 try later");
  EXPECT_EQ(server.transcript(), "C: EHLO client.test.example\nC: QUIT\nC: <eof>\n");
}

TEST(ClientSession, GreetingRefused) {
  Script sc;
  sc.reply("554 5.7.1 no mail from you").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  // Not permanent: another MX (or a later try) may take it.
  EXPECT_EQ(got, "error stage=greeting temp code=554 5.7.1 the server refused to talk to us: 554 5.7.1 no mail from you");
  EXPECT_EQ(server.transcript(), "C: QUIT\nC: <eof>\n");
}

TEST(ClientSession, MixedRecipientOutcomes) {
  Script sc = opening(kEhloPipelining);
  sc.expect("MAIL")
      .expect("RCPT TO:<ok@")
      .expect("RCPT TO:<unknown@")
      .expect("RCPT TO:<full@")
      .expect("RCPT TO:<old@")
      .reply("250 2.1.0 Ok\n250 2.1.5 Ok\n550 5.1.1 <unknown@mx.test.example>: no such user\n"
             "450 4.2.2 mailbox full\n551 user not local")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 2.0.0 queued")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m =
        message({"ok@mx.test.example", "unknown@mx.test.example", "full@mx.test.example", "old@mx.test.example"});
    const std::vector<std::string> chunks = {kBody};
    co_return co_await send_one(s, m, chunks);
  });
  EXPECT_EQ(got,
            "delivered 2.0.0 250 2.0.0 queued\n"
            "permfail 5.1.1 550 5.1.1 <unknown@mx.test.example>: no such user\n"
            "tempfail 4.2.2 450 4.2.2 mailbox full\n"
            "permfail 5.0.0 551 user not local\n");  // no enhanced code: the class's default
}

TEST(ClientSession, AllRecipientsRefusedSendsNoData) {
  Script sc = opening(kEhloPipelining);
  sc.expect("MAIL")
      .expect("RCPT")
      .expect("RCPT")
      .reply("250 2.1.0 Ok\n550 5.1.1 no\n450 4.7.1 greylisted")
      .expect("QUIT")  // not DATA
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"a@mx.test.example", "b@mx.test.example"});
    const std::vector<std::string> chunks = {kBody};
    std::string out = co_await send_one(s, m, chunks);
    co_return out + (s.usable() ? "usable" : "unusable");
  });
  EXPECT_EQ(got, "permfail 5.1.1 550 5.1.1 no\ntempfail 4.7.1 450 4.7.1 greylisted\nusable");
  EXPECT_EQ(server.transcript().find("DATA"), std::string::npos) << server.transcript();
}

TEST(ClientSession, TooBigForTheServerIsRefusedBeforeSending) {
  Script sc = opening("250-mx.test.example\n250-SIZE 10\n250 PIPELINING");
  sc.expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"a@mx.test.example", "b@mx.test.example"});
    const std::vector<std::string> chunks = {kBody};
    std::string out = co_await send_one(s, m, chunks);
    co_return out + (s.usable() ? "usable" : "unusable");
  });
  EXPECT_EQ(got,
            "permfail 5.3.4 message too big for the server: 22 bytes, it takes at most 10 (SIZE) (local)\n"
            "permfail 5.3.4 message too big for the server: 22 bytes, it takes at most 10 (SIZE) (local)\n"
            "usable");
  EXPECT_EQ(server.transcript(), "C: EHLO client.test.example\nC: QUIT\nC: <eof>\n");
}

TEST(ClientSession, MailRefusedPermanentlyAndTemporarily) {
  // Pipelined: the RCPT replies (503) are read but the MAIL reply decides.
  // Then, on the same connection after RSET, without the SMTPUTF8 it needs
  // a message is refused locally, and a 4xx to MAIL is a tempfail for all.
  Script sc = opening(kEhloPipelining);
  sc.expect("MAIL")
      .expect("RCPT")
      .expect("RCPT")
      .reply("553 5.7.1 sender rejected\n503 5.5.1 need MAIL\n503 5.5.1 need MAIL")
      .expect("RSET")
      .reply("250 2.0.0 Ok")
      .expect("MAIL")
      .expect("RCPT")
      .reply("452 4.3.1 insufficient system storage\n503 5.5.1 need MAIL")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"a@mx.test.example", "b@mx.test.example"});
    const std::vector<std::string> chunks = {kBody};
    std::string out = co_await send_one(s, m, chunks);
    OutboundMessage utf8 = message({"a@mx.test.example"});
    utf8.smtputf8 = true;
    out += co_await send_one(s, utf8, chunks);
    OutboundMessage again = message({"c@mx.test.example"});
    out += co_await send_one(s, again, chunks);
    co_return out + (s.usable() ? "usable" : "unusable");
  });
  EXPECT_EQ(got,
            "permfail 5.7.1 553 5.7.1 sender rejected\n"
            "permfail 5.7.1 553 5.7.1 sender rejected\n"
            "permfail 5.6.7 the message needs SMTPUTF8, which the server does not offer (local)\n"
            "tempfail 4.3.1 452 4.3.1 insufficient system storage\n"
            "usable");
}

TEST(ClientSession, UnsendableAddressesAreRefusedLocally) {
  Script sc = opening(kEhloPipelining);
  sc.expect("MAIL FROM:<sender@client.test.example>")
      .expect("RCPT TO:<good@mx.test.example>")
      .reply("250 ok\n250 ok")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 ok")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    // A recipient with CR LF in it must never reach the wire.
    OutboundMessage m = message({"evil@mx.test.example>\r\nRCPT TO:<x@y", "good@mx.test.example", "no-domain"});
    const std::vector<std::string> chunks = {kBody};
    co_return co_await send_one(s, m, chunks);
  });
  EXPECT_EQ(got,
            "permfail 5.1.3 the recipient address cannot be sent: control (local)\n"
            "delivered 2.0.0 250 ok\n"
            "permfail 5.1.3 the recipient address cannot be sent: bad_address (local)\n");
  EXPECT_EQ(server.transcript().find("evil"), std::string::npos);
}

TEST(ClientSession, DotStuffingAndCrlfOnTheWire) {
  Script sc = opening(kEhloPipelining);
  sc.expect("MAIL")
      .expect("RCPT")
      .reply("250 ok\n250 ok")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 ok")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"a@mx.test.example"});
    // Chunks split anywhere: between CR and LF, right before a dot.
    const std::vector<std::string> chunks = {
        "Subject: dots\r\n\r\n.leading dot\r\n", ".", "\r\nbare lf\nbare cr\rcrlf split\r", "\n.", "..three\r\n",
        "..\r\nno final line end"};
    co_return co_await send_one(s, m, chunks);
  });
  EXPECT_EQ(got, "delivered 2.0.0 250 ok\n");
  EXPECT_NE(server.transcript().find(
                R"(D: Subject: dots\r\n\r\n..leading dot\r\n..\r\nbare lf\r\nbare cr\r\ncrlf split\r\n....three\r\n...\r\nno final line end\r\n.\r\n)"),
            std::string::npos)
      << server.transcript();
}

TEST(ClientSession, EmptyBodyAndManyChunks) {
  Script sc = opening(kEhloPipelining);
  sc.expect("MAIL").expect("RCPT").reply("250 ok\n250 ok").expect("DATA").reply("354 go").data().reply("250 ok");
  sc.expect("MAIL").expect("RCPT").reply("250 ok\n250 ok").expect("DATA").reply("354 go").data().reply("250 ok");
  sc.expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"a@mx.test.example"});
    const std::vector<std::string> none;
    std::string out = co_await send_one(s, m, none);
    std::vector<std::string> many;
    for (int i = 0; i < 300; ++i) many.push_back("line " + std::to_string(i) + "\r\n");
    out += co_await send_one(s, m, many);
    co_return out;
  });
  EXPECT_EQ(got, "delivered 2.0.0 250 ok\ndelivered 2.0.0 250 ok\n");
  const std::string t = server.transcript();
  EXPECT_NE(t.find("D: .\\r\\n\n"), std::string::npos) << t;  // the empty message: just the terminator
  EXPECT_NE(t.find("line 299\\r\\n.\\r\\n"), std::string::npos) << t;
}

TEST(ClientSession, SecondMessageAfterRsetReusesTheConnection) {
  Script sc = opening(kEhloPlain);
  // The first message: its only RCPT refused, no DATA.
  sc.expect("MAIL").reply("250 ok").expect("RCPT").reply("550 5.1.1 no such user");
  // The second: RSET first, then a whole transaction.
  sc.expect("RSET")
      .reply("250 2.0.0 reset")
      .expect("MAIL")
      .reply("250 ok")
      .expect("RCPT")
      .reply("250 ok")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 2.0.0 second")
      // The third follows a completed transaction: no RSET.
      .expect("MAIL")
      .reply("250 ok")
      .expect("RCPT")
      .reply("250 ok")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 2.0.0 third")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), test_options(), [](ClientSession& s) -> awaitable<std::string> {
    const std::vector<std::string> chunks = {kBody};
    OutboundMessage first = message({"nobody@mx.test.example"});
    std::string out = co_await send_one(s, first, chunks);
    out += s.usable() ? "usable\n" : "unusable\n";
    OutboundMessage second = message({"a@mx.test.example"});
    out += co_await send_one(s, second, chunks);
    OutboundMessage third = message({"b@mx.test.example"});
    out += co_await send_one(s, third, chunks);
    co_return out;
  });
  EXPECT_EQ(got,
            "permfail 5.1.1 550 5.1.1 no such user\n"
            "usable\n"
            "delivered 2.0.0 250 2.0.0 second\n"
            "delivered 2.0.0 250 2.0.0 third\n");
  EXPECT_EQ(server.transcript().find("!!"), std::string::npos) << server.transcript();
}

TEST(ClientSession, LongRecipientListsArePipelinedInGroups) {
  ClientOptions opts = test_options();
  opts.pipeline_group = 2;
  Script sc = opening(kEhloPipelining);
  // MAIL and two RCPTs, then two RCPTs, then one; never more before replies.
  sc.expect("MAIL").expect("RCPT TO:<r0@").expect("RCPT TO:<r1@").quiet().reply("250 ok\n250 ok\n250 ok");
  sc.expect("RCPT TO:<r2@").expect("RCPT TO:<r3@").quiet().reply("250 ok\n550 5.1.1 no r3");
  sc.expect("RCPT TO:<r4@").quiet().reply("250 ok");
  sc.expect("DATA").reply("354 go").data().reply("250 2.0.0 done").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), opts, [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m = message({"r0@x.example", "r1@x.example", "r2@x.example", "r3@x.example", "r4@x.example"});
    const std::vector<std::string> chunks = {kBody};
    co_return co_await send_one(s, m, chunks);
  });
  EXPECT_EQ(got,
            "delivered 2.0.0 250 2.0.0 done\n"
            "delivered 2.0.0 250 2.0.0 done\n"
            "delivered 2.0.0 250 2.0.0 done\n"
            "permfail 5.1.1 550 5.1.1 no r3\n"
            "delivered 2.0.0 250 2.0.0 done\n");
  EXPECT_EQ(server.transcript().find("!!"), std::string::npos) << server.transcript();
}

}  // namespace
}  // namespace mail::smtp::client::test
