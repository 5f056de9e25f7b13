// SPDX-License-Identifier: Apache-2.0
// The POP3 session state machine (see session.h). One Session object per
// connection, on the connection's strand. Replies are collected in out_ and
// written when no further pipelined command is buffered (RFC 2449
// PIPELINING), so a burst of commands costs one write.
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

#include "helpers.h"
#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/net/offload.h"
#include "mail/pop3/maildrop.h"
#include "mail/pop3/response.h"

namespace mail::pop3d {

int SessionConfig::lease_ttl_seconds() const {
  auto idle = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  return static_cast<int>(idle + 120);
}

namespace {

using pop3::Command;
using pop3::Verb;
using Clock = std::chrono::steady_clock;

constexpr size_t kFlushAt = 64 * 1024;
constexpr std::string_view kPlaintextRefused = "Plaintext authentication is not allowed without TLS, use STLS first";

enum class Next { kContinue, kClose };

void wipe(std::string& secret) {
  secret.assign(secret.size(), '\0');
  secret.clear();
}

class Session {
 public:
  Session(const SessionDeps& deps, net::Connection& conn, std::string listener)
      : d_(deps),
        cfg_(*deps.config),
        conn_(conn),
        listener_(std::move(listener)),
        id_(common::random_hex(8)),
        started_(Clock::now()) {
    max_line_ = cfg_.limits.max_auth_line > 3 ? cfg_.limits.max_auth_line - 2 : 1;
  }

  net::awaitable<void> run();

 private:
  enum class State { kAuthorization, kTransaction };

  net::awaitable<Next> dispatch(const Command& cmd);
  net::awaitable<Next> authorization(const Command& cmd);
  net::awaitable<Next> transaction(const Command& cmd);
  net::awaitable<Next> on_auth(const Command& cmd);
  net::awaitable<Next> on_stls();
  net::awaitable<Next> login(const std::string& user, std::string& password);
  net::awaitable<Next> auth_failed(const std::string& user);
  net::awaitable<Next> on_retr(size_t number, std::optional<size_t> top_lines);
  net::awaitable<Next> stream(store::MaildropEntry entry, std::optional<size_t> top_lines);
  net::awaitable<Next> on_quit();
  net::awaitable<bool> renew_if_due();
  net::awaitable<void> release();
  net::awaitable<bool> flush();

  Next client_error(std::string reply);
  bool plaintext_ok() const { return conn_.tls() || cfg_.allow_plaintext_auth; }
  bool line_pending() const { return conn_.buffered().find('\n') != std::string_view::npos; }
  std::string capa() const;

  SessionDeps d_;
  const SessionConfig& cfg_;
  net::Connection& conn_;
  std::string listener_;
  std::string id_;  // for logs and the lease holder
  Clock::time_point started_;
  size_t max_line_ = 0;

