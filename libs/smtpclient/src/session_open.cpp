// SPDX-License-Identifier: Apache-2.0
// session_open.cpp: the start of an outbound SMTP session (RFC 5321 3.1,
// 4.1.1.1; STARTTLS RFC 3207): the greeting, EHLO with a HELO fallback,
// STARTTLS as the TlsPolicy says, then AUTH (session_auth.cpp).
//
// Decisions, as Postfix's smtp client makes them:
// - A greeting other than 220 ends the session with a tempfail, 5xx
//   included (smtp_skip_5xx_greeting: another MX, or later, may take it).
// - A 5xx to EHLO falls back to HELO, and then nothing is assumed of the
//   server (no extensions, so no STARTTLS and no AUTH); a 4xx to EHLO does
//   not fall back (the server is busy, not old).
// - STARTTLS: under "may", a refusal of the command (4xx/5xx) leaves the
//   session in clear text and in step, noted; a failed handshake ends it.
//   Under "encrypt" and "verify" a missing or refused STARTTLS ends it.
//   After the handshake nothing from before is kept: the Connection drops
//   whatever was buffered (bytes a server or a man in the middle sent
//   behind its 220, CVE-2011-0411's client-side twin), the parser is
//   reset, the capabilities are forgotten and EHLO is sent again.
// - Under "verify" the certificate must verify even if the caller's
//   context does not enforce it (the handshake result is checked too).
// - A 421 anywhere means the server is closing: no QUIT is sent.
//
// Trusts: nothing from the server; every reply through the parser, within
// its stage's timeout. Diagnostics: SessionError with the stage's name.
#include "mail/smtpclient/session.h"

#include "mail/smtp/client_command.h"
#include "wire.h"

