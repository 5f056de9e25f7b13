// SPDX-License-Identifier: Apache-2.0
// The POP3 session state machine (see session.h) on the shared session loop
// (libs/net session.h): the engine reads the lines, queues the replies and
// writes them when no further pipelined command is buffered (RFC 2449
// PIPELINING), counts errors, applies the idle timeout and drains on
// SIGTERM; this file supplies the command table, the start and end of a
// session and CAPA; the handlers are in session_auth.cpp and
// session_maildrop.cpp (the class: pop3_session.h).
//
// Trusts: nothing from the client (bounded lines, pure parser, range-checked
// message numbers); the backends' answers (the directory and the store);
// its own config. Diagnostics: logfmt lines "login", "logout",
// "authentication failed", and warnings for backend failures; passwords are
// never logged.
#include "session.h"

#include "pop3_session.h"

#include <optional>
#include <variant>
#include <vector>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/net/offload.h"
#include "mail/pop3/maildrop.h"
#include "mail/pop3/response.h"
#include "mail/sasl/sasl.h"

namespace mail::pop3d {

int SessionConfig::lease_ttl_seconds() const {
  auto idle = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  return static_cast<int>(idle + 120);
}

namespace detail {

constexpr uint32_t kAny =
    net::states({Session::State::kAuthorization, Session::State::kTransaction});
constexpr uint32_t kAuthorization =
    net::states({Session::State::kAuthorization});
constexpr uint32_t kTransaction = net::states({Session::State::kTransaction});
constexpr std::string_view kNotLoggedIn = "Not logged in";
constexpr std::string_view kLoggedIn = "Already logged in";

// One row per verb: where it is allowed, its handler, its refusal elsewhere.
// The parser of every verb is pop3::parse_command.
const net::CommandTable<Verb, Session::Row, 16> Session::kCommands = {{
    {Verb::kCapa, kAny, {&Session::on_capa, {}}},
    {Verb::kApop, kAny, {&Session::on_unsupported, {}}},
    {Verb::kUtf8, kAny, {&Session::on_unsupported, {}}},
    {Verb::kQuit, kAny, {&Session::on_quit, {}}},
    {Verb::kStls, kAuthorization, {&Session::on_stls, kLoggedIn}},
    {Verb::kUser, kAuthorization, {&Session::on_user, kLoggedIn}},
    {Verb::kPass, kAuthorization, {&Session::on_pass, kLoggedIn}},
    {Verb::kAuth, kAuthorization, {&Session::on_auth, kLoggedIn}},
    {Verb::kStat, kTransaction, {&Session::on_stat, kNotLoggedIn}},
    {Verb::kList, kTransaction, {&Session::on_list, kNotLoggedIn}},
    {Verb::kUidl, kTransaction, {&Session::on_uidl, kNotLoggedIn}},
    {Verb::kRetr, kTransaction, {&Session::on_retr, kNotLoggedIn}},
    {Verb::kTop, kTransaction, {&Session::on_retr, kNotLoggedIn}},
    {Verb::kDele, kTransaction, {&Session::on_dele, kNotLoggedIn}},
    {Verb::kRset, kTransaction, {&Session::on_rset, kNotLoggedIn}},
    {Verb::kNoop, kTransaction, {&Session::on_noop, kNotLoggedIn}},
}};

net::awaitable<void> Session::start() {
  d_.metrics->connection_opened(listener_);
  if (drain_requested()) {
    send(drain_goodbye());
    close_after_flush();
  } else {
    send(pop3::ok(cfg_.hostname + " POP3 ready"));
  }
  co_return;
}

net::awaitable<void> Session::finish() {
  if (lease_held_)
    co_await release(); // no QUIT: nothing is deleted
  if (state_ == State::kTransaction)
    log::info("logout", {{"user", user_},
                         {"session", id_},
                         {"retr", retrieved_},
                         {"dele", deleted_},
                         {"reason", end_reason_},
                         {"bytes_out", conn().bytes_written()}});
  d_.metrics->bytes_sent(static_cast<double>(conn().bytes_written()));
  double seconds =
      std::chrono::duration<double>(Clock::now() - started_).count();
  d_.metrics->connection_closed(listener_, seconds);
}

net::awaitable<void> Session::on_frame(std::string line) {
  auto parsed = pop3::parse_command(line, cfg_.limits);
  if (auto *e = std::get_if<pop3::Error>(&parsed)) {
    d_.metrics->command("invalid");
    client_error(pop3::err(*e));
    co_return;
  }
  const Command &cmd = std::get<Command>(parsed);
  d_.metrics->command(pop3::verb_name(cmd.verb));
  const auto *row = net::find_command(kCommands, cmd.verb);
  const bool anywhere = row->allowed == kAny && cmd.verb != Verb::kQuit;
  if (state_ == State::kTransaction && !anywhere) {
    bool held = co_await renew_if_due();
    if (!held) {
      send(pop3::err("Lost the mailbox lock; nothing was deleted",
                     pop3::kCodeInUse));
      close_with("lease_lost");
      co_return;
    }
  }
  if (!row->allowed_in(state_)) {
    client_error(pop3::err(row->handler.refused));
    co_return;
  }
  co_await (this->*(row->handler.handle))(cmd);
}

std::string Session::capa() const {
  pop3::CapaOptions o;
  o.user = plaintext_ok();
  if (plaintext_ok())
    for (auto name : sasl::mechanism_names())
      o.sasl.emplace_back(name);
  o.stls =
      d_.tls != nullptr && !conn().tls() && state_ == State::kAuthorization;
  o.implementation = cfg_.implementation;
  return pop3::capa_reply(o);
}

net::awaitable<void> Session::on_capa(const Command &) {
  send(capa());
  co_return;
}

net::awaitable<void> Session::on_unsupported(const Command &cmd) {
  client_error(
      pop3::err(std::string(pop3::verb_name(cmd.verb)) + " is not supported"));
  co_return;
}

// ---- AUTHORIZATION ----------------------------------------------------------

} // namespace detail

net::awaitable<void> run_session(const SessionDeps &deps, net::Connection &conn,
                                 std::string listener) {
  auto session =
      std::make_shared<detail::Session>(deps, conn, std::move(listener));
  co_await session->run();
}

} // namespace mail::pop3d
