// SPDX-License-Identifier: Apache-2.0
// The SMTP session: greeting, command loop, HELO/EHLO, MAIL, RCPT and the small
// commands; the reply queue; the drain registry. DATA lives in
// session_data.cpp, STARTTLS and AUTH in session_auth.cpp.
#include "session.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/net/offload.h"
#include "mail/smtp/reply.h"
#include "reverse_dns.h"
#include "rewrite.h"

namespace mail::msa {

namespace asio = net::asio;

// ---- registry ----------------------------------------------------------------

uint64_t SessionRegistry::add(std::weak_ptr<Session> session) {
  std::lock_guard lock(mu_);
  uint64_t id = ++next_id_;
  sessions_.emplace(id, std::move(session));
  return id;
}

void SessionRegistry::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

void SessionRegistry::drain() {
  draining_ = true;
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, weak] : sessions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->request_drain();
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

// ---- session -----------------------------------------------------------------

namespace {

// Queued replies are written once no complete command is buffered; a client
// pipelining thousands of NOOPs gets its replies in batches of this size.
constexpr size_t kMaxQueuedReplies = 64 * 1024;

}  // namespace

Session::Session(net::Connection& conn, Listener listener, const SessionContext& ctx)
    : conn_(conn), listener_(listener), ctx_(ctx), settings_(ctx.settings), session_id_(common::random_hex(5)) {}

void Session::request_drain() {
  asio::post(conn_.get_executor(), [self = shared_from_this()] { self->on_drain(); });
}

void Session::on_drain() {
  drain_requested_ = true;
  if (!waiting_command_ || txn_.active || closing_) return;  // the loop says goodbye after the transaction
  // Suspended at the prompt with nothing in progress: say goodbye now. The
  // pending read fails when the connection closes, and the loop ends.
  closing_ = true;
  reply(421, "4.3.2", settings_.hostname + " Service shutting down, try again later");
  std::string bye;
  bye.swap(out_);
  auto conn = conn_.shared_from_this();
  asio::co_spawn(
      conn->get_executor(),
      [conn, bye = std::move(bye)]() -> net::awaitable<void> {
        co_await conn->write(bye);
        conn->close();
      },
      asio::detached);
}

net::awaitable<void> Session::run() {
  started_ = std::chrono::steady_clock::now();
  registry_id_ = ctx_.registry.add(weak_from_this());
  ctx_.metrics.connection_opened(listener_);
  struct Cleanup {
    Session* s;
    ~Cleanup() {
      s->ctx_.registry.remove(s->registry_id_);
      s->ctx_.metrics.connection_closed(
          s->listener_, std::chrono::duration<double>(std::chrono::steady_clock::now() - s->started_).count());
    }
  } cleanup{this};

  conn_.set_timeout(settings_.command_timeout);
  if (settings_.reverse_lookup) {
    std::string ip = conn_.peer_ip();
    client_name_ = co_await net::offload(ctx_.blocking, [&ip] { return verified_reverse_name(ip); });
  }
  log::debug("connect", {{"session", session_id_},
                         {"listener", listener_name(listener_)},
                         {"client", conn_.peer_ip()},
                         {"name", client_name_.empty() ? "unknown" : client_name_}});
  if (ctx_.registry.draining()) {
    reply(421, "4.3.2", settings_.hostname + " Service shutting down, try again later");
    closing_ = true;
  } else {
    reply_wire(220, smtp::format_reply(220, "", settings_.hostname + " ESMTP"));
    co_await command_loop();
  }
  if (!out_.empty() && conn_.is_open()) co_await flush();
  if (conn_.is_open()) co_await conn_.shutdown();
}

net::awaitable<void> Session::command_loop() {
  const size_t read_limit = smtp::command_read_limit(settings_.limits);
  while (!closing_) {
    if (drain_requested_ && !txn_.active) {
      reply(421, "4.3.2", settings_.hostname + " Service shutting down, try again later");
      closing_ = true;
      break;
    }
    if (!out_.empty() && (!command_buffered() || out_.size() > kMaxQueuedReplies)) {
      bool flushed = co_await flush();
      if (!flushed) co_return;
    }
    waiting_command_ = true;
    net::ReadResult r = co_await conn_.read_line(read_limit);
    waiting_command_ = false;
    if (closing_) co_return;  // drained while waiting; the goodbye is on its way
    switch (r.status) {
      case net::Status::ok: co_await dispatch(r.line); break;
      case net::Status::too_long:
        ctx_.metrics.command(nullptr);
        reply(smtp::line_too_long_error());
        break;
      case net::Status::timeout:
        reply(421, "4.4.2", settings_.hostname + " Error: timeout exceeded");
        closing_ = true;
        break;
      case net::Status::eof:
      case net::Status::error:
        if (txn_.active)
          log::info("lost connection in transaction", {{"session", session_id_}, {"client", conn_.peer_ip()}});
        out_.clear();
        co_return;
    }
  }
}

bool Session::command_buffered() const { return conn_.buffered().find('\n') != std::string_view::npos; }

net::awaitable<bool> Session::flush() {
  std::string data;
  data.swap(out_);
  bool written = co_await conn_.write(data);
  if (written) co_return true;
  closing_ = true;
  co_return false;
}

void Session::reply(const smtp::Reply& r) { reply_wire(r.code, r.wire()); }

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  reply_wire(code, smtp::format_reply(code, enhanced, text));
}

