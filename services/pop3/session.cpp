// SPDX-License-Identifier: Apache-2.0
// The POP3 session state machine (see session.h) on the shared session loop
// (libs/net session.h): the engine reads the lines, queues the replies and
// writes them when no further pipelined command is buffered (RFC 2449
// PIPELINING), counts errors, applies the idle timeout and drains on
// SIGTERM; this file supplies the command table and the handlers.
//
// Trusts: nothing from the client (bounded lines, pure parser, range-checked
// message numbers); the backends' answers (the directory and the store);
// its own config. Diagnostics: logfmt lines "login", "logout",
// "authentication failed", and warnings for backend failures; passwords are
// never logged.
#include "session.h"

#include <optional>
#include <variant>
#include <vector>

#include "mail/directory/throttle_calls.h"
#include "unique_id.h"
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

namespace {

using pop3::Command;
using pop3::Verb;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kPlaintextRefused = "Plaintext authentication is not allowed without TLS, use STLS first";

// The one place SASL errors become POP3 replies (RFC 5034 4).
std::string sasl_error_text(sasl::Error error, sasl::Mechanism mechanism) {
  switch (error) {
    case sasl::Error::kCancelled: return "Authentication cancelled";
    case sasl::Error::kTooLong: return "line too long";
    default: return "Malformed AUTH " + std::string(sasl::mechanism_name(mechanism)) + " response";
  }
}

void wipe(std::string& secret) {
  secret.assign(secret.size(), '\0');
  secret.clear();
}

class Session : public net::Session {
 public:
  Session(const SessionDeps& deps, net::Connection& conn, std::string listener)
      : net::Session(conn, *deps.registry, engine_options(*deps.config)),
        d_(deps),
        cfg_(*deps.config),
        listener_(std::move(listener)),
        id_(common::random_hex(8)),
        started_(Clock::now()) {}

  enum class State { kAuthorization, kTransaction };

 protected:
  net::awaitable<void> start() override;
  net::awaitable<void> on_frame(std::string line) override;
  void on_line_too_long() override {
    d_.metrics->command("invalid");
    client_error(pop3::err("line too long"));
  }
  std::string idle_goodbye() override {
    end_reason_ = "timeout";
    return pop3::err("Disconnected for inactivity");
  }
  std::string drain_goodbye() override {
    end_reason_ = "shutdown";
    return pop3::err("Server shutting down, nothing was deleted", pop3::kCodeSysTemp);
  }
  std::string errors_goodbye(std::string) override {
    end_reason_ = "too_many_errors";
    return pop3::err("Too many errors, closing connection");
  }
  void on_disconnect(net::Status st) override { end_reason_ = net::to_string(st); }
  net::awaitable<void> finish() override;

 private:
  static net::SessionOptions engine_options(const SessionConfig& c) {
    net::SessionOptions o;
    o.max_line = c.limits.max_auth_line > 3 ? c.limits.max_auth_line - 2 : 1;
    o.max_errors = c.max_errors;
    o.idle_timeout = c.timeout;
    o.command_timeout = c.timeout;
    return o;
  }

  using Handler = net::awaitable<void> (Session::*)(const Command&);
  struct Row {
    Handler handle;
    std::string_view refused;  ///< the -ERR text in a state the verb is not allowed in
  };
  static const net::CommandTable<Verb, Row, 16> kCommands;

  net::awaitable<void> on_capa(const Command&);
  net::awaitable<void> on_unsupported(const Command& cmd);
  net::awaitable<void> on_user(const Command& cmd);
  net::awaitable<void> on_pass(const Command& cmd);
  net::awaitable<void> on_auth(const Command& cmd);
  net::awaitable<void> on_stls(const Command&);
  net::awaitable<void> on_stat(const Command&);
  net::awaitable<void> on_list(const Command& cmd);
  net::awaitable<void> on_uidl(const Command& cmd);
  net::awaitable<void> on_retr(const Command& cmd);
  net::awaitable<void> on_dele(const Command& cmd);
  net::awaitable<void> on_rset(const Command&);
  net::awaitable<void> on_noop(const Command&);
  net::awaitable<void> on_quit(const Command&);

