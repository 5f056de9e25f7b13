// SPDX-License-Identifier: Apache-2.0
// connection_test.cpp: Connection line reading, raw buffered reads, timeouts
// and writes, against a real loopback socket (127.0.0.1, port 0).
#include "mail/net/connection.h"

#include <gtest/gtest.h>

#include "mail/net/server.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

// Echo session: reports each read_line outcome as an event and answers
// "OK <line>" or "ERR too long"; ends on eof/timeout/error.
Handler line_echo(Events& ev, size_t max_len) {
  return [&ev, max_len](Connection& c) -> awaitable<void> {
    for (;;) {
      ReadResult r = co_await c.read_line(max_len);
      if (r.status == Status::too_long) {
        ev.push("too_long");
        const bool wrote = co_await c.write("ERR too long\r\n");
        if (!wrote) co_return;
        continue;
      }
      if (!r.ok()) {
        ev.push(std::string("status:") + to_string(r.status) + " buffered:" + std::string(c.buffered()));
        co_return;
      }
      ev.push("line:" + r.line);
      const bool wrote = co_await c.write("OK " + r.line + "\r\n");
      if (!wrote) co_return;
    }
  };
}

TEST(Connection, ReadsCrlfAndBareLfLines) {
  Events ev;
  Fixture f(line_echo(ev, 100));
  Client c(f.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("HELO a\r\nNOOP\nx\ry\r\n\r\nQUIT\r\n"));
  EXPECT_EQ(ev.pop(), "line:HELO a");
  EXPECT_EQ(ev.pop(), "line:NOOP");
  EXPECT_EQ(ev.pop(), "line:x\ry");  // a bare CR inside a line is kept for the caller to judge
  EXPECT_EQ(ev.pop(), "line:");
  EXPECT_EQ(ev.pop(), "line:QUIT");
  EXPECT_EQ(c.line(), "OK HELO a\r\n");
  EXPECT_EQ(c.line(), "OK NOOP\r\n");
}

TEST(Connection, LineSplitAcrossSegments) {
  Events ev;
  Fixture f(line_echo(ev, 10));
  Client c(f.port());
  ASSERT_TRUE(c.send("0123"));
  EXPECT_EQ(ev.pop(200ms), "<none>");
  ASSERT_TRUE(c.send("456789\r"));  // exactly max_len plus a CR: still fits
  EXPECT_EQ(ev.pop(200ms), "<none>");
  ASSERT_TRUE(c.send("\n"));
  EXPECT_EQ(ev.pop(), "line:0123456789");
}

TEST(Connection, TooLongLineIsDiscardedAndSessionContinues) {
  Events ev;
  Fixture f(line_echo(ev, 10));
  Client c(f.port());
  ASSERT_TRUE(c.send("0123456789\r\n0123456789A\r\nnext\r\n"));
  EXPECT_EQ(ev.pop(), "line:0123456789");
  EXPECT_EQ(ev.pop(), "too_long");
  EXPECT_EQ(ev.pop(), "line:next");
  EXPECT_EQ(c.line(), "OK 0123456789\r\n");
  EXPECT_EQ(c.line(), "ERR too long\r\n");
  EXPECT_EQ(c.line(), "OK next\r\n");
}

TEST(Connection, HugeLineBiggerThanBufferIsDiscarded) {
  Events ev;
  Fixture f(line_echo(ev, 510));
  Client c(f.port());
  std::string huge(300 * 1024, 'x');  // several times max_buffer
  ASSERT_TRUE(c.send(huge + "\r\nafter\r\n", 10000ms));
  EXPECT_EQ(ev.pop(), "too_long");
  EXPECT_EQ(ev.pop(), "line:after");
}

TEST(Connection, EofLeavesPartialLineBuffered) {
  Events ev;
  Fixture f(line_echo(ev, 100));
  Client c(f.port());
  ASSERT_TRUE(c.send("ONE\r\npartial"));
  c.shutdown_send();
  EXPECT_EQ(ev.pop(), "line:ONE");
  EXPECT_EQ(ev.pop(), "status:eof buffered:partial");
}

