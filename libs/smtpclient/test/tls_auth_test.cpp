// SPDX-License-Identifier: Apache-2.0
// tls_auth_test.cpp: STARTTLS and AUTH against scripted servers with
// certificates from a throw-away CA made in the test (the net tests'
// TestCa) and a self-signed one (net::ensure_self_signed): what was said
// before the handshake is forgotten (bytes injected behind the 220, the old
// EHLO's SIZE), each TLS policy's refusals, verification by CA and name,
// AUTH PLAIN and LOGIN, 535, and no credentials over clear text.
#include <gtest/gtest.h>

#include "mail/common/base64.h"
#include "mail/net/tls.h"
#include "script_server.h"
#include "test_ca.h"

namespace mail::smtp::client::test {
namespace {

constexpr const char* kName = "mx.test.example";
const std::string kBody = "Subject: tls\r\n\r\nsecret\r\n";

struct Pki {
  Pki() : ca(dir.path().string(), "good"), other(dir.path().string(), "other") {
    auto [cert, key] = ca.issue("server", kName, std::string("DNS:") + kName + ",IP:127.0.0.1");
    server_ctx.emplace(net::make_server_tls_context(cert, key));
    const std::string self_cert = dir.file("self.pem"), self_key = dir.file("self.key");
    net::ensure_self_signed(self_cert, self_key, kName);
    self_signed_ctx.emplace(net::make_server_tls_context(self_cert, self_key));
    verifying.emplace(net::make_client_tls_context(net::ClientTlsOptions{net::TlsVerify::required, ca.ca_file()}));
    // Accepts anything; its CA list does not know the server's CA.
    opportunistic.emplace(net::make_client_tls_context(net::ClientTlsOptions{net::TlsVerify::none, other.ca_file()}));
  }
  net::test::TempDir dir;
  net::test::TestCa ca;
  net::test::TestCa other;
  std::optional<asio::ssl::context> server_ctx, self_signed_ctx, verifying, opportunistic;
};

OutboundMessage message() {
  OutboundMessage m;
  m.sender = "sender@client.test.example";
  m.recipients = {"a@mx.test.example"};
  m.size = kBody.size();
  return m;
}

ClientOptions tls_options(TlsPolicy policy, asio::ssl::context* ctx, std::string name = kName) {
  ClientOptions o = test_options();
  o.tls = policy;
  o.tls_ctx = ctx;
  o.tls_server_name = std::move(name);
  return o;
}

// The greeting, and an EHLO reply offering STARTTLS.
Script starttls_offered(std::string_view extra = "") {
  Script s;
  s.reply("220 mx.test.example ESMTP")
      .expect("EHLO client.test.example")
      .reply("250-mx.test.example\n" + std::string(extra) + "250 STARTTLS");
  return s;
}

// What a session reports about its TLS and capabilities, then one message.
awaitable<std::string> describe_and_send(ClientSession& s) {
  const net::TlsInfo& tls = s.tls();
  const Capabilities& caps = s.capabilities();
  std::string out = "tls=" + std::string(tls.protocol.rfind("TLSv1.", 0) == 0 ? "yes" : "no:" + tls.protocol) +
                    (tls.verified ? " verified" : " unverified") + " size=" + std::to_string(caps.max_size) +
                    (caps.pipelining ? " pipelining" : "") + (caps.starttls ? " starttls" : "") + " auth=" +
                    s.auth_mechanism() + "\n";
  for (const auto& n : s.notes()) out += "note: " + n + "\n";
  OutboundMessage m = message();
  const std::vector<std::string> chunks = {kBody};
  out += co_await send_one(s, m, chunks);
  co_return out;
}

// MAIL .. QUIT, one reply per command (which suits a pipelining client too).
void transaction(Script& s) {
  s.expect("MAIL")
      .reply("250 ok")
      .expect("RCPT")
      .reply("250 ok")
      .expect("DATA")
      .reply("354 go")
      .data()
      .reply("250 2.0.0 queued")
      .expect("QUIT")
      .reply("221 bye")
      .wait_close();
}

TEST(ClientTls, StartTlsForgetsEverythingFromBefore) {
  Pki pki;
  // Before TLS: a SIZE the message exceeds. Behind the 220 to STARTTLS, in
  // the same write, a reply injected in clear text: if the client kept it,
  // it would take it for the reply to its second EHLO.
  Script sc = starttls_offered("250-SIZE 10\n");
  sc.expect("STARTTLS")
      .send("220 2.0.0 go ahead\r\n250-injected.example\r\n250 SIZE 5\r\n")
      .starttls()
      .expect("EHLO client.test.example")
      .reply("250-mx.test.example inside\n250-PIPELINING\n250 SIZE 1000");
  transaction(sc);
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::encrypt, &*pki.opportunistic), describe_and_send);
  EXPECT_EQ(got, "tls=yes unverified size=1000 pipelining auth=\ndelivered 2.0.0 250 2.0.0 queued\n");
  EXPECT_EQ(server.transcript(), R"(C: EHLO client.test.example
C: STARTTLS
S: tls
C: EHLO client.test.example
C: MAIL FROM:<sender@client.test.example> SIZE=24
C: RCPT TO:<a@mx.test.example>
C: DATA
D: Subject: tls\r\n\r\nsecret\r\n.\r\n
C: QUIT
C: <eof>
)");
}

