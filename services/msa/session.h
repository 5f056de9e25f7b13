// SPDX-License-Identifier: Apache-2.0
// Session: one SMTP server conversation (RFC 5321) over a net::Connection, in
// one of the three roles (MX, submission, submissions), and the registry that
// lets a stopping process end idle sessions politely.
//
// Trusts: nothing the client sends. Command lines are bounded by the read
// limit and parsed by the pure smtp parser; DATA goes through smtp::DataDecoder
// (CRLF.CRLF only, bare CR/LF refused, size and line limits); error and AUTH
// failure counts end abusive connections. Directory and mta calls block, so
// they run on the blocking pool through net::offload; the session itself
// stays on its connection's strand.
//
// Replies are queued and written when no further complete command is
// buffered (RFC 2920 pipelining: one write per batch), and always before
// waiting for the client (354, 334, 220 to STARTTLS, closing).
//
// Diagnostics: one log line per accepted message and per refused transaction
// or recipient; never passwords or AUTH payloads.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "mail/directory/client/directory_client.h"
#include "mail/net/asio.h"
#include "mail/net/connection.h"
#include "mail/smtp/command.h"
#include "mail/smtp/data.h"
#include "msa_metrics.h"
#include "mta_client.h"
#include "policy.h"

namespace mail::msa {

class Session;

/// The live sessions of a process, for the graceful stop: drain() tells each
/// one to finish its current transaction and then say 421 and close; sessions
/// idle at the command prompt close at once.
class SessionRegistry {
 public:
  uint64_t add(std::weak_ptr<Session> session);
  void remove(uint64_t id);
  /// From any thread; idempotent.
  void drain();
  bool draining() const { return draining_.load(); }
  size_t size() const;

 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;
  std::atomic<bool> draining_{false};
};

/// What every session of a process shares. All referenced objects outlive
/// the sessions.
struct SessionContext {
  const SmtpSettings& settings;
  net::asio::ssl::context* tls;  ///< nullptr: no certificate, so no STARTTLS and no AUTH
  directory::DirectoryClient& directory;
  MtaClient& mta;
  net::asio::thread_pool& blocking;
  MsaMetrics& metrics;
  SessionRegistry& registry;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::Connection& conn, Listener listener, const SessionContext& ctx);

  /// The whole conversation, greeting to close. Call once, on the
  /// connection's strand (the net::Server handler).
  net::awaitable<void> run();

  /// Asks the session to end after its current transaction (from any thread).
  void request_drain();

 private:
  struct Transaction {
    bool active = false;  ///< MAIL accepted
    std::string sender;   ///< normalized; empty for the null sender
    std::optional<uint64_t> size;
    bool body_8bitmime = false;
    std::vector<std::string> recipients;  ///< accepted, normalized, unique
    size_t rcpt_refused = 0;
  };

  net::awaitable<void> command_loop();
  net::awaitable<void> dispatch(const std::string& line);
  void on_drain();

  /// What EHLO announces and HELP lists depend on: the listener and its TLS state.
  EhloState ehlo_state() const;
  void do_helo(const smtp::Command& cmd);
  net::awaitable<void> do_mail(const smtp::Command& cmd);
  net::awaitable<void> do_rcpt(const smtp::Command& cmd);
  net::awaitable<void> do_data();  // session_data.cpp
  net::awaitable<bool> read_message(std::string& message, smtp::DataError& error);
  net::awaitable<void> submit(std::string message);
  net::awaitable<SubmitResult> submit_with_retry(const mail::transfer::v1::Envelope& env, std::string_view head,
                                                 std::string_view body, std::chrono::steady_clock::time_point give_up);
  net::awaitable<void> wait_for_mta(std::chrono::steady_clock::time_point until);
  net::awaitable<void> do_starttls();  // session_auth.cpp
  net::awaitable<void> do_auth(const smtp::Command& cmd);
  net::awaitable<void> auth_failed(const char* why);

  void reply(const smtp::Reply& r);
  void reply(int code, std::string_view enhanced, std::string_view text);
  /// Queues preformatted wire text (multi-line replies, SASL results).
  void reply_wire(int code, std::string wire);
  net::awaitable<bool> flush();
  bool command_buffered() const;
  void reset_transaction();
  void refuse_transaction(std::string_view reason, const smtp::Reply& r);
  std::string protocol() const;
  std::string new_transaction_id();

  net::Connection& conn_;
  Listener listener_;
  SessionContext ctx_;
  const SmtpSettings& settings_;
  uint64_t registry_id_ = 0;
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

  std::string out_;  ///< queued replies
  size_t errors_ = 0;
  size_t auth_failures_ = 0;
  bool closing_ = false;
  bool drain_requested_ = false;
  bool waiting_command_ = false;  ///< suspended at the command prompt
};

}  // namespace mail::msa
