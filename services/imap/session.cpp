// SPDX-License-Identifier: Apache-2.0
// The IMAP session (see session.h and imap_session.h) on the shared engine:
// the engine reads frames (lines and literals, with "+ OK" before a
// synchronizing one), queues replies and writes them when no further
// command is buffered, counts errors, applies the timeouts and drains on
// SIGTERM; this file supplies the command table, framing (libs/imap's
// literal_at_end), the greeting and goodbyes, and the commands valid in
// every state: CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), ENABLE (RFC 5161),
// NAMESPACE (RFC 2342).
//
// Trusts: nothing from the client (bounded frames, the pure parser);
// its own config. Diagnostics: logfmt "login", "logout", "authentication
// failed"; passwords are never logged.
#include <type_traits>
#include <variant>

#include "imap_session.h"
#include "mail/common/log.h"
#include "mail/imap/response.h"
#include "mail/sasl/sasl.h"

namespace mail::imapd {

namespace detail {

namespace {

using imap::CommandBody;

// The index of command type T in imap::CommandBody: the key of its row.
template <class T, class... Ts>
constexpr size_t index_in(const std::variant<Ts...>*) {
  constexpr bool same[] = {std::is_same_v<T, Ts>...};
  for (size_t i = 0; i < sizeof...(Ts); ++i)
    if (same[i]) return i;
  return sizeof...(Ts);
}
template <class T>
constexpr size_t kVerb = index_in<T>(static_cast<const CommandBody*>(nullptr));

using S = Session::State;
constexpr uint32_t kAny = net::states({S::kNotAuthenticated, S::kAuthenticated, S::kSelected});
constexpr uint32_t kNotAuthenticated = net::states({S::kNotAuthenticated});
constexpr uint32_t kAuthenticated = net::states({S::kAuthenticated, S::kSelected});
constexpr uint32_t kSelected = net::states({S::kSelected});

}  // namespace

// One row per command: where it is allowed and its handler. Every parser is
// imap::parse_command (libs/imap/src/parse_*.cpp, by verb).
const net::CommandTable<size_t, Session::Row, 35> Session::kCommands = {{
    {kVerb<imap::Capability>, kAny, {&Session::on_capability}},
    {kVerb<imap::Noop>, kAny, {&Session::on_noop}},
    {kVerb<imap::Logout>, kAny, {&Session::on_logout}},
    {kVerb<imap::Id>, kAny, {&Session::on_id}},
    {kVerb<imap::Starttls>, kNotAuthenticated, {&Session::on_starttls}},
    {kVerb<imap::Login>, kNotAuthenticated, {&Session::on_login}},
    {kVerb<imap::Authenticate>, kNotAuthenticated, {&Session::on_authenticate}},
    {kVerb<imap::Enable>, kAuthenticated, {&Session::on_enable}},
    {kVerb<imap::Namespace>, kAuthenticated, {&Session::on_namespace}},
    {kVerb<imap::Select>, kAuthenticated, {&Session::on_select}},
    {kVerb<imap::Examine>, kAuthenticated, {&Session::on_select}},
    {kVerb<imap::Create>, kAuthenticated, {&Session::on_create}},
    {kVerb<imap::Delete>, kAuthenticated, {&Session::on_delete}},
    {kVerb<imap::Rename>, kAuthenticated, {&Session::on_rename}},
    {kVerb<imap::Subscribe>, kAuthenticated, {&Session::on_subscribe}},
    {kVerb<imap::Unsubscribe>, kAuthenticated, {&Session::on_subscribe}},
    {kVerb<imap::List>, kAuthenticated, {&Session::on_list}},
    {kVerb<imap::Lsub>, kAuthenticated, {&Session::on_list}},
    {kVerb<imap::Status>, kAuthenticated, {&Session::on_status}},
    {kVerb<imap::Check>, kSelected, {&Session::on_check}},
    {kVerb<imap::Close>, kSelected, {&Session::on_close}},
    {kVerb<imap::Unselect>, kSelected, {&Session::on_unselect}},
    {kVerb<imap::Append>, kAuthenticated, {&Session::on_append}},
    {kVerb<imap::GetQuota>, kAuthenticated, {&Session::on_getquota}},
    {kVerb<imap::GetQuotaRoot>, kAuthenticated, {&Session::on_getquotaroot}},
    {kVerb<imap::SetQuota>, kAuthenticated, {&Session::on_setquota}},
    {kVerb<imap::Fetch>, kSelected, {&Session::on_fetch}},
    {kVerb<imap::Store>, kSelected, {&Session::on_store}},
    {kVerb<imap::Expunge>, kSelected, {&Session::on_expunge}},
    {kVerb<imap::UidExpunge>, kSelected, {&Session::on_expunge}},
    {kVerb<imap::Copy>, kSelected, {&Session::on_copy}},
    {kVerb<imap::Move>, kSelected, {&Session::on_copy}},
    {kVerb<imap::Search>, kSelected, {&Session::on_search}},
    {kVerb<imap::Sort>, kSelected, {&Session::on_sort}},
    {kVerb<imap::Idle>, kAuthenticated, {&Session::on_idle}},
}};
static_assert(std::variant_size_v<CommandBody> == 35, "one row per command");

net::SessionOptions Session::engine_options(const SessionConfig& c) {
  net::SessionOptions o;
  o.max_line = c.limits.max_line;
  o.max_frame = c.limits.max_frame;
  o.max_errors = c.max_errors;
  o.idle_timeout = c.login_timeout;  // until login (see login())
  o.command_timeout = c.idle_timeout;
  return o;
}

std::vector<std::string> Session::capabilities() const {
  std::vector<std::string> caps = {"IMAP4rev1", "LITERAL+", "SASL-IR", "ID",       "ENABLE",
                                   "NAMESPACE", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED",
                                   "LIST-STATUS", "QUOTA",    "QUOTA=RES-STORAGE", "UIDPLUS", "MOVE",
                                   "ESEARCH", "SEARCHRES", "SORT", "SORT=DISPLAY", "WITHIN", "IDLE",
                                   "CONDSTORE", "QRESYNC", "UTF8=ACCEPT"};
  if (state_ == State::kNotAuthenticated) {
    if (d_.tls != nullptr && !conn().tls()) caps.emplace_back("STARTTLS");
    if (plaintext_ok()) {
      for (auto name : sasl::mechanism_names()) caps.push_back("AUTH=" + std::string(name));
    } else {
      caps.emplace_back("LOGINDISABLED");
    }
  }
  return caps;
}

void Session::reply(const std::string& wire, std::string_view condition, bool error) {
  d_.metrics->reply(condition);
  if (error)
    send_error(wire);
  else
    send(wire);
}

net::awaitable<void> Session::start() {
  d_.metrics->connection_opened(listener_);
  if (drain_requested()) {
    send(drain_goodbye());
    close_after_flush();
    co_return;
  }
  send(imap::untagged(imap::Condition::kOk, cfg_.hostname + " IMAP ready", imap::code::capability(capabilities())));
}

net::awaitable<void> Session::finish() {
  if (userip_held_) d_.userip->release(account_id_, conn().peer_ip());
  if (state_ != State::kNotAuthenticated)
    log::info("logout", {{"user", user_},
                         {"session", id_},
                         {"reason", end_reason_},
                         {"bytes_out", conn().bytes_written()}});
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  d_.metrics->connection_closed(listener_, seconds);
  co_return;
}

// ---- framing ------------------------------------------------------------------

net::FrameParse Session::parse_frame(std::string_view last_line) {
  if (frame_start_) {
    frame_tag_ = imap::tag_of(last_line);
    frame_start_ = false;
  }
  frame_literal_ = imap::literal_at_end(last_line, cfg_.limits);
  net::FrameParse p;
  switch (frame_literal_.kind) {
    case imap::FrameInfo::kComplete:
      frame_start_ = true;
      return p;
    case imap::FrameInfo::kLiteral:
      p.kind = net::FrameParse::kLiteral;
      p.literal = static_cast<size_t>(frame_literal_.size);
      p.synchronizing = frame_literal_.synchronizing;
      return p;
    case imap::FrameInfo::kTooLarge:
      p.kind = net::FrameParse::kLiteral;
      p.literal = SIZE_MAX;  // over any max_frame: the engine refuses it
      p.synchronizing = frame_literal_.synchronizing;
      return p;
  }
  return p;
}

std::string Session::continuation() { return imap::continuation("Ready for literal data"); }

void Session::on_frame_too_long() {
  frame_start_ = true;
  d_.metrics->command("invalid");
  reply(imap::refuse_literal(frame_tag_, frame_literal_), frame_literal_.synchronizing ? "NO" : "BAD", true);
}

void Session::on_line_too_long() {
  frame_start_ = true;
  d_.metrics->command("invalid");
  reply(imap::bad("*", "Line too long (the limit is " + std::to_string(cfg_.limits.max_line) + " octets)"), "BAD",
        true);
}

std::string Session::idle_goodbye() {
  end_reason_ = "timeout";
  d_.metrics->reply("BYE");
  return imap::bye("Autologout; idle for too long");
}

std::string Session::drain_goodbye() {
  end_reason_ = "shutdown";
  d_.metrics->reply("BYE");
  return imap::bye("Server shutting down, try again later", imap::code::unavailable());
}

std::string Session::errors_goodbye(std::string last) {
  end_reason_ = "too_many_errors";
  d_.metrics->reply("BYE");
  return last + imap::bye("Too many invalid commands");
}

net::awaitable<void> Session::on_frame(std::string frame) {
  frame_start_ = true;
  auto parsed = imap::parse_command(frame, cfg_.limits);
  if (auto* e = std::get_if<imap::Error>(&parsed)) {
    d_.metrics->command("invalid");
    reply(imap::bad(*e), "BAD", true);
    co_return;
  }
  const imap::Command& cmd = std::get<imap::Command>(parsed);
  d_.metrics->command(imap::verb_name(cmd));
  const auto* row = net::find_command(kCommands, cmd.body.index());
  if (!row->allowed_in(state_)) {
    const char* why = state_ == State::kNotAuthenticated ? "Log in first"
                      : (row->allowed & (1u << static_cast<unsigned>(State::kNotAuthenticated)))
                          ? "Already logged in"
                          : "Select a mailbox first";
    reply(imap::bad(cmd.tag, std::string(imap::verb_name(cmd)) + ": " + why), "BAD", true);
    co_return;
  }
  co_await (this->*(row->handler.handle))(cmd);
}

// ---- any state ----------------------------------------------------------------

net::awaitable<void> Session::on_capability(const imap::Command& cmd) {
  send(imap::capability_line(capabilities()));
  reply(imap::ok(cmd.tag, "CAPABILITY completed"), "OK");
  co_return;
}

net::awaitable<void> Session::on_noop(const imap::Command& cmd) {
  // NOOP is how clients poll (RFC 3501 §6.1.2): report what changed.
  co_await resync();
  reply(imap::ok(cmd.tag, "NOOP completed"), "OK");
}

net::awaitable<void> Session::on_logout(const imap::Command& cmd) {
  end_reason_ = "logout";
  d_.metrics->reply("BYE");
  send(imap::bye(cfg_.hostname + " logging out"));
  reply(imap::ok(cmd.tag, "LOGOUT completed"), "OK");
  close_after_flush();
  co_return;
}

net::awaitable<void> Session::on_id(const imap::Command& cmd) {
  // RFC 2971: what the client says is logged (bounded by the parser's
  // limits), never trusted; the answer names this server only.
  const auto& id = std::get<imap::Id>(cmd.body);
  if (id.params) {
    std::string said;
    for (const auto& [key, value] : *id.params) {
      if (said.size() > 200) break;
      said += (said.empty() ? "" : " ") + key + "=" + value.value_or("NIL");
    }
    log::info("client id", {{"session", id_}, {"id", said}});
  }
  send(imap::id_line({{"name", cfg_.implementation}, {"vendor", "mailplatform"}}));
  reply(imap::ok(cmd.tag, "ID completed"), "OK");
  co_return;
}

net::awaitable<void> Session::on_enable(const imap::Command& cmd) {
  // RFC 5161: the capabilities this command turned on (parser: upper-case);
  // unknown ones, and those already on, are left out.
  std::vector<std::string> now;
  for (const auto& cap : std::get<imap::Enable>(cmd.body).capabilities) {
    if (cap == "CONDSTORE" && !condstore_) {
      condstore_ = true;
      now.push_back(cap);
    } else if (cap == "QRESYNC" && !qresync_) {
      qresync_ = condstore_ = true;  // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE
      now.push_back(cap);
    } else if (cap == "UTF8=ACCEPT" && !utf8_) {
      utf8_ = true;  // RFC 6855: mailbox names in UTF-8 both ways, APPEND UTF8
      now.push_back(cap);
    }
  }
  send(imap::enabled(now));
  reply(imap::ok(cmd.tag, "ENABLE completed"), "OK");
  co_return;
}

net::awaitable<void> Session::on_namespace(const imap::Command& cmd) {
  send(imap::namespace_line("", '/'));
  reply(imap::ok(cmd.tag, "NAMESPACE completed"), "OK");
  co_return;
}

}  // namespace detail

net::awaitable<void> run_session(const SessionDeps& deps, net::Connection& conn, std::string listener) {
  auto session = std::make_shared<detail::Session>(deps, conn, std::move(listener));
  co_await session->run();
}

}  // namespace mail::imapd