TEST(ClientTls, VerifySucceedsWithTheRightCaAndName) {
  Pki pki;
  Script sc = starttls_offered();
  sc.expect("STARTTLS").reply("220 go ahead").starttls().expect("EHLO").reply("250-mx.test.example\n250 PIPELINING");
  transaction(sc);
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::verify, &*pki.verifying), describe_and_send);
  EXPECT_EQ(got, "tls=yes verified size=0 pipelining auth=\ndelivered 2.0.0 250 2.0.0 queued\n");
}

TEST(ClientTls, VerifyFailsAgainstASelfSignedCertificate) {
  Pki pki;
  Script sc = starttls_offered();
  sc.expect("STARTTLS").reply("220 go ahead").starttls();
  ScriptServer server(sc, &*pki.self_signed_ctx);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::verify, &*pki.verifying),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got,
            "error stage=starttls temp code=0 4.7.5 TLS with mx.test.example [127.0.0.1]: certificate verification "
            "failed: self-signed certificate");
  EXPECT_EQ(server.transcript(), "C: EHLO client.test.example\nC: STARTTLS\n!! server handshake failed\n");
}

TEST(ClientTls, VerifyFailsOnTheWrongName) {
  Pki pki;
  Script sc = starttls_offered();
  sc.expect("STARTTLS").reply("220 go ahead").starttls();
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::verify, &*pki.verifying, "mx.elsewhere.example"),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got,
            "error stage=starttls temp code=0 4.7.5 TLS with mx.elsewhere.example [127.0.0.1]: certificate "
            "verification failed: hostname mismatch");
}

TEST(ClientTls, VerifyChecksTheResultEvenWithALenientContext) {
  // A caller that pairs "verify" with a non-verifying context still gets
  // no unverified session.
  Pki pki;
  Script sc = starttls_offered();
  sc.expect("STARTTLS").reply("220 go ahead").starttls().wait_close();
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::verify, &*pki.opportunistic),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got,
            "error stage=starttls temp code=0 4.7.5 TLS with mx.test.example [127.0.0.1]: certificate verification "
            "failed: self-signed certificate in certificate chain");
}

TEST(ClientTls, EncryptWithoutStarttlsOfferedFails) {
  Pki pki;
  Script sc;
  sc.reply("220 mx ESMTP").expect("EHLO").reply("250-mx\n250 PIPELINING").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::encrypt, &*pki.opportunistic),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got, "error stage=starttls temp code=0 4.7.4 TLS is required but not offered");
  EXPECT_EQ(server.transcript(), "C: EHLO client.test.example\nC: QUIT\nC: <eof>\n");
}

TEST(ClientTls, EncryptWithStarttlsRefusedFails) {
  Pki pki;
  Script sc = starttls_offered();
  sc.expect("STARTTLS").reply("454 4.7.0 TLS not available").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), tls_options(TlsPolicy::encrypt, &*pki.opportunistic),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got,
            "error stage=starttls temp code=454 4.7.0 TLS is required, but STARTTLS was refused: 454 4.7.0 TLS not "
            "available");
}