  net::awaitable<void> login(const std::string& user, std::string& password);
  /// The login throttle's word before the password is checked: false when
  /// it refused (the reply is queued); a delay is waited here.
  net::awaitable<bool> throttle_allows(const std::string& ip, const std::string& user);
  /// Tells the throttle how the directory answered (not for "unavailable").
  net::awaitable<void> throttle_report(const std::string& ip, const std::string& user, bool ok);
  net::awaitable<void> auth_failed(const std::string& user);
  net::awaitable<void> retrieve(size_t number, std::optional<size_t> top_lines);
  net::awaitable<void> stream(store::MaildropEntry entry, std::optional<size_t> top_lines);
  net::awaitable<bool> renew_if_due();
  net::awaitable<void> release();

  void client_error(std::string reply) { send_error(std::move(reply)); }
  void close_with(std::string reason) {
    end_reason_ = std::move(reason);
    close_after_flush();
  }
  bool plaintext_ok() const { return conn().tls() || cfg_.allow_plaintext_auth; }
  std::string capa() const;

  SessionDeps d_;
  const SessionConfig& cfg_;
  std::string listener_;
  std::string id_;  // for logs and the lease holder
  Clock::time_point started_;

  State state_ = State::kAuthorization;
  size_t auth_failures_ = 0;
  std::string pending_user_;  // USER given, PASS awaited
  std::string end_reason_ = "eof";

  // TRANSACTION state.
  std::string user_;
  int64_t account_id_ = 0;
  std::string holder_;
  bool lease_held_ = false;
  bool lease_lost_ = false;
  Clock::time_point last_renew_;
  int64_t mailbox_id_ = 0;
  std::vector<store::MaildropEntry> entries_;
  std::optional<pop3::Maildrop> drop_;
  size_t retrieved_ = 0;
  int deleted_ = 0;
};

constexpr uint32_t kAny = net::states({Session::State::kAuthorization, Session::State::kTransaction});
constexpr uint32_t kAuthorization = net::states({Session::State::kAuthorization});
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
  if (lease_held_) co_await release();  // no QUIT: nothing is deleted
  if (state_ == State::kTransaction)
    log::info("logout", {{"user", user_},
                         {"session", id_},
                         {"retr", retrieved_},
                         {"dele", deleted_},
                         {"reason", end_reason_},
                         {"bytes_out", conn().bytes_written()}});
  d_.metrics->bytes_sent(static_cast<double>(conn().bytes_written()));
  double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  d_.metrics->connection_closed(listener_, seconds);
}

net::awaitable<void> Session::on_frame(std::string line) {
  auto parsed = pop3::parse_command(line, cfg_.limits);
  if (auto* e = std::get_if<pop3::Error>(&parsed)) {
    d_.metrics->command("invalid");
    client_error(pop3::err(*e));
    co_return;
  }
  const Command& cmd = std::get<Command>(parsed);
  d_.metrics->command(pop3::verb_name(cmd.verb));
  const auto* row = net::find_command(kCommands, cmd.verb);
  const bool anywhere = row->allowed == kAny && cmd.verb != Verb::kQuit;
  if (state_ == State::kTransaction && !anywhere) {
    bool held = co_await renew_if_due();
    if (!held) {
      send(pop3::err("Lost the mailbox lock; nothing was deleted", pop3::kCodeInUse));
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
  if (plaintext_ok()) o.sasl = {"PLAIN"};
  o.stls = d_.tls != nullptr && !conn().tls() && state_ == State::kAuthorization;
  o.implementation = cfg_.implementation;
  return pop3::capa_reply(o);
}

net::awaitable<void> Session::on_capa(const Command&) {
  send(capa());
  co_return;
}

net::awaitable<void> Session::on_unsupported(const Command& cmd) {
  client_error(pop3::err(std::string(pop3::verb_name(cmd.verb)) + " is not supported"));
  co_return;
}

// ---- AUTHORIZATION ----------------------------------------------------------

net::awaitable<void> Session::on_user(const Command& cmd) {
  if (!plaintext_ok()) {
    client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));
    co_return;
  }
  pending_user_ = cmd.user;
  send(pop3::ok());
}

