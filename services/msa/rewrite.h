// SPDX-License-Identifier: Apache-2.0
// rewrite: what the msa changes in a message before handing it to the mta.
//
//   - a new Received: trace field on top (RFC 5321 4.4, protocol names RFC 3848);
//   - any Return-Path field removed, continuation lines included (RFC 5321
//     4.4: the final delivery adds it; a submitted one is forged or stale);
//   - on submission only, Date and Message-ID added when missing (RFC 6409 8.2, 8.3).
//
// Pure: bytes and facts in, the new header prefix out; the clock and the
// random Message-ID part are inputs. The body is never copied or changed: the
// result says where in the original message the unchanged remainder starts.
// Everything in `message` and in TraceInfo::helo is untrusted client text.
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/mime/header.h"

namespace mail::msa {

/// The facts for the Received field.
struct TraceInfo {
  std::string helo;         ///< the HELO/EHLO argument as sent (sanitised here)
  std::string client_name;  ///< verified reverse DNS name, or "" for unknown
  std::string client_ip;    ///< "192.0.2.1" or "2001:db8::1"
  std::string hostname;     ///< ours
  std::string protocol;     ///< SMTP, ESMTP, ESMTPS, ESMTPSA (RFC 3848)
  std::string id;           ///< transaction id (also in our logs)
  std::string tls_version;  ///< "TLSv1.3"; empty without TLS
  std::string tls_cipher;
  int tls_bits = 0;
  std::optional<std::string> for_recipient;  ///< set when there is exactly one
  std::time_t time = 0;
};

struct RewriteOptions {
  bool submission = false;       ///< add Date / Message-ID when missing
  std::string message_id;        ///< "<random@hostname>" to use when one is missing
  std::time_t now = 0;           ///< for an added Date
  mime::Limits header_limits{};  ///< bounds the header scan
  /// With our own Received field, this many or more is a mail loop (RFC 5321
  /// 6.3); refused at DATA so that nobody is owed a bounce.
  size_t max_received = 100;
};

struct Rewritten {
  /// New trace and added fields, then the original header section without
  /// Return-Path (its empty separator line included when it had one).
  std::string head;
  /// Where the unchanged rest of the original message starts; the message
  /// to send is head + message.substr(body_offset).
  size_t body_offset = 0;
  bool inserted_blank_line = false;  ///< the header section ended at a line that is not a field
  bool added_date = false;
  bool added_message_id = false;
};

/// The header section was over the limits (too large or too many fields),
/// or the message has looped (too_many_hops).
struct RewriteError {
  std::string text;
  bool too_many_hops = false;
};

/// RFC 5322 3.3 date-time in UTC: "Sun, 29 Nov 2026 07:00:00 +0000".
std::string format_date(std::time_t t);

/// "Received: from ..." with CRLF line ends, folded so that no line exceeds
/// 998 octets; the client-supplied HELO is reduced to safe characters.
std::string format_received(const TraceInfo& trace);

/// The protocol keyword of RFC 3848 for the Received field and the envelope.
std::string protocol_name(bool ehlo, bool tls, bool authenticated);

/// Applies the changes listed at the top of this file. `message` is the
/// decoded DATA (CRLF lines, no dot-stuffing).
std::variant<Rewritten, RewriteError> rewrite_message(std::string_view message, const TraceInfo& trace,
                                                      const RewriteOptions& options);

}  // namespace mail::msa
