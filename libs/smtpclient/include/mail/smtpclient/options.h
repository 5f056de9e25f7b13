// SPDX-License-Identifier: Apache-2.0
// options.h: what the outbound SMTP client (mail/smtpclient/session.h) is
// given and what it hands back: the session options (our name, the TLS
// policy, smarthost credentials, the RFC 5321 4.5.3.2 timeouts, reply
// limits), the message to carry (envelope and a streamed body) and the
// outcomes (one per recipient, or one for a session that could not start).
//
// Trusts: the caller (the mta) for everything here. Outcome texts hold the
// server's reply in summary form ("550 5.1.1 no such user") or our own words
// for local failures ("timeout waiting for reply to RCPT"); they never hold
// credentials, so they may go into logs and DSNs as they are.
#pragma once
#include "mail/net/asio.h"  // first: Asio needs <utility> ahead of it

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mail/common/result.h"
#include "mail/smtp/reply_parser.h"

namespace mail::smtp::client {

/// How STARTTLS (RFC 3207) is used; Postfix's smtp_tls_security_level.
enum class TlsPolicy {
  /// Never; the session stays in clear text even when STARTTLS is offered.
  none,
  /// Opportunistic: STARTTLS when offered (and a context is configured), any
  /// certificate accepted. Clear text when it is not offered, or when the
  /// server refuses the STARTTLS command itself with a reply (the session is
  /// still in step then, as Postfix continues at this level). A handshake
  /// that fails is a SessionError: the stream is no longer usable.
  may,
  /// STARTTLS required, the certificate not checked.
  encrypt,
  /// STARTTLS required and the certificate verified against tls_server_name
  /// (tls_ctx must be a verifying context: net::TlsVerify::required).
  verify,
};

/// "none", "may", "encrypt", "verify".
const char* to_string(TlsPolicy policy);

/// Smarthost credentials: AUTH PLAIN (RFC 4616), or LOGIN when only LOGIN
/// is offered. Sent only over TLS unless allow_plaintext_auth.
struct Credentials {
  std::string user, password;
};

struct ClientOptions {
  /// Our name in EHLO/HELO: a domain or an address literal ("[192.0.2.1]").
  std::string helo_name;
  TlsPolicy tls = TlsPolicy::may;
  /// The client context for STARTTLS (net::make_client_tls_context): a
  /// verifying one for TlsPolicy::verify. Must outlive the session. nullptr:
  /// no TLS possible (policy may then stays in clear text; encrypt and
  /// verify fail).
  boost::asio::ssl::context* tls_ctx = nullptr;
  /// SNI and the name the certificate must carry under verify: the MX host
  /// name (or the smarthost's). Also names the peer in peer().
  std::string tls_server_name;
  std::optional<Credentials> auth;
  /// Send credentials over a clear-text connection (a smarthost on a
  /// trusted network); off by default, as Postfix's smtp_sasl_tls_security_options.
  bool allow_plaintext_auth = false;
  /// RFC 5321 4.5.3.2 timeouts, each for one whole reply (however slowly a
  /// server trickles it) or one block of the body. The Connection's own
  /// deadline (net::ConnectOptions::deadline) still bounds everything.
  std::chrono::milliseconds greeting_timeout{300000}, ehlo_timeout{300000}, mail_timeout{300000},
      rcpt_timeout{300000}, data_init_timeout{120000}, data_block_timeout{180000}, data_end_timeout{600000},
      quit_timeout{5000};
  /// STARTTLS, AUTH and RSET replies (RFC 5321 has no figure; Postfix uses
  /// 300 s for each).
  std::chrono::milliseconds starttls_timeout{300000}, auth_timeout{300000}, rset_timeout{300000};
  /// Bounds of every reply read (line length, lines, total size).
  ReplyLimits reply_limits;
  /// RCPT commands sent in one write before their replies are read (with
  /// PIPELINING), so a long recipient list never has both sides blocked
  /// writing (RFC 2920 3.1).
  size_t pipeline_group = 100;
};

/// The message body, streamed: the caller reads it from PostgreSQL chunk by
/// chunk. The bytes are the message as stored (any line ends; dot-stuffing
/// and CRLF are the client's business). next() must not throw: an error is
/// a Result, and ends the transaction with a tempfail for every recipient
/// (the connection is dropped, so no truncated message is ever delivered).
class BodySource {
 public:
  virtual ~BodySource() = default;
  /// The next chunk; "" at the end of the message.
  virtual net::awaitable<common::Result<std::string>> next() = 0;
};

/// The envelope of one transaction.
struct OutboundMessage {
  std::string sender;  ///< "" is the null sender (bounces)
  std::vector<std::string> recipients;
  uint64_t size = 0;  ///< bytes of the body, for SIZE= (RFC 1870)
  bool eightbit = false;  ///< BODY=8BITMIME when the server offers 8BITMIME
  /// The message needs SMTPUTF8 (RFC 6531): sent with it when offered,
  /// otherwise permfail 5.6.7 for every recipient (RFC 6531 3.2).
  bool smtputf8 = false;
};

/// What became of one recipient.
struct RecipientOutcome {
  enum class Kind { delivered, tempfail, permfail } kind = Kind::tempfail;
  /// The server's reply code; 0 when the outcome is ours (no reply, or we
  /// refused before asking).
  int code = 0;
  /// The server's enhanced status code, "<class>.0.0" when its reply had
  /// none; ours for local outcomes ("4.4.2" lost connection or timeout,
  /// "4.5.0" protocol error, "5.3.4" too big, ...).
  std::string enhanced;
  /// The server's reply in summary form, or our own words.
  std::string text;
};

/// "delivered", "tempfail", "permfail".
const char* to_string(RecipientOutcome::Kind kind);

/// Why a session could not be opened (nothing was sent for any message).
struct SessionError {
  /// The messages for this destination should bounce; false: try later or
  /// another MX. Only a permanent refusal of HELO is permanent: a 5xx
  /// greeting is not (another MX may take it; Postfix's
  /// smtp_skip_5xx_greeting), nor any TLS or AUTH failure (a configuration
  /// to fix, then retried; Postfix's smtp_sasl_auth_soft_bounce).
  bool permanent = false;
  int code = 0;          ///< the server's reply code, 0 when ours
  std::string enhanced;  ///< as in RecipientOutcome
  std::string text;      ///< our words, then the server's reply summary when one caused it
  /// "connect", "greeting", "ehlo", "helo", "starttls", "tls", "auth".
  std::string stage;
};

/// A net::connect failure as a SessionError (stage "connect", tempfail),
/// so the caller reports every failure to reach a server the same way.
SessionError connect_failure(const common::Error& error);

}  // namespace mail::smtp::client
