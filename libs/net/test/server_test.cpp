// SPDX-License-Identifier: Apache-2.0
// server_test.cpp: connection limit and overload handler, handler
// exceptions, and the orderly stop.
#include "mail/net/server.h"
#include "test_support.h"

#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace mail::net::test {
namespace {

// Holds each session open until the client sends a line.
Handler hold_until_line(Events& ev) {
  return [&ev](Connection& c) -> awaitable<void> {
    co_await c.write("220 hello\r\n");
    ReadResult r = co_await c.read_line(100);
    ev.push(r.ok() ? "session got:" + r.line : std::string("session ") + to_string(r.status));
    co_await c.write("221 bye\r\n");
  };
}

bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Server, OverloadHandlerAnswersBeyondTheLimit) {
  Events ev;
  ServerOptions opts;
  opts.max_connections = 1;
  opts.overload_handler = [](Connection& c) -> awaitable<void> {
    co_await c.write("421 4.7.0 too many connections\r\n");
  };
  Fixture f(hold_until_line(ev), opts);

  Client first(f.port());
  EXPECT_EQ(first.line(), "220 hello\r\n");
  EXPECT_EQ(f.server->active(), 1u);

  Client second(f.port());
  EXPECT_EQ(second.line(), "421 4.7.0 too many connections\r\n");
  EXPECT_TRUE(second.closed());

  ASSERT_TRUE(first.send("QUIT\r\n"));
  EXPECT_EQ(ev.pop(), "session got:QUIT");
  EXPECT_EQ(first.line(), "221 bye\r\n");
  EXPECT_TRUE(first.closed());
  ASSERT_TRUE(wait_for([&] { return f.server->active() == 0; }));

  // The slot is free again.
  Client third(f.port());
  EXPECT_EQ(third.line(), "220 hello\r\n");
}

TEST(Server, WithoutOverloadHandlerExtraConnectionsAreClosed) {
  Events ev;
  ServerOptions opts;
  opts.max_connections = 2;
  Fixture f(hold_until_line(ev), opts);
  Client a(f.port()), b(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  EXPECT_EQ(b.line(), "220 hello\r\n");
  Client c(f.port());
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(f.server->active(), 2u);
}

TEST(Server, HandlerExceptionEndsOnlyThatSession) {
  Events ev;
  Fixture f([&ev](Connection& c) -> awaitable<void> {
    ReadResult r = co_await c.read_line(100);
    if (r.line == "boom") throw std::runtime_error("handler bug");
    co_await c.write("ok " + r.line + "\r\n");
  });
  Client a(f.port());
  ASSERT_TRUE(a.send("boom\r\n"));
  EXPECT_TRUE(a.closed());
  Client b(f.port());
  ASSERT_TRUE(b.send("fine\r\n"));
  EXPECT_EQ(b.line(), "ok fine\r\n");
  EXPECT_TRUE(wait_for([&] { return f.server->active() == 0; }));
}

TEST(Server, StopClosesIdleSessionsAfterGrace) {
  Events ev;
  Fixture f(hold_until_line(ev));
  Client a(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  uint16_t port = f.port();

  auto start = std::chrono::steady_clock::now();
  auto done = asio::co_spawn(f.io.io, f.server->stop(200ms), asio::use_future);
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  done.get();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(f.server->active(), 0u);
  EXPECT_EQ(ev.pop(), "session error");  // the read failed when the connection was closed
  EXPECT_TRUE(a.closed());

  Client late(port);
  EXPECT_FALSE(late.connected() && late.line(500ms).rfind("220", 0) == 0);
}

TEST(Server, StopReturnsEarlyWhenSessionsFinish) {
  Events ev;
  Fixture f(hold_until_line(ev));
  Client a(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  auto start = std::chrono::steady_clock::now();
  auto done = asio::co_spawn(f.io.io, f.server->stop(30s), asio::use_future);
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(a.send("QUIT\r\n"));  // a running session may finish its work during the grace period
  EXPECT_EQ(a.line(), "221 bye\r\n");
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(ev.pop(), "session got:QUIT");
}

ServerOptions listen_on(std::string address, uint16_t port) {
  ServerOptions o;
  o.address = std::move(address);
  o.port = port;
  return o;
}

TEST(Server, BindFailureThrows) {
  IoThread io(1);
  auto noop = [](Connection&) -> awaitable<void> { co_return; };
  Server first(io.io, listen_on("127.0.0.1", 0), noop);
  first.start();
  EXPECT_NE(first.port(), 0);
  Server second(io.io, listen_on("127.0.0.1", first.port()), noop);
  EXPECT_ANY_THROW(second.start());
  Server bad(io.io, listen_on("not an address", 0), noop);
  EXPECT_ANY_THROW(bad.start());
}

}  // namespace
}  // namespace mail::net::test
