// SPDX-License-Identifier: Apache-2.0
// The POP3 AUTHORIZATION state (RFC 1939 §4, RFC 2595, RFC 5034): USER and
// PASS, AUTH PLAIN/LOGIN through libs/sasl, STLS, and the login itself
// (the shared login throttle, the directory, then the maildrop lease).
// Trusts: nothing from the client; passwords are wiped after use and never
// logged. Diagnostics: "login", "authentication failed", backend warnings.
#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/directory/throttle_calls.h"
#include "mail/net/offload.h"
#include "pop3_session.h"
#include "unique_id.h"

namespace mail::pop3d::detail {

net::awaitable<void> Session::on_user(const Command &cmd) {
  if (!plaintext_ok()) {
    client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));
    co_return;
  }
  pending_user_ = cmd.user;
  send(pop3::ok());
}

net::awaitable<void> Session::on_pass(const Command &cmd) {
  if (!plaintext_ok()) {
    client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));
    co_return;
  }
  if (pending_user_.empty()) {
    client_error(pop3::err("USER first"));
    co_return;
  }
  std::string user = std::move(pending_user_);
  pending_user_.clear();
  std::string password = cmd.password;
  co_await login(user, password);
}

net::awaitable<void> Session::on_stls(const Command &) {
  if (conn().tls()) {
    client_error(pop3::err("TLS is already active"));
    co_return;
  }
  if (d_.tls == nullptr) {
    client_error(pop3::err("STLS is not available"));
    co_return;
  }
  send(pop3::ok("Begin TLS negotiation"));
  bool sent = co_await flush();
  if (!sent)
    co_return;
  // start_tls() drops anything the client pipelined after STLS.
  bool secured = co_await conn().start_tls(*d_.tls);
  if (!secured) {
    discard_output();
    close_with("tls_failed");
    co_return;
  }
  pending_user_.clear(); // AUTHORIZATION starts over inside TLS
}

net::awaitable<void> Session::on_auth(const Command &cmd) {
  if (cmd.mechanism
          .empty()) { // bare AUTH: list the mechanisms (as clients probe)
    send(pop3::ok("Mechanisms follow"));
    if (plaintext_ok())
      for (auto name : sasl::mechanism_names())
        send(std::string(name) + "\r\n");
    send(".\r\n");
    co_return;
  }
  // Every libs/sasl mechanism is announced (CAPA, bare AUTH) and accepted.
  auto mechanism = sasl::find_mechanism(cmd.mechanism);
  if (!mechanism) {
    client_error(pop3::err("Unsupported authentication mechanism"));
    co_return;
  }
  if (!plaintext_ok()) {
    client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));
    co_return;
  }

  sasl::Limits limits;
  limits.max_response = options().max_line;
  sasl::Exchange exchange(*mechanism, limits);
  sasl::Step step = exchange.start(cmd.initial_response);
  while (auto *challenge = std::get_if<sasl::Challenge>(&step)) {
    send(pop3::sasl_challenge(challenge->base64));
    bool sent = co_await flush();
    if (!sent) {
      close_after_flush();
      co_return;
    }
    net::ReadResult r = co_await conn().read_line(options().max_line);
    if (r.status == net::Status::too_long) {
      client_error(pop3::err("line too long"));
      co_return;
    }
    if (!r.ok()) {
      end_reason_ = net::to_string(r.status);
      close_after_flush();
      co_return;
    }
    step = exchange.respond(r.line);
    wipe(r.line);
  }
  if (auto *error = std::get_if<sasl::Error>(&step)) {
    // No proxy authorization: acting as another user is a failed login.
    if (*error == sasl::Error::kAuthzidMismatch) {
      co_await auth_failed("");
      co_return;
    }
    client_error(pop3::err(sasl_error_text(*error, *mechanism)));
    co_return;
  }
  auto &creds = std::get<sasl::Credentials>(step);
  co_await login(creds.authcid, creds.password);
  creds.wipe();
}

net::awaitable<bool> Session::throttle_allows(const std::string &ip,
                                              const std::string &user) {
  const directory::Decision d =
      co_await directory::throttle_check(d_.throttle, *d_.blocking, ip, user);
  if (d.refused) {
    ++auth_failures_;
    d_.metrics->auth("throttled");
    log::info(
        "authentication refused by the login throttle",
        {{"user", user},
         {"ip", ip},
         {"session", id_},
         {"retry_after_ms", static_cast<int64_t>(d.retry_after.count())}});
    // [SYS/TEMP], not [AUTH] (RFC 3206): the block is temporary and says
    // nothing about the password, which may well be right; [AUTH] would
    // make clients drop the saved password and ask the user for another.
    send(pop3::err("Too many failed login attempts, try again later",
                   pop3::kCodeSysTemp));
    if (auth_failures_ >= cfg_.max_auth_failures)
      close_with("auth_failures");
    co_return false;
  }
  co_await pause(d.delay); // on the connection's executor: no I/O thread sleeps
  co_return true;
}