net::awaitable<void> Session::on_pass(const Command& cmd) {
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

net::awaitable<void> Session::on_stls(const Command&) {
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
  if (!sent) co_return;
  // start_tls() drops anything the client pipelined after STLS.
  bool secured = co_await conn().start_tls(*d_.tls);
  if (!secured) {
    discard_output();
    close_with("tls_failed");
    co_return;
  }
  pending_user_.clear();  // AUTHORIZATION starts over inside TLS
}

net::awaitable<void> Session::on_auth(const Command& cmd) {
  if (cmd.mechanism.empty()) {  // bare AUTH: list the mechanisms (as clients probe)
    send(pop3::ok("Mechanisms follow"));
    if (plaintext_ok()) send("PLAIN\r\n");
    send(".\r\n");
    co_return;
  }
  // PLAIN is announced; LOGIN is accepted too, for the clients that try it
  // unannounced (both are libs/sasl's).
  auto mechanism = sasl::find_mechanism(cmd.mechanism);
  if (!mechanism) { client_error(pop3::err("Unsupported authentication mechanism")); co_return; }
  if (!plaintext_ok()) { client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth)); co_return; }

  sasl::Limits limits;
  limits.max_response = options().max_line;
  sasl::Exchange exchange(*mechanism, limits);
  sasl::Step step = exchange.start(cmd.initial_response);
  while (auto* challenge = std::get_if<sasl::Challenge>(&step)) {
    send(pop3::sasl_challenge(challenge->base64));
    bool sent = co_await flush();
    if (!sent) { close_after_flush(); co_return; }
    net::ReadResult r = co_await conn().read_line(options().max_line);
    if (r.status == net::Status::too_long) { client_error(pop3::err("line too long")); co_return; }
    if (!r.ok()) {
      end_reason_ = net::to_string(r.status);
      close_after_flush();
      co_return;
    }
    step = exchange.respond(r.line);
    wipe(r.line);
  }
  if (auto* error = std::get_if<sasl::Error>(&step)) {
    // No proxy authorization: acting as another user is a failed login.
    if (*error == sasl::Error::kAuthzidMismatch) {
      co_await auth_failed("");
      co_return;
    }
    client_error(pop3::err(sasl_error_text(*error, *mechanism)));
    co_return;
  }
  auto& creds = std::get<sasl::Credentials>(step);
  co_await login(creds.authcid, creds.password);
  creds.wipe();
}

net::awaitable<bool> Session::throttle_allows(const std::string& ip, const std::string& user) {
  const directory::Decision d = co_await directory::throttle_check(d_.throttle, *d_.blocking, ip, user);
  if (d.refused) {
    ++auth_failures_;
    d_.metrics->auth("throttled");
    log::info("authentication refused by the login throttle",
              {{"user", user}, {"ip", ip}, {"session", id_}, {"retry_after_ms", static_cast<int64_t>(d.retry_after.count())}});
    // [SYS/TEMP], not [AUTH] (RFC 3206): the block is temporary and says
    // nothing about the password, which may well be right; [AUTH] would
    // make clients drop the saved password and ask the user for another.
    send(pop3::err("Too many failed login attempts, try again later", pop3::kCodeSysTemp));
    if (auth_failures_ >= cfg_.max_auth_failures) close_with("auth_failures");
    co_return false;
  }
  co_await pause(d.delay);  // on the connection's executor: no I/O thread sleeps
  co_return true;
}