TEST(ClientTls, MayFallsBackToClearTextOnlyWithoutAWorkingOffer) {
  Pki pki;
  {  // not offered: clear text
    Script sc;
    sc.reply("220 mx ESMTP").expect("EHLO").reply("250-mx\n250 PIPELINING");
    transaction(sc);
    ScriptServer server(sc);
    std::string got = run_client(server.port(), tls_options(TlsPolicy::may, &*pki.opportunistic), describe_and_send);
    EXPECT_EQ(got, "tls=no: unverified size=0 pipelining auth=\ndelivered 2.0.0 250 2.0.0 queued\n");
  }
  {  // offered, the command refused: clear text, noted
    Script sc = starttls_offered();
    sc.expect("STARTTLS").reply("454 4.7.0 TLS not available");
    transaction(sc);
    ScriptServer server(sc);
    std::string got = run_client(server.port(), tls_options(TlsPolicy::may, &*pki.opportunistic), describe_and_send);
    EXPECT_EQ(got,
              "tls=no: unverified size=0 starttls auth=\n"
              "note: STARTTLS refused (454 4.7.0 TLS not available): clear text\n"
              "delivered 2.0.0 250 2.0.0 queued\n");
  }
  {  // offered and accepted, the handshake fails: no clear text on this connection
    Script sc = starttls_offered();
    sc.expect("STARTTLS").reply("220 go ahead").send("this is not a TLS server hello, just text\r\n").wait_close();
    ScriptServer server(sc);
    std::string got = run_client(server.port(), tls_options(TlsPolicy::may, &*pki.opportunistic),
                                 [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
    EXPECT_EQ(got.rfind("error stage=starttls temp code=0 4.7.5 TLS with mx.test.example [127.0.0.1]: ", 0), 0u) << got;
  }
  {  // policy none: STARTTLS never sent
    Script sc = starttls_offered();
    transaction(sc);
    ScriptServer server(sc);
    std::string got = run_client(server.port(), tls_options(TlsPolicy::none, &*pki.opportunistic), describe_and_send);
    EXPECT_EQ(got, "tls=no: unverified size=0 starttls auth=\ndelivered 2.0.0 250 2.0.0 queued\n");
  }
}

// ---- AUTH --------------------------------------------------------------------

ClientOptions auth_options(Pki& pki, bool clear = false) {
  ClientOptions o = clear ? test_options() : tls_options(TlsPolicy::encrypt, &*pki.opportunistic);
  o.auth = Credentials{"relay@client.test.example", "s3cret pass"};
  return o;
}

std::string plain_response() {
  return "AUTH PLAIN " + common::base64_encode(std::string("\0relay@client.test.example\0s3cret pass", 38));
}

Script tls_then(std::string_view ehlo_inside) {
  Script sc = starttls_offered();
  sc.expect("STARTTLS").reply("220 go ahead").starttls().expect("EHLO").reply(ehlo_inside);
  return sc;
}

TEST(ClientAuth, PlainOverTls) {
  Pki pki;
  Script sc = tls_then("250-mx.test.example\n250-PIPELINING\n250 AUTH LOGIN PLAIN");
  sc.expect(plain_response()).reply("235 2.7.0 Authentication successful");
  transaction(sc);
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), auth_options(pki), describe_and_send);
  EXPECT_EQ(got, "tls=yes unverified size=0 pipelining auth=PLAIN\ndelivered 2.0.0 250 2.0.0 queued\n");
  EXPECT_EQ(server.transcript().find("!!"), std::string::npos) << server.transcript();
}

TEST(ClientAuth, WrongPasswordIsATemporaryError) {
  Pki pki;
  Script sc = tls_then("250-mx.test.example\n250 AUTH PLAIN");
  sc.expect("AUTH PLAIN ").reply("535 5.7.8 Error: authentication failed").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), auth_options(pki),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got,
            "error stage=auth temp code=535 5.7.8 authentication failed (PLAIN): 535 5.7.8 Error: authentication "
            "failed");
  // The password is nowhere in what we report.
  EXPECT_EQ(got.find("s3cret"), std::string::npos);
}

TEST(ClientAuth, LoginWhenOnlyLoginIsOffered) {
  Pki pki;
  ClientOptions opts = auth_options(pki, true);
  opts.allow_plaintext_auth = true;  // a smarthost on a trusted network
  Script sc;
  sc.reply("220 mx ESMTP")
      .expect("EHLO")
      .reply("250-mx\n250-AUTH=LOGIN\n250 AUTH LOGIN")
      .expect("AUTH LOGIN")
      .reply("334 VXNlcm5hbWU6")
      .expect(common::base64_encode("relay@client.test.example"))
      .reply("334 UGFzc3dvcmQ6")
      .expect(common::base64_encode("s3cret pass"))
      .reply("235 2.7.0 ok");
  transaction(sc);
  ScriptServer server(sc);
  std::string got = run_client(server.port(), opts, describe_and_send);
  EXPECT_EQ(got, "tls=no: unverified size=0 auth=LOGIN\ndelivered 2.0.0 250 2.0.0 queued\n");
  EXPECT_EQ(server.transcript().find("!!"), std::string::npos) << server.transcript();
}

TEST(ClientAuth, NoCredentialsOverClearText) {
  Pki pki;
  Script sc;
  sc.reply("220 mx ESMTP").expect("EHLO").reply("250-mx\n250 AUTH PLAIN").expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc);
  std::string got = run_client(server.port(), auth_options(pki, true),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got,
            "error stage=auth temp code=0 4.7.0 credentials are configured, but the connection is not encrypted: AUTH "
            "not sent");
  EXPECT_EQ(server.transcript(), "C: EHLO client.test.example\nC: QUIT\nC: <eof>\n");
}

TEST(ClientAuth, NoUsableMechanism) {
  Pki pki;
  Script sc = tls_then("250-mx.test.example\n250 AUTH CRAM-MD5 XOAUTH2");
  sc.expect("QUIT").reply("221 bye").wait_close();
  ScriptServer server(sc, &*pki.server_ctx);
  std::string got = run_client(server.port(), auth_options(pki),
                               [](ClientSession&) -> awaitable<std::string> { co_return "opened?"; });
  EXPECT_EQ(got, "error stage=auth temp code=0 4.7.0 no AUTH mechanism we can use is offered (CRAM-MD5 XOAUTH2)");
}

}  // namespace
}  // namespace mail::smtp::client::test