net::awaitable<void> Session::throttle_report(const std::string &ip,
                                              const std::string &user,
                                              bool ok) {
  co_await directory::throttle_report(d_.throttle, *d_.blocking, ip, user, ok);
}

net::awaitable<void> Session::login(const std::string &user,
                                    std::string &password) {
  const std::string ip = conn().peer_ip();
  // Before any password is checked: the shared throttle may refuse (no
  // directory call, so no Argon2) or ask for a delay.
  bool allowed = co_await throttle_allows(ip, user);
  if (!allowed) {
    wipe(password);
    co_return;
  }
  AuthAnswer res;
  OpenResult opened;
  holder_ = "pop3:" + cfg_.hostname + ":" + id_;
  const int ttl = cfg_.lease_ttl_seconds();
  // A cached login may name an account deleted since (and perhaps created
  // again under a new id): the store says so, the cache forgets it, and the
  // directory is asked once more.
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The directory client never throws: a failed call is kUnavailable.
    res = co_await net::offload(*d_.blocking, [&] {
      return d_.auth->authenticate(user, password, ip);
    });
    if (res.status == AuthAnswer::Status::kUnavailable) {
      wipe(password);
      d_.metrics->auth("unavailable");
      send(pop3::err(
          "Authentication is temporarily unavailable, try again later",
          pop3::kCodeSysTemp));
      co_return;
    }
    if (res.status == AuthAnswer::Status::kDenied) {
      wipe(password);
      co_await throttle_report(ip, user, false);
      co_await auth_failed(user);
      co_return;
    }
    // The password was right: the throttle hears it once, whatever the
    // store says next (a retry after a stale cached login asks again).
    if (attempt == 0)
      co_await throttle_report(ip, user, true);

    // Authenticated: take the maildrop lease and read the snapshot together.
    auto open = co_await net::offload(*d_.blocking, [&] {
      return d_.store->open(res.account_id, holder_, ttl);
    });
    bool failed = !open.ok();
    if (failed)
      log::warn("maildrop open failed", {{"session", id_},
                                         {"account", res.account_id},
                                         {"error", open.error().message}});
    else
      opened = std::move(*open);
    if (!failed && opened.gone) {
      log::info(
          "cached login named a deleted account; asking the directory again",
          {{"session", id_}, {"account", res.account_id}});
      d_.auth->forget_account(res.account_id);
      failed = attempt == 1;
      if (!failed)
        continue;
    }
    if (failed) {
      wipe(password);
      d_.metrics->auth("error");
      send(pop3::err("Mailbox is temporarily unavailable, try again later",
                     pop3::kCodeSysTemp));
      co_return;
    }
    break;
  }
  wipe(password);
  if (!opened.locked) {
    d_.metrics->auth("in_use");
    log::info("maildrop in use",
              {{"user", user}, {"ip", ip}, {"session", id_}});
    send(pop3::err("Mailbox is locked by another session", pop3::kCodeInUse));
    co_return;
  }

  lease_held_ = true;
  last_renew_ = Clock::now();
  account_id_ = res.account_id;
  user_ = res.address.empty() ? user : res.address;
  mailbox_id_ = opened.maildrop.mailbox_id;
  entries_ = std::move(opened.maildrop.messages);
  std::vector<pop3::MessageInfo> infos;
  infos.reserve(entries_.size());
  for (const auto &e : entries_)
    infos.push_back({unique_id(opened.maildrop.uidvalidity, e.uid), e.size});
  drop_.emplace(std::move(infos));
  state_ = State::kTransaction;
  pending_user_.clear();

  d_.metrics->auth("success");
  pop3::Stat st = drop_->stat();
  log::info("login", {{"user", user_},
                      {"ip", ip},
                      {"tls", conn().tls() ? "yes" : "no"},
                      {"listener", listener_},
                      {"session", id_},
                      {"messages", st.count}});
  send(pop3::ok("Logged in, " + std::to_string(st.count) + " messages (" +
                std::to_string(st.octets) + " octets)"));
  co_return;
}

net::awaitable<void> Session::auth_failed(const std::string &user) {
  ++auth_failures_;
  d_.metrics->auth("failure");
  log::info("authentication failed", {{"user", user},
                                      {"ip", conn().peer_ip()},
                                      {"session", id_},
                                      {"failures", auth_failures_}});
  // Slow down guessing; the directory keeps the real lockout counters.
  co_await pause(cfg_.auth_failure_delay);
  send(pop3::err("Authentication failed", pop3::kCodeAuth));
  if (auth_failures_ >= cfg_.max_auth_failures) {
    close_with("auth_failures");
    co_return;
  }
  co_return;
}

// ---- TRANSACTION
// -------------------------------------------------------------

} // namespace mail::pop3d::detail