void Session::reply_wire(int code, std::string wire) {
  out_ += wire;
  ctx_.metrics.reply(code);
  if (code >= 500 && ++errors_ >= settings_.max_errors && !closing_) {
    log::info("too many errors", {{"session", session_id_}, {"client", conn_.peer_ip()}, {"errors", errors_}});
    out_ += smtp::format_reply(421, "4.7.0", settings_.hostname + " Error: too many errors");
    ctx_.metrics.reply(421);
    closing_ = true;
  }
}

void Session::reset_transaction() { txn_ = Transaction{}; }

std::string Session::protocol() const { return protocol_name(ehlo_, conn_.tls(), authenticated_); }

std::string Session::new_transaction_id() { return session_id_ + std::to_string(++transactions_); }

void Session::refuse_transaction(std::string_view reason, const smtp::Reply& r) {
  ctx_.metrics.refused(reason);
  log::info("refused", {{"session", session_id_},
                        {"reason", reason},
                        {"reply", std::to_string(r.code) + " " + r.enhanced},
                        {"from", txn_.active ? (txn_.sender.empty() ? "<>" : txn_.sender) : ""},
                        {"nrcpt", txn_.recipients.size()},
                        {"client", conn_.peer_ip()},
                        {"auth_user", auth_user_}});
  reply(r);
}

net::awaitable<void> Session::dispatch(const std::string& line) {
  auto parsed = smtp::parse_command(line, settings_.limits);
  if (auto* err = std::get_if<smtp::ParseError>(&parsed)) {
    ctx_.metrics.command(nullptr);
    reply(*err);
    co_return;
  }
  const smtp::Command& cmd = std::get<smtp::Command>(parsed);
  ctx_.metrics.command(&cmd.verb);
  switch (cmd.verb) {
    case smtp::Verb::kHelo:
    case smtp::Verb::kEhlo: do_helo(cmd); break;
    case smtp::Verb::kMail: co_await do_mail(cmd); break;
    case smtp::Verb::kRcpt: co_await do_rcpt(cmd); break;
    case smtp::Verb::kData: co_await do_data(); break;
    case smtp::Verb::kRset:
      reset_transaction();
      reply(250, "2.0.0", "Ok");
      break;
    case smtp::Verb::kNoop: reply(250, "2.0.0", "Ok"); break;
    case smtp::Verb::kQuit:
      reply(221, "2.0.0", "Bye");
      closing_ = true;
      break;
    case smtp::Verb::kVrfy:
      // RFC 5321 3.5.3: 252 when we will not say; existence is not disclosed.
      reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
      break;
    case smtp::Verb::kExpn: reply(502, "5.5.1", "EXPN command not implemented"); break;
    case smtp::Verb::kHelp:
      reply(214, "2.0.0", help_text(ehlo_state()));
      break;
    case smtp::Verb::kBdat:
      // CHUNKING is not offered, so a client sending BDAT is out of step.
      reply(502, "5.5.1", "BDAT command not implemented");
      break;
    case smtp::Verb::kStarttls: co_await do_starttls(); break;
    case smtp::Verb::kAuth: co_await do_auth(cmd); break;
  }
}

EhloState Session::ehlo_state() const {
  return EhloState{listener_, conn_.tls(), ctx_.tls != nullptr, settings_.limits.max_message_size};
}

void Session::do_helo(const smtp::Command& cmd) {
  reset_transaction();  // RFC 5321 4.1.4: like RSET
  greeted_ = true;
  ehlo_ = cmd.verb == smtp::Verb::kEhlo;
  helo_ = cmd.argument.substr(0, 255);
  if (!ehlo_) {
    reply(250, "", settings_.hostname);
    return;
  }
  reply_wire(250, smtp::format_ehlo_reply(settings_.hostname, "", ehlo_extensions(ehlo_state())));
}

