// SPDX-License-Identifier: Apache-2.0
// The SMTP session: its command table, greeting and goodbyes, HELO/EHLO,
// MAIL, RCPT and the small commands. The loop, reply queue, error limit,
// timeouts and drain are the engine's (libs/net session.h). DATA lives in
// session_data.cpp, STARTTLS and AUTH in session_auth.cpp.
#include "session.h"

#include <algorithm>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/net/offload.h"
#include "mail/smtp/reply.h"
#include "reverse_dns.h"
#include "rewrite.h"

namespace mail::msa {

namespace asio = net::asio;

// ---- the command table ---------------------------------------------------------

namespace {

constexpr uint32_t kAny = net::states({Session::State::kFresh, Session::State::kGreeted, Session::State::kMail});

smtp::Reply not_refused(Session::State) { return {}; }
smtp::Reply refuse_mail(Session::State s) {
  if (s == Session::State::kFresh) return {503, "5.5.1", "Error: send HELO/EHLO first"};
  return {503, "5.5.1", "Error: nested MAIL command"};
}
smtp::Reply need_mail(Session::State) { return {503, "5.5.1", "Error: need MAIL command"}; }

}  // namespace

// One row per verb: the states it is allowed in, its handler, and what it
// gets elsewhere. The parser of every verb is smtp::parse_command.
const net::CommandTable<smtp::Verb, Session::Row, 14> Session::kCommands = {{
    {smtp::Verb::kHelo, kAny, {&Session::do_helo, not_refused}},
    {smtp::Verb::kEhlo, kAny, {&Session::do_helo, not_refused}},
    {smtp::Verb::kMail, net::states({State::kGreeted}), {&Session::do_mail, refuse_mail}},
    {smtp::Verb::kRcpt, net::states({State::kMail}), {&Session::do_rcpt, need_mail}},
    {smtp::Verb::kData, net::states({State::kMail}), {&Session::do_data, need_mail}},
    {smtp::Verb::kBdat, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kRset, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kNoop, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kQuit, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kVrfy, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kExpn, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kHelp, kAny, {&Session::do_small, not_refused}},
    {smtp::Verb::kStarttls, kAny, {&Session::do_starttls, not_refused}},
    {smtp::Verb::kAuth, kAny, {&Session::do_auth, not_refused}},
}};

// ---- session -----------------------------------------------------------------

namespace {

net::SessionOptions engine_options(const SmtpSettings& s) {
  net::SessionOptions o;
  o.max_line = smtp::command_read_limit(s.limits);
  o.max_errors = s.max_errors;
  o.idle_timeout = s.command_timeout;
  o.command_timeout = s.command_timeout;
  return o;
}

}  // namespace

Session::Session(net::Connection& conn, Listener listener, const SessionContext& ctx)
    : net::Session(conn, ctx.registry, engine_options(ctx.settings)),
      listener_(listener),
      ctx_(ctx),
      settings_(ctx.settings),
      session_id_(common::random_hex(5)) {}

net::awaitable<void> Session::start() {
  started_ = std::chrono::steady_clock::now();
  ctx_.metrics.connection_opened(listener_);
  if (settings_.reverse_lookup) {
    std::string ip = conn().peer_ip();
    client_name_ = co_await net::offload(ctx_.blocking, [&ip] { return verified_reverse_name(ip); });
  }
  log::debug("connect", {{"session", session_id_},
                         {"listener", listener_name(listener_)},
                         {"client", conn().peer_ip()},
                         {"name", client_name_.empty() ? "unknown" : client_name_}});
  if (drain_requested()) {
    reply(421, "4.3.2", settings_.hostname + " Service shutting down, try again later");
    close_after_flush();
  } else {
    reply_wire(220, smtp::format_reply(220, "", settings_.hostname + " ESMTP"));
  }
}

net::awaitable<void> Session::finish() {
  ctx_.metrics.connection_closed(listener_,
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  co_return;
}

std::string Session::idle_goodbye() {
  ctx_.metrics.reply(421);
  return smtp::format_reply(421, "4.4.2", settings_.hostname + " Error: timeout exceeded");
}

std::string Session::drain_goodbye() {
  ctx_.metrics.reply(421);
  return smtp::format_reply(421, "4.3.2", settings_.hostname + " Service shutting down, try again later");
}

std::string Session::errors_goodbye(std::string last) {
  log::info("too many errors", {{"session", session_id_}, {"client", conn().peer_ip()}, {"errors", errors()}});
  ctx_.metrics.reply(421);
  return last + smtp::format_reply(421, "4.7.0", settings_.hostname + " Error: too many errors");
}

void Session::on_disconnect(net::Status) {
  if (txn_.active) log::info("lost connection in transaction", {{"session", session_id_}, {"client", conn().peer_ip()}});
}

void Session::on_line_too_long() {
  ctx_.metrics.command(nullptr);
  reply(smtp::line_too_long_error());
}

void Session::reply(const smtp::Reply& r) { reply_wire(r.code, r.wire()); }

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  reply_wire(code, smtp::format_reply(code, enhanced, text));
}

void Session::reply_wire(int code, std::string wire) {
  ctx_.metrics.reply(code);
  if (code >= 500)
    send_error(std::move(wire));
  else
    send(wire);
}

void Session::reset_transaction() { txn_ = Transaction{}; }

std::string Session::protocol() const { return protocol_name(ehlo_, conn().tls(), authenticated_); }

std::string Session::new_transaction_id() { return session_id_ + std::to_string(++transactions_); }

void Session::refuse_transaction(std::string_view reason, const smtp::Reply& r) {
  ctx_.metrics.refused(reason);
  log::info("refused", {{"session", session_id_},
                        {"reason", reason},
                        {"reply", std::to_string(r.code) + " " + r.enhanced},
                        {"from", txn_.active ? (txn_.sender.empty() ? "<>" : txn_.sender) : ""},
                        {"nrcpt", txn_.recipients.size()},
                        {"client", conn().peer_ip()},
                        {"auth_user", auth_user_}});
  reply(r);
}

bool Session::out_of_sync(smtp::Verb verb) const {
  if (authenticated_ || !input_pending()) return false;
  switch (verb) {
    case smtp::Verb::kHelo:
    case smtp::Verb::kEhlo:
    case smtp::Verb::kData:
    case smtp::Verb::kQuit:
    case smtp::Verb::kNoop:
    case smtp::Verb::kVrfy:
    case smtp::Verb::kExpn:
    case smtp::Verb::kStarttls:
    case smtp::Verb::kAuth: return true;
    default: return false;
  }
}

net::awaitable<void> Session::on_frame(std::string line) {
  auto parsed = smtp::parse_command(line, settings_.limits);
  if (auto* err = std::get_if<smtp::ParseError>(&parsed)) {
    ctx_.metrics.command(nullptr);
    reply(*err);
    co_return;
  }
  const smtp::Command& cmd = std::get<smtp::Command>(parsed);
  ctx_.metrics.command(&cmd.verb);
  if (out_of_sync(cmd.verb)) {
    log::info("pipelining violation", {{"session", session_id_},
                                      {"client", conn().peer_ip()},
                                      {"command", smtp::verb_name(cmd.verb)},
                                      {"pending", conn().buffered().size()}});
    ctx_.metrics.reply(554);
    send(smtp::format_reply(554, "5.5.0", "Error: SMTP protocol synchronization"));
    close_after_flush();
    co_return;
  }
  const auto* row = net::find_command(kCommands, cmd.verb);
  if (!row->allowed_in(state())) {
    reply(row->handler.refuse(state()));
    co_return;
  }
  co_await (this->*(row->handler.handle))(cmd);
}

net::awaitable<void> Session::do_small(const smtp::Command& cmd) {
  switch (cmd.verb) {
    case smtp::Verb::kRset:
      reset_transaction();
      reply(250, "2.0.0", "Ok");
      break;
    case smtp::Verb::kNoop: reply(250, "2.0.0", "Ok"); break;
    case smtp::Verb::kQuit:
      reply(221, "2.0.0", "Bye");
      close_after_flush();
      break;
    case smtp::Verb::kVrfy:
      // RFC 5321 3.5.3: 252 when we will not say; existence is not disclosed.
      reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
      break;
    case smtp::Verb::kExpn: reply(502, "5.5.1", "EXPN command not implemented"); break;
    case smtp::Verb::kHelp: reply(214, "2.0.0", help_text(ehlo_state())); break;
    case smtp::Verb::kBdat:
      // CHUNKING is not offered, so a client sending BDAT is out of step.
      reply(502, "5.5.1", "BDAT command not implemented");
      break;
    default: break;
  }
  co_return;
}

EhloState Session::ehlo_state() const {
  return EhloState{listener_, conn().tls(), ctx_.tls != nullptr, settings_.limits.max_message_size};
}

net::awaitable<void> Session::do_helo(const smtp::Command& cmd) {
  reset_transaction();  // RFC 5321 4.1.4: like RSET
  greeted_ = true;
  ehlo_ = cmd.verb == smtp::Verb::kEhlo;
  helo_ = cmd.argument.substr(0, 255);
  if (!ehlo_) {
    reply(250, "", settings_.hostname);
    co_return;
  }
  reply_wire(250, smtp::format_ehlo_reply(settings_.hostname, "", ehlo_extensions(ehlo_state())));
}

net::awaitable<void> Session::do_mail(const smtp::Command& cmd) {
  if (auth_required(listener_) && !authenticated_) {
    // As Postfix says it: on a listener where AUTH waits for TLS, the
    // client's next step is STARTTLS, not AUTH.
    if (!conn().tls() && ctx_.tls != nullptr)
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
  // Another domain's address: carried by the mta for clients that may
  // relay (authenticated ones, or those in smtp.relay_networks).
  const bool relay = a.verdict == RecipientVerdict::kNotLocal &&
                     (authenticated_ || settings_.relay_networks.contains(conn().peer_ip()));
  smtp::Reply r = relay ? smtp::Reply{250, "2.1.5", "Ok"} : recipient_reply(a.verdict, rcpt, authenticated_);
  if (a.verdict == RecipientVerdict::kLocalOk || relay) {
    // The normalized form is the directory's (it may canonicalise further);
    // another domain's local part keeps its case (RFC 5321 2.4).
    std::string accepted = a.normalized.empty() ? rcpt : a.normalized;
    if (relay) {
      const std::string_view local = common::address_local(cmd.address);
      accepted = local.find('"') == std::string_view::npos && common::ascii_lower(local) == common::address_local(rcpt)
                     ? std::string(local) + "@" + std::string(common::address_domain(rcpt))
                     : rcpt;
    }
    if (std::find(txn_.recipients.begin(), txn_.recipients.end(), accepted) == txn_.recipients.end())
      txn_.recipients.push_back(std::move(accepted));
  } else {
    ++txn_.rcpt_refused;
    log::info("recipient refused", {{"session", session_id_},
                                    {"reply", std::to_string(r.code) + " " + r.enhanced},
                                    {"from", txn_.sender.empty() ? "<>" : txn_.sender},
                                    {"to", rcpt},
                                    {"client", conn().peer_ip()},
                                    {"auth_user", auth_user_}});
  }
  reply(r);
}

}  // namespace mail::msa
