// SPDX-License-Identifier: Apache-2.0
// STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954) for the SMTP session.
// Credentials go to the directory and nowhere else: never logged, never kept.
// AUTH is refused before TLS; failures are slowed down and counted per
// connection, and the connection ends after settings.max_auth_failures.
#include <boost/asio/steady_timer.hpp>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/net/offload.h"
#include "mail/smtp/auth.h"
#include "session.h"

namespace mail::msa {

net::awaitable<void> Session::do_starttls(const smtp::Command&) {
  if (conn().tls()) {
    reply(503, "5.5.1", "Error: TLS already active");
    co_return;
  }
  if (!ctx_.tls) {
    reply(454, "4.7.0", "TLS not available");
    co_return;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  bool sent = co_await flush();
  if (!sent) co_return;
  // start_tls discards whatever the client pipelined after STARTTLS: it must
  // not be executed as if it had come through the encrypted channel.
  bool secured = co_await conn().start_tls(*ctx_.tls);
  if (!secured) {
    log::debug("starttls handshake failed", {{"session", session_id_}, {"client", conn().peer_ip()}});
    discard_output();
    close_after_flush();
    co_return;
  }
  // RFC 3207 4.2: forget everything learnt from the client before TLS.
  reset_transaction();
  greeted_ = false;
  ehlo_ = false;
  helo_.clear();
}

net::awaitable<void> Session::auth_failed(const char* why) {
  ++auth_failures_;
  ctx_.metrics.auth("failure");
  log::info("authentication failed",
            {{"session", session_id_}, {"client", conn().peer_ip()}, {"reason", why}, {"failures", auth_failures_}});
  if (settings_.auth_failure_delay.count() > 0) {
    net::asio::steady_timer timer(conn().get_executor());
    timer.expires_after(settings_.auth_failure_delay);
    boost::system::error_code ec;
    co_await timer.async_wait(net::asio::redirect_error(net::use_awaitable, ec));
  }
  reply(535, "5.7.8", "Authentication credentials invalid");
  if (auth_failures_ >= settings_.max_auth_failures && !closing()) {
    reply(421, "4.7.0", settings_.hostname + " Error: too many authentication failures");
    close_after_flush();
  }
}

net::awaitable<void> Session::do_auth(const smtp::Command& cmd) {
  if (!conn().tls()) {
    reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    co_return;
  }
  if (authenticated_) {
    reply(503, "5.5.1", "Error: already authenticated");
    co_return;
  }
  if (txn_.active) {
    reply(503, "5.5.1", "Error: AUTH not permitted during a mail transaction");
    co_return;
  }

  smtp::SaslExchange exchange(settings_.limits);
  smtp::SaslStep step = exchange.start(smtp::AuthRequest{cmd.mechanism, cmd.initial_response});
  while (step.kind == smtp::SaslStep::kChallenge) {
    send(step.reply);
    ctx_.metrics.reply(334);
    // The response line may be long (RFC 4954 4: 12288 octets at least).
    // The engine flushes the challenge first; on a timeout it queues the
    // goodbye, on a lost connection it ends the session.
    net::ReadResult r = co_await read_line(settings_.limits.max_auth_line);
    if (r.status == net::Status::too_long) {
      ctx_.metrics.auth("malformed");
      reply(500, "5.5.6", "Authentication exchange line is too long");
      co_return;
    }
    if (!r.ok()) co_return;
    step = exchange.step(r.line);
  }
  if (step.kind == smtp::SaslStep::kFailed) {
    // Malformed exchange, cancellation or unknown mechanism: the parser's reply.
    ctx_.metrics.auth("malformed");
    int code = std::stoi(step.reply.substr(0, 3));
    reply_wire(code, std::move(step.reply));
    co_return;
  }

  smtp::Credentials& creds = step.credentials;
  // Acting for another identity (authzid) is not supported; the same name is.
  if (!creds.authzid.empty() && common::normalize_address(creds.authzid) != common::normalize_address(creds.authcid)) {
    co_await auth_failed("authzid differs from authcid");
    co_return;
  }

  std::string ip = conn().peer_ip();
  directory::AuthAnswer a = co_await net::offload(
      ctx_.blocking, [this, &creds, &ip] { return ctx_.directory.authenticate(creds.authcid, creds.password, ip); });
  std::fill(creds.password.begin(), creds.password.end(), '\0');
  switch (a.status) {
    case directory::AuthAnswer::Status::kOk:
      authenticated_ = true;
      auth_user_ = a.address;
      account_id_ = a.account_id;
      sender_addresses_.reset();
      ctx_.metrics.auth("success");
      log::info("authenticated", {{"session", session_id_}, {"client", conn().peer_ip()}, {"auth_user", auth_user_}});
      reply(235, "2.7.0", "Authentication successful");
      break;
    case directory::AuthAnswer::Status::kDenied: co_await auth_failed("invalid credentials"); break;
    case directory::AuthAnswer::Status::kUnavailable:
      ctx_.metrics.auth("unavailable");
      reply(454, "4.7.0", "Temporary authentication failure");
      break;
  }
}

}  // namespace mail::msa
