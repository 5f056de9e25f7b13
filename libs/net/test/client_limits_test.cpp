// SPDX-License-Identifier: Apache-2.0
// client_limits_test.cpp: the per-client connection cap and its exemptions,
// the TLS handshake timeout and the handshaking() count, and the timeouts
// that shorten under stress (issue 6, hole 5). All clients are 127.0.0.1.
#include <atomic>

#include "mail/net/client_limits.h"
#include "mail/net/server.h"
#include "server_support.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

// Greets, then echoes lines until the client stops; events name how it ended.
Handler greet_and_hold(Events& ev) {
  return [&ev](Connection& c) -> awaitable<void> {
    co_await c.write("220 hello\r\n");
    for (;;) {
      ReadResult r = co_await c.read_line(100);
      if (!r.ok() || r.line == "QUIT") {
        ev.push(r.ok() ? "quit" : std::string("session ") + to_string(r.status));
        break;
      }
      co_await c.write("250 " + r.line + "\r\n");
    }
  };
}

Handler postfix_refusal() {
  return [](Connection& c) -> awaitable<void> {
    co_await c.write("421 4.7.0 mx.test Error: too many connections from " + c.peer_ip() + "\r\n");
  };
}

TEST(ClientLimits, DefaultsFollowPostfix) {
  ServerOptions o;
  EXPECT_EQ(o.max_connections_per_client, 50u);  // smtpd_client_connection_count_limit
  EXPECT_EQ(o.tls_handshake_timeout, std::chrono::seconds(10));
  EXPECT_EQ(o.stress_timeout, std::chrono::seconds(10));  // smtpd_timeout under stress
  EXPECT_DOUBLE_EQ(o.stress_threshold, 0.8);
}

