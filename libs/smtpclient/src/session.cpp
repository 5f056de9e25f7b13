// SPDX-License-Identifier: Apache-2.0
// session.cpp: the ClientSession's life around its conversations: creation,
// the facts it reports (peer, usable), QUIT and closing, and the names of
// the option and outcome enums. The conversations themselves are in
// session_open.cpp (greeting, EHLO, STARTTLS), session_auth.cpp (AUTH) and
// session_send.cpp (one transaction).
// Trusts: nothing from the server; QUIT's reply is read only to be polite
// and is not acted on.
#include "mail/smtpclient/session.h"

#include "mail/smtp/client_command.h"
#include "wire.h"

namespace mail::smtp::client {

const char* to_string(TlsPolicy policy) {
  switch (policy) {
    case TlsPolicy::none:
      return "none";
    case TlsPolicy::may:
      return "may";
    case TlsPolicy::encrypt:
      return "encrypt";
    case TlsPolicy::verify:
      return "verify";
  }
  return "?";
}

const char* to_string(RecipientOutcome::Kind kind) {
  switch (kind) {
    case RecipientOutcome::Kind::delivered:
      return "delivered";
    case RecipientOutcome::Kind::tempfail:
      return "tempfail";
    case RecipientOutcome::Kind::permfail:
      return "permfail";
  }
  return "?";
}

SessionError connect_failure(const common::Error& error) {
  return SessionError{false, 0, "4.4.1", error.message, "connect"};  // 4.4.1: no answer from host
}

ClientSession::ClientSession(std::shared_ptr<net::Connection> conn, const ClientOptions& opts)
    : conn_(std::move(conn)), opts_(opts), wire_(std::make_unique<detail::Wire>(*conn_, opts_.reply_limits)) {}

ClientSession::~ClientSession() {
  // A session dropped without quit() still must not leave the socket open.
  if (conn_) conn_->close();
}

bool ClientSession::usable() const { return !broken_ && !quit_done_ && conn_->is_open(); }

std::string ClientSession::peer() const {
  const std::string& ip = conn_->peer_ip();
  const std::string& name = opts_.tls_server_name.empty() ? ip : opts_.tls_server_name;
  return name + "[" + ip + "]:" + std::to_string(conn_->peer_port());
}

void ClientSession::fail_connection() {
  broken_ = true;
  conn_->close();
}

net::awaitable<void> ClientSession::quit() {
  if (quit_done_) co_return;
  co_await say_goodbye();
}

net::awaitable<void> ClientSession::say_goodbye() {
  quit_done_ = true;
  if (broken_ || !conn_->is_open()) {
    conn_->close();
    co_return;
  }
  broken_ = true;  // nothing more is said on this connection
  detail::ReplyOrError reply = co_await wire_->command(kQuit, opts_.quit_timeout);
  (void)reply;  // 221 or not, the conversation is over
  conn_->set_timeout(opts_.quit_timeout);
  co_await conn_->shutdown();
}

}  // namespace mail::smtp::client
