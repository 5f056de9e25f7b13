// SPDX-License-Identifier: Apache-2.0
// Session: one SMTP server conversation (RFC 5321) over a net::Connection, in
// one of the three roles (MX, submission, submissions), on the shared session
// loop of libs/net (which also drains it when the process stops).
//
// Trusts: nothing the client sends. Command lines are bounded by the read
// limit and parsed by the pure smtp parser; DATA goes through smtp::DataDecoder
// (CRLF.CRLF only, bare CR/LF refused, size and line limits); error and AUTH
// failure counts end abusive connections; the shared login throttle
// (directory::LoginThrottle) is asked before every password check and told
// every verdict. Directory, throttle and mta calls block, so
// they run on the blocking pool through net::offload; the session itself
// stays on its connection's strand.
//
// Replies are queued and written when no further complete command is
// buffered (RFC 2920 pipelining: one write per batch), and always before
// waiting for the client (354, 334, 220 to STARTTLS, closing). A client that
// has not authenticated and sends more input behind a command that must end
// a pipelined group (EHLO, DATA, QUIT, STARTTLS, ...) is out of step: 554
// 5.5.0 and disconnect, as Postfix 3.9's smtpd_forbid_unauth_pipelining.
//
// Diagnostics: one log line per accepted message and per refused transaction
// or recipient; never passwords or AUTH payloads.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "data_budget.h"
#include "mail/directory/client/directory_client.h"
#include "mail/directory/login_throttle.h"
#include "mail/net/asio.h"
#include "mail/net/command_table.h"
#include "mail/net/connection.h"
#include "mail/net/session.h"
#include "mail/smtp/command.h"
#include "mail/smtp/data.h"
#include "msa_metrics.h"
#include "mta_client.h"
#include "policy.h"

namespace mail::msa {

/// What every session of a process shares. All referenced objects outlive
/// the sessions (the net::Runtime ends every session before the service's
/// objects go).
struct SessionContext {
  const SmtpSettings& settings;
  net::asio::ssl::context* tls;  ///< nullptr: no certificate, so no STARTTLS and no AUTH
  directory::DirectoryClient& directory;
  MtaClient& mta;
  net::asio::thread_pool& blocking;
  MsaMetrics& metrics;
  net::SessionRegistry& registry;
  DataBudget& budget;  ///< smtp.data_memory_budget, shared by every session's DATA
  /// The process's shared failed-login throttle (Redis); nullptr: none.
  directory::LoginThrottle* throttle = nullptr;
};

/// One SMTP conversation on the shared session loop (net::Session): the
/// engine reads the command lines, queues and flushes the replies, counts
/// errors, applies the timeouts and drains; this class supplies the SMTP
/// commands through its command table.
class Session : public net::Session {
 public:
  Session(net::Connection& conn, Listener listener, const SessionContext& ctx);

  /// The states the command table speaks of.
  enum class State { kFresh, kGreeted, kMail };

 protected:
  net::awaitable<void> start() override;
  net::awaitable<void> on_frame(std::string line) override;
  void on_line_too_long() override;
  std::string idle_goodbye() override;
  std::string drain_goodbye() override;
  std::string errors_goodbye(std::string last) override;
  bool busy() const override { return txn_.active; }
  void on_disconnect(net::Status) override;
  net::awaitable<void> finish() override;

 private:
  using Handler = net::awaitable<void> (Session::*)(const smtp::Command&);
  struct Row {
    Handler handle;
    /// The refusal when the verb is used in a state it is not allowed in.
    smtp::Reply (*refuse)(State);
  };
  static const net::CommandTable<smtp::Verb, Row, 14> kCommands;
  State state() const { return txn_.active ? State::kMail : greeted_ ? State::kGreeted : State::kFresh; }
  /// RFC 2920 3.1: a command that must end a pipelined group, with more
  /// input behind it, from a client that has not authenticated.
  bool out_of_sync(smtp::Verb verb) const;

  struct Transaction {
    bool active = false;  ///< MAIL accepted
    std::string sender;   ///< normalized; empty for the null sender
    std::optional<uint64_t> size;
    bool body_8bitmime = false;
    std::vector<std::string> recipients;  ///< accepted, normalized, unique
    size_t rcpt_refused = 0;
  };

  /// What EHLO announces and HELP lists depend on: the listener and its TLS state.
  EhloState ehlo_state() const;
  net::awaitable<void> do_helo(const smtp::Command& cmd);
  net::awaitable<void> do_mail(const smtp::Command& cmd);
  net::awaitable<void> do_rcpt(const smtp::Command& cmd);
  net::awaitable<void> do_small(const smtp::Command& cmd);  ///< RSET NOOP QUIT VRFY EXPN HELP BDAT
  // DATA (session_data.cpp): the message is forwarded to the mta chunk by
  // chunk as it arrives (Incoming holds one DATA in progress).
  struct Incoming;
  net::awaitable<void> do_data(const smtp::Command& cmd);
  net::awaitable<bool> read_message(Incoming& in);
  net::awaitable<void> make_room(Incoming& in);
  void rewrite_header(Incoming& in, bool at_end);
  net::awaitable<bool> send_chunk(Incoming& in, size_t n);
  void stop_buffering(Incoming& in, std::string_view reason, const smtp::Reply& r);
  net::awaitable<void> discard_staging(Incoming& in);
  net::awaitable<void> submit(Incoming& in);
  template <class Call>
  net::awaitable<SubmitResult> with_mta_retry(const char* what, Call call);
  net::awaitable<void> wait_for_mta(std::chrono::steady_clock::time_point until);
  net::awaitable<void> do_starttls(const smtp::Command& cmd);  // session_auth.cpp
  net::awaitable<void> do_auth(const smtp::Command& cmd);
  net::awaitable<void> auth_failed(const char* why);
  /// The login throttle's word before the password is checked: false when
  /// it refused (the reply is queued); a delay is waited here.
  net::awaitable<bool> throttle_allows(const std::string& ip, const std::string& account);
  /// Tells the throttle how the directory answered (not for "unavailable").
  net::awaitable<void> throttle_report(const std::string& ip, const std::string& account, bool ok);

  void reply(const smtp::Reply& r);
  void reply(int code, std::string_view enhanced, std::string_view text);
  /// Queues preformatted wire text (multi-line replies, SASL results); a
  /// 5xx counts toward smtp.max_errors.
  void reply_wire(int code, std::string wire);
  void reset_transaction();
  void refuse_transaction(std::string_view reason, const smtp::Reply& r);
  std::string protocol() const;
  std::string new_transaction_id();

  Listener listener_;
  SessionContext ctx_;
  const SmtpSettings& settings_;
  std::string session_id_;
  uint64_t transactions_ = 0;
  std::chrono::steady_clock::time_point started_;

  std::string client_name_;  ///< verified reverse DNS, "" = unknown
  bool greeted_ = false;
  bool ehlo_ = false;
  std::string helo_;
  bool authenticated_ = false;
  std::string auth_user_;  ///< normalized account address
  int64_t account_id_ = 0;
  std::optional<std::vector<std::string>> sender_addresses_;  ///< fetched on first MAIL
  Transaction txn_;
  size_t auth_failures_ = 0;
};

}  // namespace mail::msa
