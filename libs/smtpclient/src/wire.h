// SPDX-License-Identifier: Apache-2.0
// wire.h: the client session's two primitives over a net::Connection, one
// reply read and one write, each bounded in time as a whole, and the words
// for what went wrong. Internal to mail_smtp_client.
//
// Trusts: nothing from the server. Replies are framed by the ReplyParser
// straight from the Connection's buffer, consuming exactly one reply, so
// pipelined replies stay buffered for the next read and bytes after a
// "220" to STARTTLS stay for the handshake to discard. A reply gets one
// deadline for all of it (a server trickling one byte per second cannot
// stretch a five-minute timeout into five hours); the Connection's own
// deadline still applies on top.
// Diagnostics: WireError, put into words by describe().
#pragma once
#include "mail/net/asio.h"  // first: Asio needs <utility> ahead of it

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "mail/net/connection.h"
#include "mail/smtp/reply_parser.h"
#include "mail/smtpclient/options.h"

namespace mail::smtp::client::detail {

/// Why a read or a write did not complete.
struct WireError {
  enum class Kind {
    read_timeout,   ///< no complete reply in time
    closed,         ///< the server closed the connection
    read_failed,    ///< reset, TLS error, closed locally
    bad_reply,      ///< the reply is malformed or over the limits (detail: the parser's error name)
    write_timeout,  ///< a write did not complete in time
    write_failed,   ///< a write failed (reset, closed)
  } kind;
  std::string detail;
};

using ReplyOrError = std::variant<ServerReply, WireError>;

class Wire {
 public:
  Wire(net::Connection& conn, const ReplyLimits& limits) : conn_(conn), parser_(limits) {}

  /// The next reply, within `timeout` for all of it.
  net::awaitable<ReplyOrError> read_reply(std::chrono::milliseconds timeout);
  /// Writes all of `data` (valid until done) within `timeout`; nullopt on success.
  net::awaitable<std::optional<WireError>> write(std::string_view data, std::chrono::milliseconds timeout);
  /// write(line), then read_reply(), each within `timeout`.
  net::awaitable<ReplyOrError> command(std::string_view line, std::chrono::milliseconds timeout);
  /// Forgets any partial reply (before a TLS handshake).
  void reset() { parser_.reset(); }

 private:
  net::Connection& conn_;
  ReplyParser parser_;
};

/// Our words for a failure around `what` ("RCPT", "end of data", "the
/// message body"): "timeout waiting for reply to RCPT", "connection lost
/// after DATA: the server closed the connection", "bad reply to MAIL:
/// bad_code", "connection lost while sending the message body".
std::string describe(const WireError& error, std::string_view what);

/// The enhanced code we give a failure of ours: 4.5.0 for a bad reply
/// (protocol error), 4.4.2 (bad connection) for the rest.
std::string local_enhanced(const WireError& error);

/// The reply's enhanced code, or "<class>.0.0" when it has none.
std::string enhanced_or_default(const ServerReply& reply);

/// A reply as a recipient's outcome: 2xx delivered (when `final`; else the
/// caller decides), 4xx tempfail, 5xx permfail; code, enhanced and summary.
RecipientOutcome outcome_from(const ServerReply& reply);

/// A local tempfail (code 0) with our words.
RecipientOutcome local_tempfail(std::string enhanced, std::string text);

/// open() failed for want of a reply: tempfail, our words, no code.
SessionError session_error(const WireError& error, std::string_view what, const char* stage);
/// open() failed on the server's reply: "<words>: <summary>".
SessionError session_error(const ServerReply& reply, std::string_view words, const char* stage, bool permanent);
/// open() failed for a reason of ours (configuration, policy).
SessionError session_error(std::string enhanced, std::string text, const char* stage);

}  // namespace mail::smtp::client::detail