  State state_ = State::kAuthorization;
  std::string out_;
  size_t errors_ = 0;
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

net::awaitable<void> Session::run() {
  d_.metrics->connection_opened(listener_);
  conn_.set_timeout(cfg_.timeout);
  if (conn_.max_buffer() < max_line_ + 2) conn_.set_max_buffer(max_line_ + 2);
  out_ += pop3::ok(cfg_.hostname + " POP3 ready");
  try {
    bool open = co_await flush();
    while (open) {
      net::ReadResult r = co_await conn_.read_line(max_line_);
      Next next = Next::kContinue;
      if (r.status == net::Status::too_long) {
        d_.metrics->command("invalid");
        next = client_error(pop3::err("line too long"));
      } else if (r.status == net::Status::timeout) {
        end_reason_ = "timeout";
        out_ += pop3::err("Disconnected for inactivity");
        next = Next::kClose;
      } else if (!r.ok()) {
        end_reason_ = net::to_string(r.status);
        break;
      } else {
        auto parsed = pop3::parse_command(r.line, cfg_.limits);
        if (auto* e = std::get_if<pop3::Error>(&parsed)) {
          d_.metrics->command("invalid");
          next = client_error(pop3::err(*e));
        } else {
          const Command& cmd = std::get<Command>(parsed);
          d_.metrics->command(pop3::verb_name(cmd.verb));
          next = co_await dispatch(cmd);
        }
      }
      if (next == Next::kClose) {
        co_await flush();
        break;
      }
      if (!line_pending() || out_.size() >= kFlushAt) open = co_await flush();
    }
  } catch (const std::exception& e) {
    // A bug, not peer input: end this session only, but still free the lease.
    end_reason_ = "internal_error";
    log::error("pop3 session failed", {{"session", id_}, {"error", e.what()}});
  }
  if (lease_held_) co_await release();  // no QUIT: nothing is deleted
  if (state_ == State::kTransaction)
    log::info("logout", {{"user", user_},
                         {"session", id_},
                         {"retr", retrieved_},
                         {"dele", deleted_},
                         {"reason", end_reason_},
                         {"bytes_out", conn_.bytes_written()}});
  double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  d_.metrics->connection_closed(listener_, seconds);
  if (conn_.is_open()) co_await conn_.shutdown();
}

net::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return conn_.is_open();
  std::string data = std::move(out_);
  out_.clear();
  bool ok = co_await conn_.write(data);
  if (ok) d_.metrics->bytes_sent(static_cast<double>(data.size()));
  co_return ok;
}

Next Session::client_error(std::string reply) {
  if (++errors_ >= cfg_.max_errors) {
    end_reason_ = "too_many_errors";
    out_ += pop3::err("Too many errors, closing connection");
    return Next::kClose;
  }
  out_ += reply;
  return Next::kContinue;
}

std::string Session::capa() const {
  pop3::CapaOptions o;
  o.user = plaintext_ok();
  if (plaintext_ok()) o.sasl = {"PLAIN"};
  o.stls = d_.tls != nullptr && !conn_.tls() && state_ == State::kAuthorization;
  o.implementation = cfg_.implementation;
  return pop3::capa_reply(o);
}

net::awaitable<Next> Session::dispatch(const Command& cmd) {
  switch (cmd.verb) {
    case Verb::kCapa:
      out_ += capa();
      co_return Next::kContinue;
    case Verb::kApop:
      co_return client_error(pop3::err("APOP is not supported"));
    case Verb::kUtf8:
      co_return client_error(pop3::err("UTF8 is not supported"));
    default:
      break;
  }
  if (state_ == State::kAuthorization) co_return co_await authorization(cmd);
  co_return co_await transaction(cmd);
}

// ---- AUTHORIZATION ----------------------------------------------------------

net::awaitable<Next> Session::authorization(const Command& cmd) {
  switch (cmd.verb) {
    case Verb::kQuit:
      end_reason_ = "quit";
      out_ += pop3::ok("Bye");
      co_return Next::kClose;
    case Verb::kStls:
      co_return co_await on_stls();
    case Verb::kUser:
      if (!plaintext_ok()) co_return client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));
      pending_user_ = cmd.user;
      out_ += pop3::ok();
      co_return Next::kContinue;
    case Verb::kPass: {
      if (!plaintext_ok()) co_return client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));
      if (pending_user_.empty()) co_return client_error(pop3::err("USER first"));
      std::string user = std::move(pending_user_);
      pending_user_.clear();
      std::string password = cmd.password;
      co_return co_await login(user, password);
    }
    case Verb::kAuth:
      co_return co_await on_auth(cmd);
    default:
      co_return client_error(pop3::err("Not logged in"));
  }
}

net::awaitable<Next> Session::on_stls() {
  if (conn_.tls()) co_return client_error(pop3::err("TLS is already active"));
  if (d_.tls == nullptr) co_return client_error(pop3::err("STLS is not available"));
  out_ += pop3::ok("Begin TLS negotiation");
  bool sent = co_await flush();
  if (!sent) co_return Next::kClose;
  // start_tls() drops anything the client pipelined after STLS.
  bool secured = co_await conn_.start_tls(*d_.tls);
  if (!secured) {
    end_reason_ = "tls_failed";
    co_return Next::kClose;
  }
  pending_user_.clear();  // AUTHORIZATION starts over inside TLS
  co_return Next::kContinue;
}