net::awaitable<void> Session::throttle_report(const std::string& ip, const std::string& user, bool ok) {
  co_await directory::throttle_report(d_.throttle, *d_.blocking, ip, user, ok);
}

net::awaitable<void> Session::login(const std::string& user, std::string& password) {
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
    res = co_await net::offload(*d_.blocking, [&] { return d_.auth->authenticate(user, password, ip); });
    if (res.status == AuthAnswer::Status::kUnavailable) {
      wipe(password);
      d_.metrics->auth("unavailable");
      send(pop3::err("Authentication is temporarily unavailable, try again later", pop3::kCodeSysTemp));
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
    if (attempt == 0) co_await throttle_report(ip, user, true);

    // Authenticated: take the maildrop lease and read the snapshot together.
    auto open = co_await net::offload(*d_.blocking, [&] { return d_.store->open(res.account_id, holder_, ttl); });
    bool failed = !open.ok();
    if (failed)
      log::warn("maildrop open failed",
                {{"session", id_}, {"account", res.account_id}, {"error", open.error().message}});
    else
      opened = std::move(*open);
    if (!failed && opened.gone) {
      log::info("cached login named a deleted account; asking the directory again",
                {{"session", id_}, {"account", res.account_id}});
      d_.auth->forget_account(res.account_id);
      failed = attempt == 1;
      if (!failed) continue;
    }
    if (failed) {
      wipe(password);
      d_.metrics->auth("error");
      send(pop3::err("Mailbox is temporarily unavailable, try again later", pop3::kCodeSysTemp));
      co_return;
    }
    break;
  }
  wipe(password);
  if (!opened.locked) {
    d_.metrics->auth("in_use");
    log::info("maildrop in use", {{"user", user}, {"ip", ip}, {"session", id_}});
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
  for (const auto& e : entries_) infos.push_back({unique_id(opened.maildrop.uidvalidity, e.uid), e.size});
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
  send(pop3::ok("Logged in, " + std::to_string(st.count) + " messages (" + std::to_string(st.octets) + " octets)"));
  co_return;
}

net::awaitable<void> Session::auth_failed(const std::string& user) {
  ++auth_failures_;
  d_.metrics->auth("failure");
  log::info("authentication failed",
            {{"user", user}, {"ip", conn().peer_ip()}, {"session", id_}, {"failures", auth_failures_}});
  // Slow down guessing; the directory keeps the real lockout counters.
  co_await pause(cfg_.auth_failure_delay);
  send(pop3::err("Authentication failed", pop3::kCodeAuth));
  if (auth_failures_ >= cfg_.max_auth_failures) {
    close_with("auth_failures");
    co_return;
  }
  co_return;
}

// ---- TRANSACTION -------------------------------------------------------------

net::awaitable<void> Session::on_stat(const Command&) {
  send(pop3::stat_reply(drop_->stat()));
  co_return;
}

net::awaitable<void> Session::on_list(const Command& cmd) {
  if (!cmd.msg) {
    send(pop3::list_all_reply(drop_->list()));
    co_return;
  }
  auto r = drop_->list(*cmd.msg);
  if (auto* e = std::get_if<pop3::Error>(&r))
    client_error(pop3::err(*e));
  else
    send(pop3::list_reply(std::get<pop3::ListEntry>(r)));
}

net::awaitable<void> Session::on_uidl(const Command& cmd) {
  if (!cmd.msg) {
    send(pop3::uidl_all_reply(drop_->uidl()));
    co_return;
  }
  auto r = drop_->uidl(*cmd.msg);
  if (auto* e = std::get_if<pop3::Error>(&r))
    client_error(pop3::err(*e));
  else
    send(pop3::uidl_reply(std::get<pop3::UidlEntry>(r)));
}

net::awaitable<void> Session::on_retr(const Command& cmd) {
  co_await retrieve(*cmd.msg, cmd.verb == Verb::kTop ? std::optional<size_t>(cmd.lines) : std::nullopt);
}

net::awaitable<void> Session::on_dele(const Command& cmd) {
  auto r = drop_->dele(*cmd.msg);
  if (auto* e = std::get_if<pop3::Error>(&r))
    client_error(pop3::err(*e));
  else
    send(pop3::ok("Message " + std::to_string(*cmd.msg) + " deleted"));
  co_return;
}

net::awaitable<void> Session::on_rset(const Command&) {
  drop_->rset();
  pop3::Stat st = drop_->stat();
  send(pop3::ok(std::to_string(st.count) + " messages (" + std::to_string(st.octets) + " octets)"));
  co_return;
}

net::awaitable<void> Session::on_noop(const Command&) {
  send(pop3::ok());
  co_return;
}

net::awaitable<bool> Session::renew_if_due() {
  if (lease_lost_) co_return false;
  if (!lease_held_ || Clock::now() - last_renew_ < cfg_.lease_renew_interval) co_return true;
  const int ttl = cfg_.lease_ttl_seconds();
  auto held = co_await net::offload(*d_.blocking, [&] { return d_.store->renew(account_id_, holder_, ttl); });
  if (!held.ok()) {
    // The lease still has time left and QUIT re-checks it: go on, retry later.
    log::warn("maildrop lease renewal failed", {{"session", id_}, {"error", held.error().message}});
    co_return true;
  }
  if (*held) {
    last_renew_ = Clock::now();
    co_return true;
  }
  log::warn("maildrop lease lost", {{"user", user_}, {"session", id_}});
  lease_held_ = false;
  lease_lost_ = true;
  co_return false;
}

net::awaitable<void> Session::release() {
  auto released = co_await net::offload(*d_.blocking, [&] { return d_.store->release(account_id_, holder_); });
  // Else it expires on its own after the ttl.
  if (!released.ok()) log::warn("maildrop lease release failed", {{"session", id_}, {"error", released.error().message}});
  lease_held_ = false;
}

net::awaitable<void> Session::retrieve(size_t number, std::optional<size_t> top_lines) {
  auto got = drop_->get(number);
  if (auto* e = std::get_if<pop3::Error>(&got)) { client_error(pop3::err(*e)); co_return; }
  store::MaildropEntry entry = entries_[number - 1];
  if (entry.size > cfg_.max_message_size) { co_await stream(entry, top_lines); co_return; }

  auto read = co_await net::offload(*d_.blocking, [&] { return d_.store->read_message(entry.message_id); });
  if (!read.ok()) {
    log::warn("message read failed", {{"session", id_}, {"message", entry.message_id}, {"error", read.error().message}});
    send(pop3::err("Cannot read the message now, try again later", pop3::kCodeSysTemp));
    co_return;
  }
  std::optional<std::string>& message = *read;
  if (!message) {  // expunged meanwhile by another front end
    send(pop3::err("Message no longer exists"));
    co_return;
  }
  if (message->size() != entry.size)
    log::warn("message size differs from index",
              {{"message", entry.message_id}, {"index", entry.size}, {"actual", message->size()}});
  if (top_lines) {
    send(pop3::ok());
    send(pop3::top(*message, *top_lines));
  } else {
    send(pop3::ok(std::to_string(message->size()) + " octets"));
    std::string wire;
    wire.reserve(message->size() + message->size() / 32 + 8);
    pop3::DotStuffer stuffer;
    stuffer.feed(*message, wire);
    stuffer.finish(wire);
    send(wire);
    ++retrieved_;
    d_.metrics->retrieved();
  }
  co_return;
}

// A message bigger than max_message_size: one chunk in memory at a time.
net::awaitable<void> Session::stream(store::MaildropEntry entry, std::optional<size_t> top_lines) {
  auto first = co_await net::offload(*d_.blocking, [&] { return d_.store->read_part(entry.message_id, 0); });
  if (!first.ok()) {
    log::warn("message read failed", {{"session", id_}, {"message", entry.message_id}, {"error", first.error().message}});
    send(pop3::err("Cannot read the message now, try again later", pop3::kCodeSysTemp));
    co_return;
  }
  std::optional<std::string> part = std::move(*first);
  if (!part) {
    send(pop3::err("Message no longer exists"));
    co_return;
  }
  send(top_lines ? pop3::ok() : pop3::ok(std::to_string(entry.size) + " octets"));
  pop3::DotStuffer stuffer;
  pop3::TopWriter top(top_lines.value_or(0));
  uint64_t octets = 0;
  std::string wire;
  for (size_t i = 1;; ++i) {
    octets += part->size();
    wire.clear();
    bool top_done = top_lines ? top.feed(*part, wire) : false;
    if (!top_lines) stuffer.feed(*part, wire);
    send(wire);
    if (top_done) break;
    part.reset();
    bool sent = co_await flush();
    if (!sent) {
      close_with("write_failed");
      co_return;
    }
    co_await renew_if_due();  // a lost lease ends the session at the next command
    auto next = co_await net::offload(*d_.blocking, [&] { return d_.store->read_part(entry.message_id, i); });
    if (!next.ok()) {
      // Half a reply is out: no -ERR is possible; closing without the
      // terminator tells the client the message is incomplete.
      log::error("message read failed mid-stream",
                 {{"session", id_}, {"message", entry.message_id}, {"error", next.error().message}});
      close_with("store_error");
      co_return;
    }
    part = std::move(*next);
    if (!part) break;
  }
  wire.clear();
  if (top_lines) {
    top.finish(wire);
    send(wire);
  } else {
    stuffer.finish(wire);
    send(wire);
    if (octets != entry.size)
      log::warn("message size differs from index",
                {{"message", entry.message_id}, {"index", entry.size}, {"actual", octets}});
    ++retrieved_;
    d_.metrics->retrieved();
  }
  co_return;
}

// UPDATE state (RFC 1939 §6): deletions, lease check and release in one commit.
net::awaitable<void> Session::on_quit(const Command&) {
  end_reason_ = "quit";
  if (state_ == State::kAuthorization) {
    send(pop3::ok("Bye"));
    close_after_flush();
    co_return;
  }
  std::vector<int64_t> uids;
  for (size_t n : drop_->deleted()) uids.push_back(entries_[n - 1].uid);
  const int ttl = cfg_.lease_ttl_seconds();
  auto committed = co_await net::offload(
      *d_.blocking, [&] { return d_.store->commit(account_id_, holder_, ttl, mailbox_id_, uids); });
  if (!committed.ok()) {  // the lease is still ours; run() releases it
    log::error("expunge failed", {{"user", user_}, {"session", id_}, {"error", committed.error().message}});
    send(pop3::err("Could not delete messages, nothing was deleted", pop3::kCodeSysTemp));
    close_after_flush();
    co_return;
  }
  lease_held_ = false;
  const CommitResult& r = *committed;
  if (!r.lease_held && !uids.empty()) {
    log::warn("maildrop lease lost before QUIT", {{"user", user_}, {"session", id_}});
    send(pop3::err("Lost the mailbox lock; nothing was deleted", pop3::kCodeInUse));
    close_after_flush();
    co_return;
  }
  deleted_ = r.deleted;
  d_.metrics->deleted(r.deleted);
  send(pop3::ok("Bye"));
  close_after_flush();
  co_return;
}

}  // namespace

net::awaitable<void> run_session(const SessionDeps& deps, net::Connection& conn, std::string listener) {
  auto session = std::make_shared<Session>(deps, conn, std::move(listener));
  co_await session->run();
}

}  // namespace mail::pop3d