namespace mail::smtp::client {

using detail::ReplyOrError;
using detail::WireError;
using detail::session_error;

net::awaitable<std::variant<std::unique_ptr<ClientSession>, SessionError>> ClientSession::open(
    std::shared_ptr<net::Connection> conn, const ClientOptions& opts) {
  std::unique_ptr<ClientSession> s(new ClientSession(std::move(conn), opts));
  std::optional<SessionError> failed = co_await s->greet();
  if (!failed) failed = co_await s->hello();
  if (!failed) failed = co_await s->starttls();
  if (!failed) failed = co_await s->authenticate();
  if (failed) {
    co_await s->say_goodbye();
    co_return std::move(*failed);
  }
  s->open_notes_ = s->notes_.size();
  co_return std::move(s);
}

// The reply in hand is not one the conversation allows here: we no longer
// know what the server thinks is going on.
SessionError ClientSession::out_of_step(const ServerReply& reply, std::string_view what, const char* stage) {
  fail_connection();
  return session_error(reply, "unexpected reply to " + std::string(what), stage, false);
}

net::awaitable<std::optional<SessionError>> ClientSession::greet() {
  ReplyOrError got = co_await wire_->read_reply(opts_.greeting_timeout);
  if (auto* e = std::get_if<WireError>(&got)) {
    fail_connection();
    co_return session_error(*e, "the greeting", "greeting");
  }
  const ServerReply& reply = std::get<ServerReply>(got);
  if (reply.code == 220) co_return std::nullopt;
  if (reply.code == 421) fail_connection();
  if (reply.transient() || reply.permanent())
    co_return session_error(reply, "the server refused to talk to us", "greeting", false);
  co_return out_of_step(reply, "the greeting", "greeting");
}

net::awaitable<std::optional<SessionError>> ClientSession::hello() {
  caps_ = Capabilities{};
  helo_ = false;
  Formatted ehlo = format_ehlo(opts_.helo_name);
  if (auto* e = std::get_if<FormatError>(&ehlo))
    co_return session_error("4.3.5", "our EHLO name cannot be sent: " + std::string(format_error_name(*e)), "ehlo");
  ReplyOrError got = co_await wire_->command(std::get<std::string>(ehlo), opts_.ehlo_timeout);
  if (auto* e = std::get_if<WireError>(&got)) {
    fail_connection();
    co_return session_error(*e, "EHLO", "ehlo");
  }
  const ServerReply& reply = std::get<ServerReply>(got);
  if (reply.code == 250) {
    auto parsed = parse_ehlo(reply);
    if (auto* caps = std::get_if<Capabilities>(&parsed)) caps_ = std::move(*caps);
    co_return std::nullopt;
  }
  if (reply.code == 421) fail_connection();
  if (reply.transient()) co_return session_error(reply, "EHLO refused", "ehlo", false);
  if (!reply.permanent()) co_return out_of_step(reply, "EHLO", "ehlo");

  // An old server (or one that says it is): HELO, and no extensions.
  Formatted helo = format_helo(opts_.helo_name);
  ReplyOrError got_helo = co_await wire_->command(std::get<std::string>(helo), opts_.ehlo_timeout);
  if (auto* e = std::get_if<WireError>(&got_helo)) {
    fail_connection();
    co_return session_error(*e, "HELO", "helo");
  }
  const ServerReply& helo_reply = std::get<ServerReply>(got_helo);
  if (helo_reply.code == 250) {
    helo_ = true;
    const std::string& first = helo_reply.lines.front().text;
    caps_.domain = first.substr(0, std::min(first.find(' '), first.size()));
    notes_.push_back("EHLO refused (" + reply.summary() + "); HELO used, no extensions");
    co_return std::nullopt;
  }
  if (helo_reply.code == 421) fail_connection();
  if (helo_reply.transient() || helo_reply.permanent())
    co_return session_error(helo_reply, "HELO refused", "helo", helo_reply.permanent());
  co_return out_of_step(helo_reply, "HELO", "helo");
}

net::awaitable<std::optional<SessionError>> ClientSession::starttls() {
  const TlsPolicy policy = opts_.tls;
  if (policy == TlsPolicy::none) co_return std::nullopt;
  const bool required = policy != TlsPolicy::may;
  if (!caps_.starttls) {
    if (required) co_return session_error("4.7.4", "TLS is required but not offered", "starttls");
    co_return std::nullopt;
  }
  if (!opts_.tls_ctx) {
    if (required)
      co_return session_error("4.3.5", "TLS is required but no client TLS context is configured", "starttls");
    notes_.push_back("STARTTLS offered, but no client TLS context is configured: clear text");
    co_return std::nullopt;
  }
  if (policy == TlsPolicy::verify && opts_.tls_server_name.empty())
    co_return session_error("4.3.5", "TLS verification needs the server name (tls_server_name)", "starttls");

  ReplyOrError got = co_await wire_->command(kStarttls, opts_.starttls_timeout);
  if (auto* e = std::get_if<WireError>(&got)) {
    fail_connection();
    co_return session_error(*e, "STARTTLS", "starttls");
  }
  const ServerReply& reply = std::get<ServerReply>(got);
  if (reply.code != 220) {
    if (reply.code == 421) fail_connection();
    if (!reply.transient() && !reply.permanent()) co_return out_of_step(reply, "STARTTLS", "starttls");
    if (required || broken_) co_return session_error(reply, "TLS is required, but STARTTLS was refused", "starttls", false);
    notes_.push_back("STARTTLS refused (" + reply.summary() + "): clear text");
    co_return std::nullopt;
  }

  // From here on nothing said before counts.
  wire_->reset();
  caps_ = Capabilities{};
  auto tls = co_await net::start_tls(*conn_, *opts_.tls_ctx, opts_.tls_server_name);
  if (!tls) {
    broken_ = true;  // start_tls closed the connection
    co_return session_error("4.7.5", tls.error().message, "starttls");
  }
  tls_ = *tls;
  if (policy == TlsPolicy::verify && !tls_.verified) {
    fail_connection();
    std::string text = "TLS with " + opts_.tls_server_name + " [" + conn_->peer_ip() +
                       "]: certificate verification failed: " + tls_.verify_error;
    co_return session_error("4.7.5", std::move(text), "starttls");
  }
  std::optional<SessionError> again = co_await hello();
  co_return again;
}

}  // namespace mail::smtp::client
