// SPDX-License-Identifier: Apache-2.0
// connect_test.cpp: net::connect against loopback servers started by the
// tests (127.0.0.1, port 0): line exchange, name resolution, refused and
// timed-out connects (a listener whose backlog is full), read timeouts and
// the overall deadline, source address binding (127.0.0.2), over-long lines,
// exact reads and bad arguments. Only loopback addresses are ever used.
#include "mail/net/connect.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace mail::net::test {
namespace {

using std::chrono::steady_clock;

ConnectOptions loopback(uint16_t port) {
  ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.connect_timeout = 5s;
  o.io_timeout = 5s;
  return o;
}

std::string error_text(const common::Error& e) { return std::string(common::to_string(e.code)) + ": " + e.message; }

long ms_since(steady_clock::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start).count());
}

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

TEST(Connect, ExchangesLines) {
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    ev.push("server sees " + c.peer_ip());
    co_await c.write("220 hello\r\n");
    ReadResult r = co_await c.read_line(100);
    co_await c.write("250 got " + r.line + "\r\n");
    r = co_await c.read_line(100);
    ev.push("server: " + std::string(to_string(r.status)));
  });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    auto c = co_await connect(loopback(f.port()));
    if (!c) co_return error_text(c.error());
    Connection& conn = **c;
    std::string out = conn.peer_ip() + ":" + std::to_string(conn.peer_port() == f.port()) + "|";
    out += (co_await conn.read_line(100)).line + "|";
    const bool wrote = co_await conn.write("EHLO me\r\n");
    if (!wrote) co_return out + "write failed";
    out += (co_await conn.read_line(100)).line;
    out += conn.tls() ? "|tls" : "|clear";
    co_await conn.shutdown();
    co_return out;
  });
  EXPECT_EQ(got, "127.0.0.1:1|220 hello|250 got EHLO me|clear");
  EXPECT_EQ(ev.pop(), "server sees 127.0.0.1");
  EXPECT_EQ(ev.pop(), "server: eof");
}

TEST(Connect, ResolvesHostNames) {
  Fixture f([&](Connection& c) -> awaitable<void> { co_await c.write("220 by name\r\n"); });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o = loopback(f.port());
    o.host = "localhost";  // may resolve to ::1 first, where nothing listens: the next address is tried
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    co_return (co_await (*c)->read_line(100)).line;
  });
  EXPECT_EQ(got, "220 by name");
}

TEST(Connect, RefusedIsUnavailable) {
  const uint16_t port = closed_port();
  std::string got = run_coro([&]() -> awaitable<std::string> {
    auto c = co_await connect(loopback(port));
    if (c) co_return "connected?";
    co_return error_text(c.error());
  });
  EXPECT_EQ(got, "unavailable: connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

// A listener that never accepts, with a backlog of 0: once its queue is
// full the kernel drops further SYNs, so a connect can only time out.
TEST(Connect, ConnectTimeout) {
  asio::io_context io;
  asio::ip::tcp::acceptor full(io);
  full.open(asio::ip::tcp::v4());
  full.bind({asio::ip::make_address("127.0.0.1"), 0});
  full.listen(0);
  const uint16_t port = full.local_endpoint().port();
  std::string got = run_coro([&]() -> awaitable<std::string> {
    std::vector<std::shared_ptr<Connection>> fillers;
    ConnectOptions o = loopback(port);
    o.connect_timeout = 300ms;
    // Fill the queue: connects succeed until one times out.
    for (int i = 0; i < 8; ++i) {
      auto c = co_await connect(o);
      if (!c) break;
      fillers.push_back(*c);
    }
    if (fillers.empty() || fillers.size() == 8) co_return "could not fill the backlog: " + std::to_string(fillers.size());
    const auto start = steady_clock::now();
    auto c = co_await connect(o);
    const long took = ms_since(start);
    if (c) co_return "connected?";
    if (took < 250 || took > 3000) co_return "took " + std::to_string(took) + " ms";
    co_return error_text(c.error());
  });
  EXPECT_EQ(got, "unavailable: connect to 127.0.0.1:" + std::to_string(port) + ": timed out");
}

TEST(Connect, ReadTimeout) {
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    c.set_timeout(5s);
    ReadResult r = co_await c.read_line(100);  // the client never writes; it gives up first
    ev.push("server: " + std::string(to_string(r.status)));
  });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o = loopback(f.port());
    o.io_timeout = 200ms;
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    const auto start = steady_clock::now();
    ReadResult r = co_await (*c)->read_line(100);
    const long took = ms_since(start);
    if (took < 150 || took > 3000) co_return "took " + std::to_string(took) + " ms";
    (*c)->close();
    co_return to_string(r.status);
  });
  EXPECT_EQ(got, "timeout");
  EXPECT_EQ(ev.pop(), "server: eof");
}