net::awaitable<void> Session::do_mail(const smtp::Command& cmd) {
  if (!greeted_) {
    reply(503, "5.5.1", "Error: send HELO/EHLO first");
    co_return;
  }
  if (txn_.active) {
    reply(503, "5.5.1", "Error: nested MAIL command");
    co_return;
  }
  if (auth_required(listener_) && !authenticated_) {
    // As Postfix says it: on a listener where AUTH waits for TLS, the
    // client's next step is STARTTLS, not AUTH.
    if (!conn_.tls() && ctx_.tls != nullptr)
      reply(530, "5.7.0", "Must issue a STARTTLS command first");
    else
      reply(530, "5.7.0", "Authentication required");
    co_return;
  }
  if (cmd.smtputf8) {
    reply(555, "5.5.4", "SMTPUTF8 is not supported");
    co_return;
  }

  std::string sender;
  if (!cmd.is_null) {
    sender = common::normalize_address(cmd.address);
    if (sender.empty()) {
      reply(553, "5.1.7", "Sender address syntax not supported");
      co_return;
    }
  }
  // Authenticated sessions are submissions whatever the port: the user may
  // only use addresses they own. The null sender is allowed (RFC 5321 4.5.5).
  if (authenticated_ && !sender.empty()) {
    if (!sender_addresses_) {
      const int64_t id = account_id_;
      auto got = co_await net::offload(ctx_.blocking, [this, id] { return ctx_.directory.sender_addresses(id); });
      if (!got) {
        reply(451, "4.3.0", "Temporary lookup failure, please try again");
        co_return;
      }
      sender_addresses_ = std::move(got);
    }
    if (!owns_sender(*sender_addresses_, sender, settings_.recipient_delimiter)) {
      log::info("sender refused", {{"session", session_id_}, {"from", sender}, {"auth_user", auth_user_}});
      reply(553, "5.7.1", "<" + sender + ">: Sender address not owned by the authenticated user");
      co_return;
    }
  }
  txn_ = Transaction{};
  txn_.active = true;
  txn_.sender = std::move(sender);
  txn_.size = cmd.size;
  txn_.body_8bitmime = cmd.body == smtp::BodyType::k8BitMime;
  reply(250, "2.1.0", "Ok");
}

net::awaitable<void> Session::do_rcpt(const smtp::Command& cmd) {
  if (!txn_.active) {
    reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (txn_.recipients.size() >= settings_.limits.max_recipients) {
    reply(452, "4.5.3", "Too many recipients");
    co_return;
  }
  // RFC 6531 3.4: a non-ASCII address needs SMTPUTF8, which this server
  // does not offer (MAIL ... SMTPUTF8 is refused), so it is never looked up.
  if (cmd.utf8_address) {
    reply(553, "5.6.7", "Non-ASCII recipient address requires SMTPUTF8");
    co_return;
  }
  // RFC 5321 4.5.1: <postmaster> without a domain must be accepted.
  std::string rcpt = cmd.is_postmaster && cmd.address.find('@') == std::string::npos
                         ? "postmaster@" + settings_.postmaster_domain
                         : common::normalize_address(cmd.address);
  if (rcpt.empty()) {
    reply(recipient_reply(RecipientVerdict::kBadAddress, "", authenticated_));
    co_return;
  }
  if (std::find(txn_.recipients.begin(), txn_.recipients.end(), rcpt) != txn_.recipients.end()) {
    reply(250, "2.1.5", "Ok");
    co_return;
  }  // a duplicate: one delivery

  const uint64_t size = txn_.size.value_or(0);
  directory::RecipientAnswer a =
      co_await net::offload(ctx_.blocking, [this, &rcpt, size] { return ctx_.directory.check_recipient(rcpt, size); });
  smtp::Reply r = recipient_reply(a.verdict, rcpt, authenticated_);
  if (a.verdict == RecipientVerdict::kLocalOk) {
    // The normalized form is the directory's (it may canonicalise further).
    std::string accepted = a.normalized.empty() ? rcpt : a.normalized;
    if (std::find(txn_.recipients.begin(), txn_.recipients.end(), accepted) == txn_.recipients.end())
      txn_.recipients.push_back(std::move(accepted));
  } else {
    ++txn_.rcpt_refused;
    log::info("recipient refused", {{"session", session_id_},
                                    {"reply", std::to_string(r.code) + " " + r.enhanced},
                                    {"from", txn_.sender.empty() ? "<>" : txn_.sender},
                                    {"to", rcpt},
                                    {"client", conn_.peer_ip()},
                                    {"auth_user", auth_user_}});
  }
  reply(r);
}

}  // namespace mail::msa