TEST(ClientLimits, ConnectionsOverThePerClientCapGetTheClientLimitHandler) {
  Events ev;
  ServerOptions opts;
  opts.max_connections_per_client = 2;
  opts.client_limit_exceptions = *NetworkList::parse("10.0.0.0/8, ::1");  // not us
  opts.client_limit_handler = postfix_refusal();
  opts.overload_handler = [](Connection& c) -> awaitable<void> { co_await c.write("421 wrong handler\r\n"); };
  Fixture f(greet_and_hold(ev), opts);

  Client a(f.port()), b(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  EXPECT_EQ(b.line(), "220 hello\r\n");
  Client c(f.port());
  EXPECT_EQ(c.line(), "421 4.7.0 mx.test Error: too many connections from 127.0.0.1\r\n");
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(f.server->active(), 2u);  // the refusal held no session slot

  // A slot freed by the client is its own again.
  ASSERT_TRUE(a.send("QUIT\r\n"));
  EXPECT_EQ(ev.pop(), "quit");
  ASSERT_TRUE(eventually([&] { return f.server->active() == 1; }));
  Client d(f.port());
  EXPECT_EQ(d.line(), "220 hello\r\n");
}

TEST(ClientLimits, ListenerOptionsCarryTheLimitsAndTheBusyReply) {
  ClientLimits limits;
  limits.max_connections_per_client = 1;
  limits.stress_threshold = 0.5;
  std::atomic<int> busy{0};
  ServerOptions opts = listener_options("pop3", "127.0.0.1", 0, 10, limits, nullptr, "-ERR busy\r\n", [&] { ++busy; });
  EXPECT_EQ(opts.name, "pop3");
  EXPECT_EQ(opts.max_connections, 10u);
  EXPECT_EQ(opts.max_connections_per_client, 1u);
  EXPECT_DOUBLE_EQ(opts.stress_threshold, 0.5);
  EXPECT_EQ(opts.implicit_tls, nullptr);
  Events ev;
  Fixture f(greet_and_hold(ev), opts);
  Client a(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  Client b(f.port());
  EXPECT_EQ(b.line(), "-ERR busy\r\n");
  EXPECT_TRUE(b.closed());
  EXPECT_EQ(busy.load(), 1);
}

TEST(ClientLimits, WithoutAClientLimitHandlerTheOverloadHandlerAnswers) {
  Events ev;
  ServerOptions opts;
  opts.max_connections_per_client = 1;
  opts.overload_handler = [](Connection& c) -> awaitable<void> { co_await c.write("421 4.7.0 busy\r\n"); };
  Fixture f(greet_and_hold(ev), opts);
  Client a(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  Client b(f.port());
  EXPECT_EQ(b.line(), "421 4.7.0 busy\r\n");
  EXPECT_TRUE(b.closed());
}

TEST(ClientLimits, ExemptNetworksAreNotCapped) {
  Events ev;
  ServerOptions opts;
  opts.max_connections_per_client = 1;
  opts.client_limit_exceptions = *NetworkList::parse("192.0.2.0/24 127.0.0.0/8");
  opts.client_limit_handler = postfix_refusal();
  Fixture f(greet_and_hold(ev), opts);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(f.port()));
    EXPECT_EQ(clients.back()->line(), "220 hello\r\n") << i;
  }
  EXPECT_EQ(f.server->active(), 5u);
}

TEST(ClientLimits, ZeroMeansNoPerClientCap) {
  Events ev;
  ServerOptions opts;
  opts.max_connections_per_client = 0;
  opts.client_limit_handler = postfix_refusal();
  Fixture f(greet_and_hold(ev), opts);
  Client a(f.port()), b(f.port()), c(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  EXPECT_EQ(b.line(), "220 hello\r\n");
  EXPECT_EQ(c.line(), "220 hello\r\n");
}

TEST(ClientLimits, ImplicitTlsOverTheCapIsClosedWithoutAHandshake) {
  TestTls tls;
  Events ev;
  ServerOptions opts;
  opts.implicit_tls = &*tls.ctx;
  opts.max_connections_per_client = 1;
  opts.client_limit_handler = postfix_refusal();  // never used with implicit TLS
  Fixture f(greet_and_hold(ev), opts);
  Client a(f.port());
  ASSERT_TRUE(a.handshake());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  Client b(f.port());
  EXPECT_FALSE(b.handshake());
  // b's slot is given back just after its socket is closed: wait for it.
  EXPECT_TRUE(eventually([&] { return f.server->active() == 1u; })) << f.server->active();
}

TEST(ClientLimits, TlsHandshakeHasItsOwnShortTimeoutAndIsCounted) {
  TestTls tls;
  Events ev;
  std::atomic<int> hook{0}, hook_calls{0};
  ServerOptions opts;
  opts.implicit_tls = &*tls.ctx;
  opts.timeout = std::chrono::seconds(60);  // the session's; the handshake must not get it
  opts.tls_handshake_timeout = 10s;
  use_test_clock();
  opts.on_handshaking = [&](int d) {
    hook += d;
    ++hook_calls;
  };
  Fixture f(greet_and_hold(ev), opts);

  auto start = std::chrono::steady_clock::now();
  Client silent(f.port());  // connects, never sends a ClientHello
  ASSERT_TRUE(eventually([&] { return f.server->handshaking() == 1; }));
  EXPECT_EQ(f.server->active(), 1u);  // it holds a slot
  EXPECT_EQ(hook.load(), 1);
  EXPECT_FALSE(silent.closed(100ms));
  advance_clock_for_tests(9s);
  EXPECT_FALSE(silent.closed(100ms)) << "closed before the handshake timeout";
  advance_clock_for_tests(2s);
  EXPECT_TRUE(silent.closed(3000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms) << "the session's 60 s were never waited";
  ASSERT_TRUE(eventually([&] { return f.server->active() == 0; }));
  EXPECT_EQ(f.server->handshaking(), 0u);
  EXPECT_EQ(hook.load(), 0);
  EXPECT_EQ(hook_calls.load(), 2);

  // A client that completes the handshake leaves the count when its session starts.
  Client ok(f.port());
  ASSERT_TRUE(ok.handshake());
  EXPECT_EQ(ok.line(), "220 hello\r\n");
  EXPECT_EQ(f.server->handshaking(), 0u);
  EXPECT_EQ(f.server->active(), 1u);
  EXPECT_EQ(ev.pop(100ms), "<none>");  // the failed handshake never reached the handler
}

TEST(Stress, ReadsStartedUnderStressGetTheStressTimeout) {
  Events ev;
  ServerOptions opts;
  opts.max_connections = 4;
  opts.max_connections_per_client = 0;
  opts.stress_threshold = 0.5;  // 2 connections
  opts.stress_timeout = 10s;
  opts.timeout = std::chrono::seconds(60);
  use_test_clock();
  Fixture f(
      [&ev](Connection& c) -> awaitable<void> {
        const std::string hello = std::string("220 stress=") + (c.under_stress() ? "1" : "0") + "\r\n";
        co_await c.write(hello);
        for (;;) {
          c.set_timeout(std::chrono::seconds(60));  // as the msa does before each command
          ReadResult r = co_await c.read_line(100);
          if (!r.ok()) {
            ev.push(std::string("session ") + to_string(r.status));
            co_return;
          }
          const std::string reply = std::string("250 stress=") + (c.under_stress() ? "1" : "0") + "\r\n";
          co_await c.write(reply);
        }
      },
      opts);

  Client a(f.port());
  EXPECT_EQ(a.line(), "220 stress=0\r\n");
  EXPECT_FALSE(f.server->under_stress());

  auto start = std::chrono::steady_clock::now();
  Client b(f.port());
  EXPECT_EQ(b.line(), "220 stress=1\r\n");
  EXPECT_TRUE(f.server->under_stress());
  // b's read started under stress: 10 s, not 60 s. a's read had started
  // before and keeps its deadline.
  EXPECT_EQ(ev.pop(100ms), "<none>");
  advance_clock_for_tests(11s);
  EXPECT_EQ(ev.pop(3000ms), "session timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_TRUE(b.closed());

  // Load gone: the next read gets the session's own timeout again.
  ASSERT_TRUE(eventually([&] { return !f.server->under_stress(); }));
  ASSERT_TRUE(a.send("NOOP\r\n"));
  EXPECT_EQ(a.line(), "250 stress=0\r\n");
  EXPECT_EQ(ev.pop(800ms), "<none>");
}

TEST(Stress, ThresholdZeroDisablesIt) {
  Events ev;
  ServerOptions opts;
  opts.max_connections = 1;
  opts.stress_threshold = 0;
  opts.stress_timeout = 1ms;
  Fixture f(greet_and_hold(ev), opts);
  Client a(f.port());
  EXPECT_EQ(a.line(), "220 hello\r\n");
  EXPECT_FALSE(f.server->under_stress());
  EXPECT_EQ(ev.pop(300ms), "<none>");
}

}  // namespace
}  // namespace mail::net::test