TEST(Connect, OverallDeadlineCapsEveryOperation) {
  Fixture f([&](Connection& c) -> awaitable<void> {
    co_await c.write("220 one line, then silence\r\n");
    c.set_timeout(5s);
    co_await c.read_line(100);
  });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o = loopback(f.port());
    o.io_timeout = 30s;
    o.deadline = steady_clock::now() + 400ms;
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    std::string out = (co_await (*c)->read_line(100)).line + "|";
    const auto start = steady_clock::now();
    ReadResult r = co_await (*c)->read_line(100);
    const long took = ms_since(start);
    if (took > 3000) co_return "took " + std::to_string(took) + " ms";
    out += to_string(r.status);
    // Past the deadline, an operation that has to wait fails at once.
    const auto again = steady_clock::now();
    r = co_await (*c)->read_line(100);
    if (ms_since(again) > 1000) co_return "second read waited";
    co_return out + "|" + to_string(r.status);
  });
  EXPECT_EQ(got, "220 one line, then silence|timeout|timeout");
}

TEST(Connect, BindsTheSourceAddress) {
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    ev.push("peer " + c.peer_ip());
    co_await c.write("220 hi\r\n");
  });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o = loopback(f.port());
    o.source_address = "127.0.0.2";
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    std::string out = "local " + (*c)->local_ip() + "|";
    co_return out + (co_await (*c)->read_line(100)).line;
  });
  EXPECT_EQ(got, "local 127.0.0.2|220 hi");
  EXPECT_EQ(ev.pop(), "peer 127.0.0.2");
}

TEST(Connect, BadArguments) {
  const uint16_t port = closed_port();
  auto attempt = [&](ConnectOptions o) {
    return run_coro([&]() -> awaitable<std::string> {
      auto c = co_await connect(o);
      if (c) co_return "connected?";
      co_return error_text(c.error());
    });
  };
  ConnectOptions o = loopback(port);
  o.source_address = "not-an-address";
  EXPECT_EQ(attempt(o), "invalid_argument: connect: bad source address not-an-address");
  o = loopback(0);
  EXPECT_EQ(attempt(o), "invalid_argument: connect to 127.0.0.1: port 0");
  o = loopback(port);
  o.source_address = "::1";
  EXPECT_EQ(attempt(o), "unavailable: connect to 127.0.0.1:" + std::to_string(port) +
                            ": address family differs from source ::1");
  o = loopback(port);
  o.host = "";
  EXPECT_EQ(attempt(o), "invalid_argument: connect: bad host name");
}

TEST(Connect, LineOverTheLimitIsAnErrorNotABuffer) {
  Fixture f([&](Connection& c) -> awaitable<void> {
    co_await c.write(std::string(100000, 'x') + "\r\n250 after\r\n");
    co_await c.read_line(100);
  });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o = loopback(f.port());
    o.max_buffer = 4096;
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    ReadResult r = co_await (*c)->read_line(510);
    std::string out = std::string(to_string(r.status)) + "|";
    out += std::to_string((*c)->buffered().size() <= 4096) + "|";
    r = co_await (*c)->read_line(510);
    co_return out + to_string(r.status) + ":" + r.line;
  });
  EXPECT_EQ(got, "too_long|1|ok:250 after");
}

TEST(Connect, ReadsExactlyNBytes) {
  Fixture f([&](Connection& c) -> awaitable<void> {
    co_await c.write("HDR 10\r\n0123");
    co_await asio::steady_timer(c.get_executor(), 50ms).async_wait(use_awaitable);
    co_await c.write("456789TAIL\r\n");
  });
  std::string got = run_coro([&]() -> awaitable<std::string> {
    auto c = co_await connect(loopback(f.port()));
    if (!c) co_return error_text(c.error());
    std::string out = (co_await (*c)->read_line(100)).line + "|";
    std::string body;
    Status st = co_await (*c)->read_exactly(10, body);
    out += std::string(to_string(st)) + ":" + body + "|";
    out += (co_await (*c)->read_line(100)).line + "|";
    body.clear();
    st = co_await (*c)->read_exactly(5, body);  // the server has closed
    co_return out + to_string(st) + ":" + body;
  });
  EXPECT_EQ(got, "HDR 10|ok:0123456789|TAIL|eof:");
}

}  // namespace
}  // namespace mail::net::test
