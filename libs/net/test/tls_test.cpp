// SPDX-License-Identifier: Apache-2.0
// tls_test.cpp: self-signed certificate creation, context loading, STARTTLS
// (including the pipelined-command injection defence) and implicit TLS.
#include "mail/net/tls.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "mail/net/connection.h"
#include "mail/net/server.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Certs {
  Certs() {
    ensure_self_signed(cert, key, "mail.test.example");
    ctx.emplace(make_server_tls_context(cert, key));
  }
  TempDir dir;
  std::string cert = dir.file("tls/cert.pem");
  std::string key = dir.file("tls/key.pem");
  std::optional<asio::ssl::context> ctx;
};

TEST(Tls, SelfSignedCertificateHasHostNameAndPrivateKey) {
  TempDir dir;
  std::string cert = dir.file("sub/dir/cert.pem"), key = dir.file("sub/dir/key.pem");
  ensure_self_signed(cert, key, "mx.example.org");
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  FILE* f = std::fopen(cert.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_host(x, "mx.example.org", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(x, "other.example.org", 0, 0, nullptr), 1);
  // Valid now and for years to come.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(x)), 0);
  time_t in_nine_years = std::time(nullptr) + 9L * 365 * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(x), &in_nine_years), 0);
  X509_free(x);

  EXPECT_NO_THROW(make_server_tls_context(cert, key));
}

TEST(Tls, ExistingFilesAreKept) {
  TempDir dir;
  std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  ensure_self_signed(cert, key, "a.example");
  std::string before = slurp(cert);
  ensure_self_signed(cert, key, "b.example");
  EXPECT_EQ(slurp(cert), before);
}

TEST(Tls, IpAddressHostName) {
  TempDir dir;
  std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  ensure_self_signed(cert, key, "127.0.0.1");
  FILE* f = std::fopen(cert.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  X509_free(x);
}

TEST(Tls, BadInputsThrow) {
  TempDir dir;
  EXPECT_THROW(ensure_self_signed(dir.file("c.pem"), dir.file("k.pem"), "bad,name"), std::runtime_error);
  EXPECT_THROW(ensure_self_signed(dir.file("c.pem"), dir.file("k.pem"), ""), std::runtime_error);
  EXPECT_THROW(make_server_tls_context(dir.file("missing.pem"), dir.file("missing.key")), std::runtime_error);
  // A key that does not belong to the certificate.
  ensure_self_signed(dir.file("1.pem"), dir.file("1.key"), "one.example");
  ensure_self_signed(dir.file("2.pem"), dir.file("2.key"), "two.example");
  EXPECT_THROW(make_server_tls_context(dir.file("1.pem"), dir.file("2.key")), std::runtime_error);
}

// STARTTLS session: the client pipelines a command after STARTTLS in the
// same segment; it must be discarded, and the first line read inside TLS
// must be the one sent through TLS.
TEST(Tls, StartTlsDiscardsPipelinedCleartext) {
  Certs certs;
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    ReadResult r = co_await c.read_line(100);
    ev.push("clear:" + r.line);
    co_await c.write("220 go ahead\r\n");
    const bool secured = co_await c.start_tls(*certs.ctx);
    if (!secured) {
      ev.push("handshake failed");
      co_return;
    }
    ev.push(c.tls() ? "tls" : "no tls");
    ev.push(c.tls_protocol().rfind("TLSv1.", 0) == 0 && !c.tls_cipher().empty() && c.tls_cipher_bits() >= 128
                ? "params ok"
                : "params " + c.tls_protocol() + " " + c.tls_cipher());
    r = co_await c.read_line(100);
    ev.push("tls:" + r.line);
    co_await c.write("250 " + r.line + "\r\n");
  });
  Client c(f.port());
  ASSERT_TRUE(c.send("STARTTLS\r\nMAIL FROM:<injected@example>\r\n"));
  EXPECT_EQ(ev.pop(), "clear:STARTTLS");
  EXPECT_EQ(c.line(), "220 go ahead\r\n");
  ASSERT_TRUE(c.handshake());
  EXPECT_EQ(ev.pop(), "tls");
  EXPECT_EQ(ev.pop(), "params ok");
  ASSERT_TRUE(c.send("EHLO inside\r\n"));
  EXPECT_EQ(ev.pop(), "tls:EHLO inside");
  EXPECT_EQ(c.line(), "250 EHLO inside\r\n");
}