net::awaitable<Next> Session::on_auth(const Command& cmd) {
  if (cmd.mechanism.empty()) {  // bare AUTH: list the mechanisms (as clients probe)
    out_ += pop3::ok("Mechanisms follow");
    if (plaintext_ok()) out_ += "PLAIN\r\n";
    out_ += ".\r\n";
    co_return Next::kContinue;
  }
  if (cmd.mechanism != "PLAIN") co_return client_error(pop3::err("Unsupported authentication mechanism"));
  if (!plaintext_ok()) co_return client_error(pop3::err(kPlaintextRefused, pop3::kCodeAuth));

  std::string response;
  if (cmd.initial_response) {
    if (*cmd.initial_response != "=") response = *cmd.initial_response;  // "=": empty
  } else {
    out_ += pop3::sasl_challenge("");
    bool sent = co_await flush();
    if (!sent) co_return Next::kClose;
    net::ReadResult r = co_await conn_.read_line(max_line_);
    if (r.status == net::Status::too_long) co_return client_error(pop3::err("line too long"));
    if (!r.ok()) {
      end_reason_ = net::to_string(r.status);
      co_return Next::kClose;
    }
    auto parsed = pop3::parse_auth_response(r.line, cfg_.limits);
    if (auto* e = std::get_if<pop3::Error>(&parsed)) co_return client_error(pop3::err(*e));
    auto& answer = std::get<pop3::AuthResponse>(parsed);
    if (answer.cancel) co_return client_error(pop3::err("Authentication cancelled"));
    response = std::move(answer.data);
    wipe(r.line);
  }
  auto creds = decode_sasl_plain(response);
  wipe(response);
  if (!creds) co_return client_error(pop3::err("Malformed AUTH PLAIN response"));
  // No proxy authorization: acting as another user is a failed login.
  if (!creds->authzid.empty() && creds->authzid != creds->authcid) {
    wipe(creds->password);
    co_return co_await auth_failed(creds->authcid);
  }
  co_return co_await login(creds->authcid, creds->password);
}

net::awaitable<Next> Session::login(const std::string& user, std::string& password) {
  const std::string ip = conn_.peer_ip();
  AuthAnswer res;
  OpenResult opened;
  holder_ = "pop3:" + cfg_.hostname + ":" + id_;
  const int ttl = cfg_.lease_ttl_seconds();
  // A cached login may name an account deleted since (and perhaps created
  // again under a new id): the store says so, the cache forgets it, and the
  // directory is asked once more.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool failed = false;
    try {
      res = co_await net::offload(*d_.blocking, [&] { return d_.auth->authenticate(user, password, ip); });
    } catch (const std::exception& e) {
      log::warn("directory call failed", {{"session", id_}, {"error", e.what()}});
      failed = true;
    }
    if (failed || res.status == AuthAnswer::Status::kUnavailable) {
      wipe(password);
      d_.metrics->auth("unavailable");
      out_ += pop3::err("Authentication is temporarily unavailable, try again later", pop3::kCodeSysTemp);
      co_return Next::kContinue;
    }
    if (res.status == AuthAnswer::Status::kDenied) {
      wipe(password);
      co_return co_await auth_failed(user);
    }

    // Authenticated: take the maildrop lease and read the snapshot together.
    try {
      opened = co_await net::offload(*d_.blocking, [&] { return d_.store->open(res.account_id, holder_, ttl); });
    } catch (const std::exception& e) {
      log::warn("maildrop open failed", {{"session", id_}, {"account", res.account_id}, {"error", e.what()}});
      failed = true;
    }
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
      out_ += pop3::err("Mailbox is temporarily unavailable, try again later", pop3::kCodeSysTemp);
      co_return Next::kContinue;
    }
    break;
  }
  wipe(password);
  if (!opened.locked) {
    d_.metrics->auth("in_use");
    log::info("maildrop in use", {{"user", user}, {"ip", ip}, {"session", id_}});
    out_ += pop3::err("Mailbox is locked by another session", pop3::kCodeInUse);
    co_return Next::kContinue;
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
                      {"tls", conn_.tls() ? "yes" : "no"},
                      {"listener", listener_},
                      {"session", id_},
                      {"messages", st.count}});
  out_ += pop3::ok("Logged in, " + std::to_string(st.count) + " messages (" + std::to_string(st.octets) + " octets)");
  co_return Next::kContinue;
}

net::awaitable<Next> Session::auth_failed(const std::string& user) {
  ++auth_failures_;
  d_.metrics->auth("failure");
  log::info("authentication failed",
            {{"user", user}, {"ip", conn_.peer_ip()}, {"session", id_}, {"failures", auth_failures_}});
  // Slow down guessing; the directory keeps the real lockout counters.
  net::asio::steady_timer delay(conn_.get_executor());
  delay.expires_after(cfg_.auth_failure_delay);
  boost::system::error_code ec;
  co_await delay.async_wait(net::asio::redirect_error(net::use_awaitable, ec));
  out_ += pop3::err("Authentication failed", pop3::kCodeAuth);
  if (auth_failures_ >= cfg_.max_auth_failures) {
    end_reason_ = "auth_failures";
    co_return Next::kClose;
  }
  co_return Next::kContinue;
}

// ---- TRANSACTION -------------------------------------------------------------

