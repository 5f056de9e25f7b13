// SPDX-License-Identifier: Apache-2.0
// pop3_session.h: the POP3 session class, private to the service: its
// command table and state, shared by the files that hold its handlers, one
// group per file as the parser's verbs are grouped (session.cpp: the loop,
// CAPA and the table; session_auth.cpp: USER, PASS, AUTH, STLS and the
// login; session_maildrop.cpp: STAT, LIST, UIDL, RETR/TOP, DELE, RSET,
// NOOP and QUIT). run_session() in session.h is the only way in.
//
// Trusts: see session.cpp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/common/strings.h"
#include "mail/pop3/command.h"
#include "mail/pop3/maildrop.h"
#include "mail/pop3/response.h"
#include "mail/sasl/sasl.h"
#include "session.h"

namespace mail::pop3d::detail {

using pop3::Command;
using pop3::Verb;
using Clock = std::chrono::steady_clock;

inline constexpr std::string_view kPlaintextRefused =
    "Plaintext authentication is not allowed without TLS, use STLS first";

// The one place SASL errors become POP3 replies (RFC 5034 4).
inline std::string sasl_error_text(sasl::Error error,
                                   sasl::Mechanism mechanism) {
  switch (error) {
  case sasl::Error::kCancelled:
    return "Authentication cancelled";
  case sasl::Error::kTooLong:
    return "line too long";
  default:
    return "Malformed AUTH " + std::string(sasl::mechanism_name(mechanism)) +
           " response";
  }
}

inline void wipe(std::string &secret) {
  secret.assign(secret.size(), '\0');
  secret.clear();
}

class Session : public net::Session {
public:
  Session(const SessionDeps &deps, net::Connection &conn, std::string listener)
      : net::Session(conn, *deps.registry, engine_options(*deps.config)),
        d_(deps), cfg_(*deps.config), listener_(std::move(listener)),
        id_(common::random_hex(8)), started_(Clock::now()) {}

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
    return pop3::err("Server shutting down, nothing was deleted",
                     pop3::kCodeSysTemp);
  }
  std::string errors_goodbye(std::string) override {
    end_reason_ = "too_many_errors";
    return pop3::err("Too many errors, closing connection");
  }
  void on_disconnect(net::Status st) override {
    end_reason_ = net::to_string(st);
  }
  net::awaitable<void> finish() override;

private:
  static net::SessionOptions engine_options(const SessionConfig &c) {
    net::SessionOptions o;
    o.max_line = c.limits.max_auth_line > 3 ? c.limits.max_auth_line - 2 : 1;
    o.max_errors = c.max_errors;
    o.idle_timeout = c.timeout;
    o.command_timeout = c.timeout;
    return o;
  }

  using Handler = net::awaitable<void> (Session::*)(const Command &);
  struct Row {
    Handler handle;
    std::string_view
        refused; ///< the -ERR text in a state the verb is not allowed in
  };
  static const net::CommandTable<Verb, Row, 16> kCommands;

  net::awaitable<void> on_capa(const Command &);
  net::awaitable<void> on_unsupported(const Command &cmd);
  net::awaitable<void> on_user(const Command &cmd);
  net::awaitable<void> on_pass(const Command &cmd);
  net::awaitable<void> on_auth(const Command &cmd);
  net::awaitable<void> on_stls(const Command &);
  net::awaitable<void> on_stat(const Command &);
  net::awaitable<void> on_list(const Command &cmd);
  net::awaitable<void> on_uidl(const Command &cmd);
  net::awaitable<void> on_retr(const Command &cmd);
  net::awaitable<void> on_dele(const Command &cmd);
  net::awaitable<void> on_rset(const Command &);
  net::awaitable<void> on_noop(const Command &);
  net::awaitable<void> on_quit(const Command &);

  net::awaitable<void> login(const std::string &user, std::string &password);
  /// The login throttle's word before the password is checked: false when
  /// it refused (the reply is queued); a delay is waited here.
  net::awaitable<bool> throttle_allows(const std::string &ip,
                                       const std::string &user);
  /// Tells the throttle how the directory answered (not for "unavailable").
  net::awaitable<void> throttle_report(const std::string &ip,
                                       const std::string &user, bool ok);
  net::awaitable<void> auth_failed(const std::string &user);
  net::awaitable<void> retrieve(size_t number, std::optional<size_t> top_lines);
  net::awaitable<void> stream(store::MaildropEntry entry,
                              std::optional<size_t> top_lines);
  net::awaitable<bool> renew_if_due();
  net::awaitable<void> release();

  void client_error(std::string reply) { send_error(std::move(reply)); }
  void close_with(std::string reason) {
    end_reason_ = std::move(reason);
    close_after_flush();
  }
  bool plaintext_ok() const {
    return conn().tls() || cfg_.allow_plaintext_auth;
  }
  std::string capa() const;

  SessionDeps d_;
  const SessionConfig &cfg_;
  std::string listener_;
  std::string id_; // for logs and the lease holder
  Clock::time_point started_;

  State state_ = State::kAuthorization;
  size_t auth_failures_ = 0;
  std::string pending_user_; // USER given, PASS awaited
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
  std::vector<int64_t> retrieved_uids_;  ///< RETR'd whole: \Seen at QUIT
  int deleted_ = 0;
};

} // namespace mail::pop3d::detail
