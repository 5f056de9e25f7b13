// SPDX-License-Identifier: Apache-2.0
// session.h: the outbound SMTP client conversation (RFC 5321 as a client;
// STARTTLS RFC 3207, AUTH RFC 4954, PIPELINING RFC 2920, SIZE RFC 1870,
// 8BITMIME RFC 6152, SMTPUTF8 RFC 6531), what the mta uses to carry queued
// messages to a remote MX or a smarthost over a net::Connection it opened
// with net::connect.
//
//   auto opened = co_await ClientSession::open(conn, opts);
//   if (auto* err = std::get_if<SessionError>(&opened)) ... defer or bounce all
//   auto& s = std::get<std::unique_ptr<ClientSession>>(opened);
//   auto outcomes = co_await s->send(msg, body);   // one per recipient, in order
//   if (s->usable()) ... the next message for this destination
//   co_await s->quit();
//
// Trusts: nothing the server sends. Every reply goes through the
// ReplyParser with the caller's ReplyLimits, and through a per-reply timeout
// (the whole reply, however slowly it trickles); nothing the server sent
// before the TLS handshake survives it (the Connection drops its buffer, the
// parser is reset, EHLO is sent again and the old capabilities forgotten).
// Envelope addresses are formatted by the checked formatters
// (mail/smtp/client_command.h), so no address can inject a command.
//
// Diagnostics: SessionError from open(); RecipientOutcome texts from send();
// notes() for facts worth a log line that are not failures (STARTTLS refused
// under TlsPolicy::may, an 8-bit body sent to a server without 8BITMIME).
// Never throws for anything the network does; a body source must not throw.
//
// Threading: one session is used by one coroutine at a time, on the
// connection's strand (net::Connection's rule).
#pragma once
#include "mail/net/asio.h"  // first: Asio needs <utility> ahead of it

#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <string>
#include <variant>
#include <vector>

#include "mail/net/connect.h"
#include "mail/net/connection.h"
#include "mail/smtp/ehlo.h"
#include "mail/smtpclient/options.h"

namespace mail::smtp::client {

namespace detail {
class Wire;
struct WireError;
}  // namespace detail

class ClientSession {
 public:
  /// Reads the greeting, says EHLO (HELO after a 5xx to EHLO, and then no
  /// extensions), does STARTTLS as the policy says (then EHLO again, with
  /// everything learned before forgotten), and AUTH when credentials are
  /// given. On failure the connection is closed (after a QUIT where the
  /// conversation is still in step).
  static net::awaitable<std::variant<std::unique_ptr<ClientSession>, SessionError>> open(
      std::shared_ptr<net::Connection> conn, const ClientOptions& opts);

  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// One transaction; one outcome per msg.recipients entry, in order
  /// (`msg` and `body` must outlive the call). In short (session_send.cpp
  /// has the whole list):
  ///  - refused before sending: size over the server's SIZE (permfail 5.3.4
  ///    for all), SMTPUTF8 needed but not offered (5.6.7 for all), an
  ///    address that cannot be formatted (5.1.7 sender / 5.1.3 recipient);
  ///  - MAIL carries SIZE= when offered and BODY=8BITMIME for an 8-bit body
  ///    when offered (else the body goes as it is, noted);
  ///  - MAIL and RCPTs pipelined (in groups of pipeline_group) when
  ///    PIPELINING is offered; DATA only after an accepted RCPT;
  ///  - MAIL 5xx: permfail for all, 4xx: tempfail for all; a refused RCPT
  ///    gets its reply, accepted ones the reply to DATA or the final reply;
  ///  - connection lost, timeout, malformed or unexpected reply, 421, or a
  ///    body source error: tempfail (our words, code 0) for every recipient
  ///    not yet finally answered, and the session is no longer usable().
  /// When the session is not usable(), every recipient gets a tempfail at once.
  net::awaitable<std::vector<RecipientOutcome>> send(const OutboundMessage& msg, BodySource& body);

  /// The session may carry another message (the connection is open and the
  /// conversation in step; an unfinished transaction is reset with RSET
  /// before the next one).
  bool usable() const;

  /// QUIT, waits up to quit_timeout for the 221, closes. Idempotent; only
  /// closes when the conversation is out of step.
  net::awaitable<void> quit();

  /// What the server offers (after TLS: what it offered inside TLS). Empty
  /// after a HELO fallback.
  const Capabilities& capabilities() const { return caps_; }
  /// The TLS session; all empty when the connection is clear text.
  const net::TlsInfo& tls() const { return tls_; }
  /// AUTH succeeded, with this mechanism ("PLAIN", "LOGIN"); "" without AUTH.
  const std::string& auth_mechanism() const { return auth_mechanism_; }
  /// True after a HELO fallback (no ESMTP).
  bool helo_fallback() const { return helo_; }
  /// "mx.example.test[192.0.2.1]:25" for logs (the name is tls_server_name;
  /// without it the address stands in, as Postfix writes "192.0.2.1[192.0.2.1]").
  std::string peer() const;
  /// Facts from open() and the last send() worth logging (not failures).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  ClientSession(std::shared_ptr<net::Connection> conn, const ClientOptions& opts);

  struct Transaction;
  // open()'s steps (session_open.cpp, session_auth.cpp): a SessionError, or
  // nothing when the step is done (or not needed).
  net::awaitable<std::optional<SessionError>> greet();
  net::awaitable<std::optional<SessionError>> hello();
  net::awaitable<std::optional<SessionError>> starttls();
  net::awaitable<std::optional<SessionError>> authenticate();
  net::awaitable<std::variant<ServerReply, detail::WireError>> auth_step(std::string& line);
  SessionError out_of_step(const ServerReply& reply, std::string_view what, const char* stage);
  // send()'s steps (session_send.cpp).
  net::awaitable<bool> rset(Transaction& t);
  net::awaitable<void> envelope(const std::string& mail, const std::vector<std::pair<size_t, std::string>>& rcpts,
                                Transaction& t);
  net::awaitable<void> data(BodySource& body, Transaction& t);
  // QUIT when still in step, then close (session.cpp).
  net::awaitable<void> say_goodbye();
  // The conversation is out of step or the connection gone: close it.
  void fail_connection();

  std::shared_ptr<net::Connection> conn_;
  ClientOptions opts_;
  std::unique_ptr<detail::Wire> wire_;
  Capabilities caps_;
  net::TlsInfo tls_;
  std::string auth_mechanism_;
  bool helo_ = false;
  bool broken_ = false;     // out of step or closed: nothing more can be said
  bool need_rset_ = false;  // a transaction was begun and not completed
  bool quit_done_ = false;
  std::vector<std::string> notes_;
  size_t open_notes_ = 0;  // notes_[0, open_notes_) are open()'s
};

}  // namespace mail::smtp::client