TEST(Connection, ReadTimeoutThenGoodbyeCanStillBeWritten) {
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    c.set_timeout(150ms);
    auto start = std::chrono::steady_clock::now();
    ReadResult r = co_await c.read_line(100);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    ev.push(to_string(r.status));
    ev.push(ms >= 140ms && ms < 3000ms ? "in time" : "took " + std::to_string(ms.count()) + "ms");
    c.set_timeout(5s);
    const bool wrote = co_await c.write("421 4.4.2 timeout\r\n");
    ev.push(wrote ? "wrote" : "write failed");
  });
  Client c(f.port());
  EXPECT_EQ(ev.pop(), "timeout");
  EXPECT_EQ(ev.pop(), "in time");
  EXPECT_EQ(ev.pop(), "wrote");
  EXPECT_EQ(c.line(), "421 4.4.2 timeout\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Connection, DataArrivingBeforeTimeoutResetsNothingElse) {
  // Each operation gets its own deadline: several waits that add up to more
  // than one timeout do not fire it; only a silent gap does.
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    c.set_timeout(700ms);
    for (int i = 0; i < 5; ++i) {
      ReadResult r = co_await c.read_line(100);
      ev.push(r.ok() ? r.line : to_string(r.status));
    }
  });
  Client c(f.port());
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(c.send("L" + std::to_string(i) + "\r\n"));
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ev.pop(), "L" + std::to_string(i));
  EXPECT_EQ(ev.pop(), "timeout");
}

// A DATA-like decoder: after "DATA", take raw bytes up to "\r\n.\r\n" with
// buffered()/consume()/fill(), then go back to lines. Pipelined commands
// after the terminator must still be there.
TEST(Connection, RawReadsLeavePipelinedBytesBuffered) {
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    ReadResult r = co_await c.read_line(100);
    ev.push("cmd:" + r.line);
    std::string body;
    for (;;) {
      std::string_view b = c.buffered();
      size_t end = b.find("\r\n.\r\n");
      if (end != std::string_view::npos) {
        body.append(b.substr(0, end + 2));
        c.consume(end + 5);
        break;
      }
      // Keep the last 4 bytes: they may start the terminator.
      size_t take = b.size() > 4 ? b.size() - 4 : 0;
      body.append(b.substr(0, take));
      c.consume(take);
      const Status filled = co_await c.fill();
      if (filled != Status::ok) {
        ev.push("fill failed");
        co_return;
      }
    }
    ev.push("body:" + body);
    r = co_await c.read_line(100);
    ev.push("cmd:" + r.line);
  });
  Client c(f.port());
  ASSERT_TRUE(c.send("DATA\r\nhello\r\nworld\r\n.\r\nQUIT\r\n"));
  EXPECT_EQ(ev.pop(), "cmd:DATA");
  EXPECT_EQ(ev.pop(), "body:hello\r\nworld\r\n");
  EXPECT_EQ(ev.pop(), "cmd:QUIT");
}

TEST(Connection, FillStopsAtMaxBuffer) {
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    c.set_max_buffer(1000);
    Status st = Status::ok;
    while (st == Status::ok) st = co_await c.fill();
    ev.push(std::string(to_string(st)) + ":" + std::to_string(c.buffered().size()));
    c.consume(500);
    st = co_await c.fill();
    ev.push(std::string(to_string(st)) + ":" + std::to_string(c.buffered().size()));
  });
  Client c(f.port());
  ASSERT_TRUE(c.send(std::string(5000, 'a')));
  EXPECT_EQ(ev.pop(), "too_long:1000");
  EXPECT_EQ(ev.pop(), "ok:1000");
}

TEST(Connection, WriteTimesOutWhenPeerDoesNotRead) {
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    c.set_timeout(300ms);
    std::string chunk(1 << 20, 'z');
    bool ok = true;
    for (int i = 0; i < 256 && ok; ++i) ok = co_await c.write(chunk);  // 256 MiB: more than any socket buffer
    ev.push(ok ? "all written" : "write failed");
  });
  Client c(f.port());
  EXPECT_EQ(ev.pop(20000ms), "write failed");
}

TEST(Connection, PeerAndLocalAddresses) {
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    ev.push(c.peer_ip());
    ev.push(std::to_string(c.local_port()));
    ev.push(c.tls() ? "tls" : "plain");
    co_return;
  });
  Client c(f.port());
  EXPECT_EQ(ev.pop(), "127.0.0.1");
  EXPECT_EQ(ev.pop(), std::to_string(f.port()));
  EXPECT_EQ(ev.pop(), "plain");
}

TEST(Connection, AddressTextUnmapsV4) {
  EXPECT_EQ(address_text(asio::ip::make_address("::ffff:192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(address_text(asio::ip::make_address("2001:db8::1")), "2001:db8::1");
  EXPECT_EQ(address_text(asio::ip::make_address("198.51.100.2")), "198.51.100.2");
}

}  // namespace
}  // namespace mail::net::test
