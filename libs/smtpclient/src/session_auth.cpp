// SPDX-License-Identifier: Apache-2.0
// session_auth.cpp: SMTP AUTH as a client (RFC 4954), for smarthosts:
// PLAIN (RFC 4616) with the initial response, or LOGIN (two 334 prompts,
// the user name and the password in base64) when only LOGIN is offered.
//
// Rules: credentials go only over TLS unless allow_plaintext_auth; a server
// that offers no AUTH, or no mechanism we have, is an error rather than an
// unauthenticated delivery (a relay would refuse it anyway, and a stripped
// AUTH line must not make us go on without). Every failure, 535 included,
// is a tempfail (permanent=false): a wrong smarthost password is a clear
// error to fix, then retried, as Postfix's smtp_sasl_auth_soft_bounce.
//
// Trusts: nothing from the server; a 334 prompt's text is not read (LOGIN
// prompts are fixed by their order, not by what they say), and a PLAIN
// exchange that asks for more is cancelled with "*". Diagnostics:
// SessionError stage "auth" with the server's reply; never the
// credentials, which are wiped from our buffers after use.
#include <algorithm>

#include "mail/common/base64.h"
#include "mail/smtp/client_command.h"
#include "mail/smtpclient/session.h"
#include "wire.h"

namespace mail::smtp::client {
namespace {

using detail::ReplyOrError;
using detail::WireError;
using detail::session_error;

// Overwrites a secret before its memory is given back.
void wipe(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

// "CRAM-MD5 XOAUTH2" (bounded: it goes into an error text).
std::string offered(const Capabilities& caps) {
  std::string out;
  for (const auto& m : caps.auth) {
    if (out.size() > 200) return out + " ...";
    if (!out.empty()) out += ' ';
    out += m;
  }
  return out;
}

}  // namespace

// One step of the exchange: sends `line` (wiped afterwards), reads the reply.
net::awaitable<ReplyOrError> ClientSession::auth_step(std::string& line) {
  ReplyOrError got = co_await wire_->command(line, opts_.auth_timeout);
  wipe(line);
  if (std::holds_alternative<WireError>(got)) fail_connection();
  co_return got;
}

net::awaitable<std::optional<SessionError>> ClientSession::authenticate() {
  if (!opts_.auth) co_return std::nullopt;
  if (!conn_->tls() && !opts_.allow_plaintext_auth)
    co_return session_error("4.7.0", "credentials are configured, but the connection is not encrypted: AUTH not sent",
                            "auth");
  if (caps_.auth.empty()) co_return session_error("4.7.0", "credentials are configured, but the server offers no AUTH", "auth");
  const bool plain = caps_.has_auth("PLAIN");
  if (!plain && !caps_.has_auth("LOGIN"))
    co_return session_error("4.7.0", "no AUTH mechanism we can use is offered (" + offered(caps_) + ")", "auth");
  const Credentials& cred = *opts_.auth;
  const char* const mechanism = plain ? "PLAIN" : "LOGIN";

  ReplyOrError got;
  if (plain) {
    Formatted line = format_auth_plain("", cred.user, cred.password);
    if (auto* e = std::get_if<FormatError>(&line))
      co_return session_error("4.3.5", "the credentials cannot be sent: " + std::string(format_error_name(*e)), "auth");
    std::string& initial = std::get<std::string>(line);
    got = co_await auth_step(initial);
    auto* challenge = std::get_if<ServerReply>(&got);
    if (challenge && challenge->code == 334) {
      // The initial response was complete; a server that wants more is
      // not one we can satisfy. Cancel (RFC 4954 4) and report.
      std::string cancel = "*\r\n";
      ReplyOrError after = co_await auth_step(cancel);
      if (std::holds_alternative<WireError>(after)) co_return session_error(std::get<WireError>(after), "AUTH", "auth");
      co_return session_error(*challenge, "AUTH PLAIN failed: the server asked for more", "auth", false);
    }
  } else {
    std::string start = "AUTH LOGIN\r\n";
    got = co_await auth_step(start);
    for (int prompt = 0; prompt < 2; ++prompt) {
      auto* challenge = std::get_if<ServerReply>(&got);
      if (!challenge || challenge->code != 334) break;
      std::string answer = common::base64_encode(prompt == 0 ? cred.user : cred.password) + "\r\n";
      got = co_await auth_step(answer);
    }
  }
  if (auto* e = std::get_if<WireError>(&got)) co_return session_error(*e, "AUTH", "auth");
  const ServerReply& reply = std::get<ServerReply>(got);
  if (reply.code == 235) {
    auth_mechanism_ = mechanism;
    co_return std::nullopt;
  }
  if (reply.code == 421) fail_connection();
  if (reply.transient() || reply.permanent())
    co_return session_error(reply, std::string("authentication failed (") + mechanism + ")", "auth", false);
  co_return out_of_step(reply, "AUTH", "auth");
}

}  // namespace mail::smtp::client
