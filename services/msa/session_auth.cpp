// SPDX-License-Identifier: Apache-2.0
// STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954) for the SMTP session;
// the mechanisms are libs/sasl's, and sasl_error_reply() maps its errors.
// Credentials go to the directory and nowhere else: never logged, never kept.
// AUTH is refused before TLS; failures are slowed down and counted per
// connection, and the connection ends after settings.max_auth_failures.
// Across connections, protocols and replicas the shared login throttle
// (directory::LoginThrottle, through net::offload) is asked before each
// password check: a refusal is answered 454 4.7.0 without asking the
// directory, a delay is waited on a timer; it is told each "yes" and "no"
// from the directory, never "unavailable".

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/directory/throttle_calls.h"
#include "mail/net/offload.h"
#include "mail/sasl/sasl.h"
#include "session.h"

namespace mail::msa {
namespace {

sasl::Limits sasl_limits(const smtp::Limits& limits) {
  sasl::Limits l;
  l.max_response = limits.max_auth_line;
  return l;
}

// The one place SASL errors become SMTP replies (RFC 4954 4, 6).
smtp::Reply sasl_error_reply(sasl::Error error) {
  switch (error) {
    case sasl::Error::kCancelled: return {501, "5.0.0", "Authentication cancelled"};
    case sasl::Error::kTooLong: return {500, "5.5.6", "Authentication exchange line is too long"};
    case sasl::Error::kBadBase64: return {501, "5.5.2", "Cannot decode response"};
    case sasl::Error::kNotInProgress: return {503, "5.5.1", "No authentication exchange in progress"};
    case sasl::Error::kMalformed:
    case sasl::Error::kNotUtf8:
    case sasl::Error::kFieldTooLong:
    case sasl::Error::kAuthzidMismatch: break;
  }
  return {501, "5.5.2", "Malformed authentication response"};
}

}  // namespace

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
  co_await pause(settings_.auth_failure_delay);
  reply(535, "5.7.8", "Authentication credentials invalid");
  if (auth_failures_ >= settings_.max_auth_failures && !closing()) {
    reply(421, "4.7.0", settings_.hostname + " Error: too many authentication failures");
    close_after_flush();
  }
}

net::awaitable<bool> Session::throttle_allows(const std::string& ip, const std::string& account) {
  const directory::Decision d = co_await directory::throttle_check(ctx_.throttle, ctx_.blocking, ip, account);
  if (d.refused) {
    ++auth_failures_;
    ctx_.metrics.auth("throttled");
    log::info("authentication refused by the login throttle",
              {{"session", session_id_}, {"client", ip}, {"retry_after_ms", static_cast<int64_t>(d.retry_after.count())}});
    // RFC 4954 6: 454 4.7.0 is a temporary failure, so clients keep the
    // password and retry later instead of asking the user for another one.
    reply(454, "4.7.0", "Too many failed login attempts, try again later");
    if (auth_failures_ >= settings_.max_auth_failures && !closing()) {
      reply(421, "4.7.0", settings_.hostname + " Error: too many authentication failures");
      close_after_flush();
    }
    co_return false;
  }
  co_await pause(d.delay);  // on the connection's executor: no I/O thread sleeps
  co_return true;
}

net::awaitable<void> Session::throttle_report(const std::string& ip, const std::string& account, bool ok) {
  co_await directory::throttle_report(ctx_.throttle, ctx_.blocking, ip, account, ok);
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

  auto mechanism = sasl::find_mechanism(cmd.mechanism);
  if (!mechanism) {
    ctx_.metrics.auth("malformed");
    reply(504, "5.5.4", "Unrecognized authentication type");
    co_return;
  }
  sasl::Exchange exchange(*mechanism, sasl_limits(settings_.limits));
  sasl::Step step = exchange.start(cmd.initial_response);
  while (auto* challenge = std::get_if<sasl::Challenge>(&step)) {
    send("334 " + challenge->base64 + "\r\n");
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
    step = exchange.respond(r.line);
    std::fill(r.line.begin(), r.line.end(), '\0');
  }
  if (auto* error = std::get_if<sasl::Error>(&step)) {
    // Acting for another identity (authzid) is not supported: a failed
    // login, counted as one. Anything else is a malformed exchange.
    if (*error == sasl::Error::kAuthzidMismatch) {
      co_await auth_failed("authzid differs from authcid");
      co_return;
    }
    ctx_.metrics.auth("malformed");
    reply(sasl_error_reply(*error));
    co_return;
  }

  sasl::Credentials& creds = std::get<sasl::Credentials>(step);
  const std::string ip = conn().peer_ip();
  // Before any password is checked: the shared throttle may refuse (no
  // directory call, so no Argon2) or ask for a delay.
  bool allowed = co_await throttle_allows(ip, creds.authcid);
  if (!allowed) {
    creds.wipe();
    co_return;
  }
  directory::AuthAnswer a = co_await net::offload(
      ctx_.blocking, [this, &creds, &ip] { return ctx_.directory.authenticate(creds.authcid, creds.password, ip); });
  creds.wipe();
  if (a.status != directory::AuthAnswer::Status::kUnavailable)
    co_await throttle_report(ip, creds.authcid, a.status == directory::AuthAnswer::Status::kOk);
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
