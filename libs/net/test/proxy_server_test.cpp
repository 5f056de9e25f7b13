// SPDX-License-Identifier: Apache-2.0
// proxy_server_test.cpp: the Server reading PROXY v2 headers from trusted
// addresses: the handler sees the named client; LOCAL keeps the real peer;
// a bad, missing or slow header closes the connection before the handler;
// untrusted addresses are never asked for one; the per-client cap counts
// the named client; implicit TLS still works after a header.
#include "mail/net/server.h"
#include "proxy_header.h"
#include "server_support.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

using proxy::test::v2_header;
using proxy::test::v2_inet;
using proxy::test::v2_inet6;

// Names the peer the handler sees, then echoes one line.
Handler show_peer(Events& ev) {
  return [&ev](Connection& c) -> awaitable<void> {
    ev.push("handler " + c.peer_ip());
    co_await c.write("peer " + c.peer_ip() + " " + std::to_string(c.peer_port()) + "\r\n");
    ReadResult r = co_await c.read_line(200);
    if (r.ok()) co_await c.write("got " + r.line + "\r\n");
  };
}

ServerOptions behind_proxy(const char* trusted = "127.0.0.0/8") {
  ServerOptions o;
  o.proxy_protocol_from = *NetworkList::parse(trusted);
  return o;
}

TEST(ProxyServer, TheHandlerSeesTheClientTheHeaderNames) {
  Events ev;
  Fixture f(show_peer(ev), behind_proxy());
  Client c(f.port());
  // Header and the client's first bytes in one segment, as a balancer sends them.
  ASSERT_TRUE(c.send(v2_inet("192.0.2.7", 4242, "198.51.100.1", 25) + "hello\r\n"));
  EXPECT_EQ(c.line(), "peer 192.0.2.7 4242\r\n");
  EXPECT_EQ(c.line(), "got hello\r\n");
  EXPECT_EQ(ev.pop(), "handler 192.0.2.7");

  Client six(f.port());
  ASSERT_TRUE(six.send(v2_inet6("2001:db8::25", 50000, "2001:db8::1", 25)));
  EXPECT_EQ(six.line(), "peer 2001:db8::25 50000\r\n");
}

TEST(ProxyServer, HeaderSplitAcrossSegmentsIsAssembled) {
  Events ev;
  Fixture f(show_peer(ev), behind_proxy());
  Client c(f.port());
  std::string h = v2_inet("203.0.113.9", 1025, "198.51.100.1", 25);
  ASSERT_TRUE(c.send(h.substr(0, 5)));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send(h.substr(5, 13)));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send(h.substr(18)));
  EXPECT_EQ(c.line(), "peer 203.0.113.9 1025\r\n");
}

TEST(ProxyServer, LocalCommandKeepsTheRealPeer) {
  Events ev;
  Fixture f(show_peer(ev), behind_proxy());
  Client c(f.port());
  ASSERT_TRUE(c.send(v2_header(0x20, 0x00, "")));
  EXPECT_EQ(c.line().rfind("peer 127.0.0.1 ", 0), 0u);
}

TEST(ProxyServer, InvalidOrMissingHeaderClosesBeforeTheHandler) {
  Events ev;
  ServerOptions opts = behind_proxy();
  opts.proxy_header_timeout = 3s;
  use_test_clock();
  Fixture f(show_peer(ev), opts);
  for (const std::string& bad : {std::string("EHLO spoofer.example\r\n"),
                                 std::string("PROXY TCP4 192.0.2.7 198.51.100.1 1 25\r\n"),
                                 v2_header(0x2f, 0x11, std::string(12, '\0')),  // unassigned command
                                 v2_header(0x21, 0x11, std::string(4, '\0'))}) {  // short address block
    Client c(f.port());
    ASSERT_TRUE(c.send(bad));
    EXPECT_TRUE(c.closed()) << bad;
  }
  // Silent: closed after proxy_header_timeout, counted as handshaking meanwhile.
  auto start = std::chrono::steady_clock::now();
  Client silent(f.port());
  ASSERT_TRUE(eventually([&] { return f.server->handshaking() == 1; }));
  EXPECT_FALSE(silent.closed(100ms));
  advance_clock_for_tests(4s);
  EXPECT_TRUE(silent.closed(3000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  ASSERT_TRUE(eventually([&] { return f.server->active() == 0; }));
  EXPECT_EQ(f.server->handshaking(), 0u);
  EXPECT_EQ(ev.pop(100ms), "<none>");
}

TEST(ProxyServer, UntrustedAddressesAreNeverAskedForAHeader) {
  Events ev;
  Fixture f(show_peer(ev), behind_proxy("10.0.0.0/8, 2001:db8::/32"));
  Client c(f.port());
  EXPECT_EQ(c.line().rfind("peer 127.0.0.1 ", 0), 0u);  // at once, without a header
  // A header from an untrusted client is just data: it cannot choose its address.
  ASSERT_TRUE(c.send(v2_inet("192.0.2.7", 4242, "198.51.100.1", 25)));
  EXPECT_EQ(ev.pop(), "handler 127.0.0.1");
}

TEST(ProxyServer, PerClientCapCountsTheNamedClient) {
  Events ev;
  ServerOptions opts = behind_proxy();
  opts.max_connections_per_client = 1;
  opts.client_limit_handler = [](Connection& c) -> awaitable<void> {
    co_await c.write("421 4.7.0 mx.test Error: too many connections from " + c.peer_ip() + "\r\n");
  };
  Fixture f(show_peer(ev), opts);
  // All three arrive from the balancer's one address (127.0.0.1).
  Client a(f.port());
  ASSERT_TRUE(a.send(v2_inet("192.0.2.7", 1111, "198.51.100.1", 25)));
  EXPECT_EQ(a.line(), "peer 192.0.2.7 1111\r\n");
  Client other(f.port());
  ASSERT_TRUE(other.send(v2_inet("192.0.2.8", 2222, "198.51.100.1", 25)));
  EXPECT_EQ(other.line(), "peer 192.0.2.8 2222\r\n");
  Client again(f.port());
  ASSERT_TRUE(again.send(v2_inet("192.0.2.7", 3333, "198.51.100.1", 25)));
  EXPECT_EQ(again.line(), "421 4.7.0 mx.test Error: too many connections from 192.0.2.7\r\n");
  EXPECT_TRUE(again.closed());
  EXPECT_EQ(f.server->active(), 2u);
}

TEST(ProxyServer, ImplicitTlsFollowsTheHeader) {
  TestTls tls;
  Events ev;
  ServerOptions opts = behind_proxy();
  opts.implicit_tls = &*tls.ctx;
  Fixture f(show_peer(ev), opts);
  for (int i = 0; i < 5; ++i) {  // the ClientHello often arrives with the header: it must stay unread
    Client c(f.port());
    ASSERT_TRUE(c.send(v2_inet("192.0.2.7", 4242, "198.51.100.1", 465)));
    ASSERT_TRUE(c.handshake()) << i;
    EXPECT_EQ(c.line(), "peer 192.0.2.7 4242\r\n");
  }
}

}  // namespace
}  // namespace mail::net::test