net::awaitable<Next> Session::transaction(const Command& cmd) {
  bool held = co_await renew_if_due();
  if (!held) {
    end_reason_ = "lease_lost";
    out_ += pop3::err("Lost the mailbox lock; nothing was deleted", pop3::kCodeInUse);
    co_return Next::kClose;
  }
  switch (cmd.verb) {
    case Verb::kStat:
      out_ += pop3::stat_reply(drop_->stat());
      co_return Next::kContinue;
    case Verb::kList:
      if (cmd.msg) {
        auto r = drop_->list(*cmd.msg);
        if (auto* e = std::get_if<pop3::Error>(&r)) co_return client_error(pop3::err(*e));
        out_ += pop3::list_reply(std::get<pop3::ListEntry>(r));
      } else {
        out_ += pop3::list_all_reply(drop_->list());
      }
      co_return Next::kContinue;
    case Verb::kUidl:
      if (cmd.msg) {
        auto r = drop_->uidl(*cmd.msg);
        if (auto* e = std::get_if<pop3::Error>(&r)) co_return client_error(pop3::err(*e));
        out_ += pop3::uidl_reply(std::get<pop3::UidlEntry>(r));
      } else {
        out_ += pop3::uidl_all_reply(drop_->uidl());
      }
      co_return Next::kContinue;
    case Verb::kRetr:
      co_return co_await on_retr(*cmd.msg, std::nullopt);
    case Verb::kTop:
      co_return co_await on_retr(*cmd.msg, cmd.lines);
    case Verb::kDele: {
      auto r = drop_->dele(*cmd.msg);
      if (auto* e = std::get_if<pop3::Error>(&r)) co_return client_error(pop3::err(*e));
      out_ += pop3::ok("Message " + std::to_string(*cmd.msg) + " deleted");
      co_return Next::kContinue;
    }
    case Verb::kRset: {
      drop_->rset();
      pop3::Stat st = drop_->stat();
      out_ += pop3::ok(std::to_string(st.count) + " messages (" + std::to_string(st.octets) + " octets)");
      co_return Next::kContinue;
    }
    case Verb::kNoop:
      out_ += pop3::ok();
      co_return Next::kContinue;
    case Verb::kQuit:
      co_return co_await on_quit();
    default:
      co_return client_error(pop3::err("Already logged in"));
  }
}

net::awaitable<bool> Session::renew_if_due() {
  if (lease_lost_) co_return false;
  if (!lease_held_ || Clock::now() - last_renew_ < cfg_.lease_renew_interval) co_return true;
  bool held = true;
  const int ttl = cfg_.lease_ttl_seconds();
  try {
    held = co_await net::offload(*d_.blocking, [&] { return d_.store->renew(account_id_, holder_, ttl); });
  } catch (const std::exception& e) {
    // The lease still has time left and QUIT re-checks it: go on, retry later.
    log::warn("maildrop lease renewal failed", {{"session", id_}, {"error", e.what()}});
    co_return true;
  }
  if (held) {
    last_renew_ = Clock::now();
    co_return true;
  }
  log::warn("maildrop lease lost", {{"user", user_}, {"session", id_}});
  lease_held_ = false;
  lease_lost_ = true;
  co_return false;
}

net::awaitable<void> Session::release() {
  try {
    co_await net::offload(*d_.blocking, [&] { d_.store->release(account_id_, holder_); });
  } catch (const std::exception& e) {
    // It expires on its own after the ttl.
    log::warn("maildrop lease release failed", {{"session", id_}, {"error", e.what()}});
  }
  lease_held_ = false;
}

net::awaitable<Next> Session::on_retr(size_t number, std::optional<size_t> top_lines) {
  auto got = drop_->get(number);
  if (auto* e = std::get_if<pop3::Error>(&got)) co_return client_error(pop3::err(*e));
  store::MaildropEntry entry = entries_[number - 1];
  if (entry.size > cfg_.max_message_size) co_return co_await stream(entry, top_lines);

  std::optional<std::string> message;
  bool failed = false;
  try {
    message = co_await net::offload(*d_.blocking, [&] { return d_.store->read_message(entry.message_id); });
  } catch (const std::exception& e) {
    log::warn("message read failed", {{"session", id_}, {"message", entry.message_id}, {"error", e.what()}});
    failed = true;
  }
  if (failed) {
    out_ += pop3::err("Cannot read the message now, try again later", pop3::kCodeSysTemp);
    co_return Next::kContinue;
  }
  if (!message) {  // expunged meanwhile by another front end
    out_ += pop3::err("Message no longer exists");
    co_return Next::kContinue;
  }
  if (message->size() != entry.size)
    log::warn("message size differs from index",
              {{"message", entry.message_id}, {"index", entry.size}, {"actual", message->size()}});
  if (top_lines) {
    out_ += pop3::ok();
    out_ += pop3::top(*message, *top_lines);
  } else {
    out_ += pop3::ok(std::to_string(message->size()) + " octets");
    pop3::DotStuffer stuffer;
    stuffer.feed(*message, out_);
    stuffer.finish(out_);
    ++retrieved_;
    d_.metrics->retrieved();
  }
  co_return Next::kContinue;
}