TEST(Tls, StartTlsTwiceFails) {
  Certs certs;
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    bool first = co_await c.start_tls(*certs.ctx);
    bool second = co_await c.start_tls(*certs.ctx);
    ev.push(std::string(first ? "first ok" : "first failed") + (second ? " second ok" : " second failed"));
  });
  Client c(f.port());
  ASSERT_TRUE(c.handshake());
  EXPECT_EQ(ev.pop(), "first ok second failed");
}

TEST(Tls, HandshakeWithGarbageFails) {
  Certs certs;
  Events ev;
  Fixture f([&](Connection& c) -> awaitable<void> {
    c.set_timeout(2s);
    const bool secured = co_await c.start_tls(*certs.ctx);
    ev.push(secured ? "handshake ok" : "handshake failed");
  });
  Client c(f.port());
  ASSERT_TRUE(c.send("EHLO not tls at all\r\n"));
  EXPECT_EQ(ev.pop(), "handshake failed");
}

TEST(Tls, ImplicitTlsListener) {
  Certs certs;
  Events ev;
  ServerOptions opts;
  opts.implicit_tls = &*certs.ctx;
  opts.timeout = 2s;
  Fixture f(
      [&](Connection& c) -> awaitable<void> {
        ev.push(c.tls() ? "handler in tls" : "handler in clear");
        co_await c.write("+OK ready\r\n");
        ReadResult r = co_await c.read_line(100);
        ev.push("got:" + r.line);
        co_await c.shutdown();
      },
      opts);
  Client c(f.port());
  ASSERT_TRUE(c.handshake());
  EXPECT_EQ(c.line(), "+OK ready\r\n");
  ASSERT_TRUE(c.send("QUIT\r\n"));
  EXPECT_EQ(ev.pop(), "handler in tls");
  EXPECT_EQ(ev.pop(), "got:QUIT");
  EXPECT_TRUE(c.closed());

  // A clear-text client never reaches the handler and is disconnected.
  Client plain(f.port());
  ASSERT_TRUE(plain.send("USER bob\r\n"));
  EXPECT_TRUE(plain.closed());
  EXPECT_EQ(ev.pop(300ms), "<none>");
}

TEST(Tls, ClientSideHandshakeAgainstServer) {
  Certs certs;
  Events ev;
  ServerOptions opts;
  opts.implicit_tls = &*certs.ctx;
  Fixture f(
      [&](Connection& c) -> awaitable<void> {
        co_await c.write("220 tls\r\n");
        ReadResult r = co_await c.read_line(100);
        ev.push("server got:" + r.line);
      },
      opts);
  auto client_ctx = make_client_tls_context(false);
  IoThread client_io(1);
  asio::co_spawn(
      client_io.io,
      [&]() -> awaitable<void> {
        asio::ip::tcp::socket s(asio::make_strand(client_io.io));
        co_await s.async_connect({asio::ip::make_address("127.0.0.1"), f.port()}, use_awaitable);
        auto c = Connection::create(std::move(s));
        c->set_timeout(3s);
        const bool secured = co_await c->start_tls_client(client_ctx, "mail.test.example");
        if (!secured) {
          ev.push("client handshake failed");
          co_return;
        }
        ReadResult r = co_await c->read_line(100);
        ev.push("client got:" + r.line);
        co_await c->write("QUIT\r\n");
      },
      asio::detached);
  std::string a = ev.pop(), b = ev.pop();
  EXPECT_EQ(a, "client got:220 tls");
  EXPECT_EQ(b, "server got:QUIT");
}

}  // namespace
}  // namespace mail::net::test
