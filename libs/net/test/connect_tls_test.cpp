// SPDX-License-Identifier: Apache-2.0
// connect_tls_test.cpp: TLS on outbound connections against loopback
// servers with certificates from a throw-away CA made in the test: implicit
// TLS and STARTTLS, verification that succeeds with the right CA and name
// (DNS and IP), fails with a wrong name or an unknown CA, and policy none,
// which connects anyway but reports the verification result.
#include <gtest/gtest.h>

#include "mail/net/connect.h"
#include "mail/net/tls.h"
#include "test_ca.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

constexpr const char* kName = "mx.test.example";

std::string error_text(const common::Error& e) { return std::string(common::to_string(e.code)) + ": " + e.message; }

struct Pki {
  Pki() : ca(dir.path().string(), "good"), other(dir.path().string(), "other") {
    auto [cert, key] = ca.issue("server", kName, std::string("DNS:") + kName + ",IP:127.0.0.1");
    server_ctx.emplace(make_server_tls_context(cert, key));
  }
  asio::ssl::context client(TlsVerify verify, const std::string& ca_file) {
    return make_client_tls_context(ClientTlsOptions{verify, ca_file});
  }
  TempDir dir;
  TestCa ca;
  TestCa other;  // a CA the server's certificate does not come from
  std::optional<asio::ssl::context> server_ctx;
};

// An implicit-TLS server answering one line.
struct TlsServer {
  explicit TlsServer(Pki& pki) {
    ServerOptions opts;
    opts.implicit_tls = &*pki.server_ctx;
    opts.timeout = 5s;
    f.emplace(
        [this](Connection& c) -> awaitable<void> {
          co_await c.write("220 tls ready\r\n");
          ReadResult r = co_await c.read_line(100);
          ev.push("server got " + r.line);
        },
        opts);
  }
  uint16_t port() const { return f->port(); }
  Events ev;
  std::optional<Fixture> f;
};

// Connects with implicit TLS and describes the outcome.
std::string implicit(uint16_t port, asio::ssl::context& ctx, const std::string& name) {
  return run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.io_timeout = 5s;
    o.implicit_tls = &ctx;
    o.server_name = name;
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    TlsInfo info = tls_info(**c);
    std::string out = info.verified ? "verified" : "unverified(" + info.verify_error + ")";
    out += info.protocol.rfind("TLSv1.", 0) == 0 && !info.cipher.empty() && info.cipher_bits >= 128 ? "|params ok"
                                                                                                    : "|params bad";
    out += info.peer_subject.find(kName) != std::string::npos ? "|subject ok" : "|subject " + info.peer_subject;
    out += "|" + (co_await (*c)->read_line(100)).line;
    co_await (*c)->write("QUIT\r\n");
    co_await (*c)->shutdown();
    co_return out;
  });
}

TEST(ConnectTls, VerifiesWithTheRightCaAndName) {
  Pki pki;
  TlsServer server(pki);
  auto ctx = pki.client(TlsVerify::required, pki.ca.ca_file());
  EXPECT_EQ(implicit(server.port(), ctx, kName), "verified|params ok|subject ok|220 tls ready");
  EXPECT_EQ(server.ev.pop(), "server got QUIT");
  // An address literal is checked against the iPAddress names.
  EXPECT_EQ(implicit(server.port(), ctx, "127.0.0.1"), "verified|params ok|subject ok|220 tls ready");
  // A trailing dot, as DNS names come, is fine.
  EXPECT_EQ(implicit(server.port(), ctx, std::string(kName) + "."), "verified|params ok|subject ok|220 tls ready");
}

TEST(ConnectTls, WrongNameFails) {
  Pki pki;
  TlsServer server(pki);
  auto ctx = pki.client(TlsVerify::required, pki.ca.ca_file());
  const std::string got = implicit(server.port(), ctx, "other.test.example");
  EXPECT_EQ(got, "failed_precondition: TLS with other.test.example [127.0.0.1]: certificate verification failed: "
                 "hostname mismatch");
  EXPECT_EQ(implicit(server.port(), ctx, "127.0.0.2"),
            "failed_precondition: TLS with 127.0.0.2 [127.0.0.1]: certificate verification failed: IP address mismatch");
  // A wildcard-free certificate does not match a sub-domain either.
  EXPECT_NE(implicit(server.port(), ctx, std::string("a.") + kName).find("hostname mismatch"), std::string::npos);
}