// A message bigger than max_message_size: one chunk in memory at a time.
net::awaitable<Next> Session::stream(store::MaildropEntry entry, std::optional<size_t> top_lines) {
  std::optional<std::string> part;
  bool failed = false;
  try {
    part = co_await net::offload(*d_.blocking, [&] { return d_.store->read_part(entry.message_id, 0); });
  } catch (const std::exception& e) {
    log::warn("message read failed", {{"session", id_}, {"message", entry.message_id}, {"error", e.what()}});
    failed = true;
  }
  if (failed) {
    out_ += pop3::err("Cannot read the message now, try again later", pop3::kCodeSysTemp);
    co_return Next::kContinue;
  }
  if (!part) {
    out_ += pop3::err("Message no longer exists");
    co_return Next::kContinue;
  }
  out_ += top_lines ? pop3::ok() : pop3::ok(std::to_string(entry.size) + " octets");
  pop3::DotStuffer stuffer;
  pop3::TopWriter top(top_lines.value_or(0));
  uint64_t octets = 0;
  for (size_t i = 1;; ++i) {
    octets += part->size();
    if (top_lines) {
      if (top.feed(*part, out_)) break;
    } else {
      stuffer.feed(*part, out_);
    }
    part.reset();
    bool sent = co_await flush();
    if (!sent) {
      end_reason_ = "write_failed";
      co_return Next::kClose;
    }
    co_await renew_if_due();  // a lost lease ends the session at the next command
    try {
      part = co_await net::offload(*d_.blocking, [&] { return d_.store->read_part(entry.message_id, i); });
    } catch (const std::exception& e) {
      // Half a reply is out: no -ERR is possible; closing without the
      // terminator tells the client the message is incomplete.
      log::error("message read failed mid-stream", {{"session", id_}, {"message", entry.message_id}, {"error", e.what()}});
      end_reason_ = "store_error";
      co_return Next::kClose;
    }
    if (!part) break;
  }
  if (top_lines) {
    top.finish(out_);
  } else {
    stuffer.finish(out_);
    if (octets != entry.size)
      log::warn("message size differs from index",
                {{"message", entry.message_id}, {"index", entry.size}, {"actual", octets}});
    ++retrieved_;
    d_.metrics->retrieved();
  }
  co_return Next::kContinue;
}

// UPDATE state (RFC 1939 §6): deletions, lease check and release in one commit.
net::awaitable<Next> Session::on_quit() {
  end_reason_ = "quit";
  std::vector<int64_t> uids;
  for (size_t n : drop_->deleted()) uids.push_back(entries_[n - 1].uid);
  const int ttl = cfg_.lease_ttl_seconds();
  CommitResult r;
  bool failed = false;
  try {
    r = co_await net::offload(*d_.blocking,
                              [&] { return d_.store->commit(account_id_, holder_, ttl, mailbox_id_, uids); });
  } catch (const std::exception& e) {
    log::error("expunge failed", {{"user", user_}, {"session", id_}, {"error", e.what()}});
    failed = true;
  }
  if (failed) {  // the lease is still ours; run() releases it
    out_ += pop3::err("Could not delete messages, nothing was deleted", pop3::kCodeSysTemp);
    co_return Next::kClose;
  }
  lease_held_ = false;
  if (!r.lease_held && !uids.empty()) {
    log::warn("maildrop lease lost before QUIT", {{"user", user_}, {"session", id_}});
    out_ += pop3::err("Lost the mailbox lock; nothing was deleted", pop3::kCodeInUse);
    co_return Next::kClose;
  }
  deleted_ = r.deleted;
  d_.metrics->deleted(r.deleted);
  out_ += pop3::ok("Bye");
  co_return Next::kClose;
}

}  // namespace

net::awaitable<void> run_session(const SessionDeps& deps, net::Connection& conn, std::string listener) {
  Session session(deps, conn, std::move(listener));
  co_await session.run();
}

}  // namespace mail::pop3d
