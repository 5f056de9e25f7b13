// SPDX-License-Identifier: Apache-2.0
// The not-authenticated state of the IMAP session (RFC 3501 §6.2): STARTTLS
// (RFC 3501 §6.2.1, RFC 2595), LOGIN, AUTHENTICATE PLAIN/LOGIN through
// libs/sasl with SASL-IR (RFC 4959), and the login itself: the shared
// failed-login throttle first (a refusal reaches no directory, so costs no
// Argon2), then the directory. LOGIN and AUTHENTICATE are refused before
// TLS unless imap.allow_plaintext_auth ([PRIVACYREQUIRED], RFC 5530).
// Trusts: nothing from the client; passwords are wiped after use and never
// logged. Diagnostics: "login", "authentication failed", backend warnings.
#include "imap_session.h"
#include "mail/common/log.h"
#include "mail/directory/throttle_calls.h"
#include "mail/imap/response.h"
#include "mail/net/offload.h"
#include "mail/sasl/sasl.h"

namespace mail::imapd::detail {

namespace {

constexpr std::string_view kPlaintextRefused = "Plaintext authentication is disallowed without TLS, use STARTTLS first";

void wipe(std::string& secret) {
  secret.assign(secret.size(), '\0');
  secret.clear();
}

}  // namespace

net::awaitable<void> Session::on_starttls(const imap::Command& cmd) {
  if (conn().tls()) {
    reply(imap::bad(cmd.tag, "TLS is already active"), "BAD", true);
    co_return;
  }
  if (d_.tls == nullptr) {
    reply(imap::no(cmd.tag, "STARTTLS is not available"), "NO");
    co_return;
  }
  reply(imap::ok(cmd.tag, "Begin TLS negotiation now"), "OK");
  const bool sent = co_await flush();
  if (!sent) co_return;
  // start_tls() drops whatever the client pipelined after STARTTLS (RFC
  // 3501 §6.2.1: the client must wait; anything before the handshake is not
  // to be trusted, CVE-2011-0411's lesson).
  const bool secured = co_await conn().start_tls(*d_.tls);
  if (!secured) {
    discard_output();
    close_with("tls_failed");
  }
}

net::awaitable<void> Session::on_login(const imap::Command& cmd) {
  const auto& login_cmd = std::get<imap::Login>(cmd.body);
  std::string password = login_cmd.password;
  if (!plaintext_ok()) {
    wipe(password);
    reply(imap::no(cmd.tag, kPlaintextRefused, imap::code::privacyrequired()), "NO", true);
    co_return;
  }
  co_await login(cmd.tag, login_cmd.user, password);
}

net::awaitable<void> Session::on_authenticate(const imap::Command& cmd) {
  const auto& a = std::get<imap::Authenticate>(cmd.body);
  auto mechanism = sasl::find_mechanism(a.mechanism);
  if (!mechanism) {
    reply(imap::no(cmd.tag, "Unsupported authentication mechanism", imap::code::cannot()), "NO", true);
    co_return;
  }
  if (!plaintext_ok()) {
    reply(imap::no(cmd.tag, kPlaintextRefused, imap::code::privacyrequired()), "NO", true);
    co_return;
  }
  sasl::Limits limits;
  limits.max_response = cfg_.limits.max_line;
  sasl::Exchange exchange(*mechanism, limits);
  std::optional<std::string_view> initial;
  if (a.initial_response) initial = *a.initial_response;
  sasl::Step step = exchange.start(initial);
  while (auto* challenge = std::get_if<sasl::Challenge>(&step)) {
    send(imap::sasl_challenge(challenge->base64));
    net::ReadResult r = co_await read_line(cfg_.limits.max_line);  // flushes first
    if (r.status == net::Status::too_long) {
      reply(imap::bad(cmd.tag, "Authentication response too long"), "BAD", true);
      co_return;
    }
    if (!r.ok()) co_return;  // the engine closes (with the timeout goodbye if it was one)
    step = exchange.respond(r.line);
    wipe(r.line);
  }
  if (auto* error = std::get_if<sasl::Error>(&step)) {
    if (*error == sasl::Error::kCancelled) {
      reply(imap::bad(cmd.tag, "Authentication cancelled"), "BAD");
      co_return;
    }
    if (*error == sasl::Error::kAuthzidMismatch) {  // no proxy authorization
      co_await auth_failed(cmd.tag, "");
      co_return;
    }
    reply(imap::bad(cmd.tag, "Malformed authentication response"), "BAD", true);
    co_return;
  }
  auto& creds = std::get<sasl::Credentials>(step);
  co_await login(cmd.tag, creds.authcid, creds.password);
  creds.wipe();
}

net::awaitable<void> Session::login(const std::string& tag, const std::string& user, std::string& password) {
  const std::string ip = conn().peer_ip();
  const directory::Decision decision = co_await directory::throttle_check(d_.throttle, *d_.blocking, ip, user);
  if (decision.refused) {
    wipe(password);
    ++auth_failures_;
    d_.metrics->auth("throttled");
    log::info("authentication refused by the login throttle",
              {{"user", user}, {"ip", ip}, {"session", id_},
               {"retry_after_ms", static_cast<int64_t>(decision.retry_after.count())}});
    // [UNAVAILABLE], not [AUTHENTICATIONFAILED]: the password may be right,
    // and clients keep it for the next try.
    reply(imap::no(tag, "Too many failed login attempts, try again later", imap::code::unavailable()), "NO");
    if (auth_failures_ >= cfg_.max_auth_failures) close_with("auth_failures");
    co_return;
  }
  co_await pause(decision.delay);
  // The directory client never throws: a failed call is kUnavailable.
  const directory::AuthAnswer res =
      co_await net::offload(*d_.blocking, [&] { return d_.auth->authenticate(user, password, ip); });
  wipe(password);
  if (res.status == directory::AuthAnswer::Status::kUnavailable) {
    d_.metrics->auth("unavailable");
    reply(imap::no(tag, "Authentication is temporarily unavailable, try again later", imap::code::unavailable()),
          "NO");
    co_return;
  }
  const bool ok = res.status == directory::AuthAnswer::Status::kOk;
  co_await directory::throttle_report(d_.throttle, *d_.blocking, ip, user, ok);
  if (!ok) {
    co_await auth_failed(tag, user);
    co_return;
  }
  // Dovecot's mail_max_userip_connections: the password was right, but this
  // account already has its share of sessions from this address.
  if (d_.userip && !d_.userip->acquire(res.account_id, ip)) {
    d_.metrics->auth("userip_limit");
    log::info("login refused: too many sessions of the account from this address",
              {{"user", user}, {"ip", ip}, {"session", id_}, {"max", d_.userip->max()}});
    reply(imap::no(tag, "Maximum number of connections from user+IP exceeded", imap::code::limit()), "NO");
    co_return;
  }
  userip_held_ = d_.userip != nullptr;
  // The default mailboxes exist from the first login on (or the first
  // delivery, whichever comes first).
  const int64_t account = res.account_id;
  auto opened = co_await net::offload(*d_.blocking, [&] { return d_.store->open_account(account); });
  if (!opened.ok()) {
    if (userip_held_) d_.userip->release(res.account_id, ip);
    userip_held_ = false;
    d_.metrics->auth("error");
    log::warn("mailbox store unavailable at login", {{"session", id_}, {"error", opened.error().message}});
    reply(imap::no(tag, "Mailboxes are temporarily unavailable, try again later", imap::code::unavailable()), "NO");
    co_return;
  }
  state_ = State::kAuthenticated;
  account_id_ = res.account_id;
  user_ = res.address.empty() ? user : res.address;
  set_idle_timeout(cfg_.idle_timeout);
  d_.metrics->auth("success");
  log::info("login", {{"user", user_},
                      {"ip", ip},
                      {"tls", conn().tls() ? "yes" : "no"},
                      {"listener", listener_},
                      {"session", id_}});
  reply(imap::ok(tag, "Logged in", imap::code::capability(capabilities())), "OK");
}

net::awaitable<void> Session::auth_failed(const std::string& tag, const std::string& user) {
  ++auth_failures_;
  d_.metrics->auth("failure");
  log::info("authentication failed",
            {{"user", user}, {"ip", conn().peer_ip()}, {"session", id_}, {"failures", auth_failures_}});
  co_await pause(cfg_.auth_failure_delay);  // slows guessing; the throttle keeps the counts
  reply(imap::no(tag, "Authentication failed", imap::code::authenticationfailed()), "NO");
  if (auth_failures_ >= cfg_.max_auth_failures) {
    d_.metrics->reply("BYE");
    send(imap::bye("Too many authentication failures"));
    close_with("auth_failures");
  }
}

}  // namespace mail::imapd::detail