TEST(ConnectTls, UnknownCaFails) {
  Pki pki;
  TlsServer server(pki);
  auto ctx = pki.client(TlsVerify::required, pki.other.ca_file());
  EXPECT_EQ(implicit(server.port(), ctx, kName),
            "failed_precondition: TLS with mx.test.example [127.0.0.1]: certificate verification failed: "
            "self-signed certificate in certificate chain");  // the server sends its CA along
}

TEST(ConnectTls, PolicyNoneConnectsAndReports) {
  Pki pki;
  TlsServer server(pki);
  auto unknown = pki.client(TlsVerify::none, pki.other.ca_file());
  EXPECT_EQ(implicit(server.port(), unknown, kName),
            "unverified(self-signed certificate in certificate chain)|params ok|subject ok|220 tls ready");
  auto known = pki.client(TlsVerify::none, pki.ca.ca_file());
  EXPECT_EQ(implicit(server.port(), known, "wrong.example"), "unverified(hostname mismatch)|params ok|subject ok|220 tls ready");
  EXPECT_EQ(implicit(server.port(), known, kName), "verified|params ok|subject ok|220 tls ready");
  // The system store does not know our throw-away CA.
  auto system = pki.client(TlsVerify::none, "");
  EXPECT_EQ(implicit(server.port(), system, kName).substr(0, 11), "unverified(");
}

TEST(ConnectTls, BadCaFileThrowsAtStartUp) {
  EXPECT_THROW(make_client_tls_context(ClientTlsOptions{TlsVerify::required, "/nonexistent/ca.pem"}),
               std::runtime_error);
}

TEST(ConnectTls, HandshakeWithAClearTextServerFails) {
  Fixture f([&](Connection& c) -> awaitable<void> {
    co_await c.write("220 not tls at all, just text that goes on\r\n");
    co_await c.read_line(100);
  });
  Pki pki;
  auto ctx = pki.client(TlsVerify::none, pki.ca.ca_file());
  const std::string got = implicit(f.port(), ctx, kName);
  EXPECT_EQ(got.rfind("unavailable: TLS with mx.test.example [127.0.0.1]: ", 0), 0u) << got;
}

// STARTTLS mid-connection. The server also sends a line after its "220 go
// ahead" in the same write: it arrived in clear text and must be discarded,
// never read as if it came through TLS.
TEST(ConnectTls, StartTlsUpgrade) {
  Pki pki;
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    co_await c.write("220 mx.test.example ESMTP\r\n");
    ReadResult r = co_await c.read_line(100);
    ev.push("clear " + r.line);
    co_await c.write("220 go ahead\r\n250 injected in clear text\r\n");
    const bool secured = co_await c.start_tls(*pki.server_ctx);
    if (!secured) {
      ev.push("server handshake failed");
      co_return;
    }
    r = co_await c.read_line(100);
    ev.push("tls " + r.line);
    co_await c.write("250 inside\r\n");
    co_await c.read_line(100);
  });
  auto ctx = pki.client(TlsVerify::required, pki.ca.ca_file());
  std::string got = run_coro([&]() -> awaitable<std::string> {
    ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = f.port();
    o.io_timeout = 5s;
    auto c = co_await connect(o);
    if (!c) co_return error_text(c.error());
    Connection& conn = **c;
    std::string out = (co_await conn.read_line(100)).line + "|";
    co_await conn.write("STARTTLS\r\n");
    out += (co_await conn.read_line(100)).line + "|";
    // Let the injected line arrive, so that it is buffered when TLS starts.
    co_await asio::steady_timer(conn.get_executor(), 100ms).async_wait(use_awaitable);
    auto tls = co_await start_tls(conn, ctx, kName);
    if (!tls) co_return out + error_text(tls.error());
    out += tls->verified ? "verified|" : "unverified|";
    co_await conn.write("EHLO client.test.example\r\n");
    out += (co_await conn.read_line(100)).line;
    // A second STARTTLS is refused.
    auto again = co_await start_tls(conn, ctx, kName);
    out += again ? "|again ok?" : "|" + error_text(again.error());
    co_return out;
  });
  EXPECT_EQ(got,
            "220 mx.test.example ESMTP|220 go ahead|verified|250 inside|failed_precondition: TLS with "
            "mx.test.example [127.0.0.1]: already active");
  EXPECT_EQ(ev.pop(), "clear STARTTLS");
  EXPECT_EQ(ev.pop(), "tls EHLO client.test.example");
}

}  // namespace
}  // namespace mail::net::test
