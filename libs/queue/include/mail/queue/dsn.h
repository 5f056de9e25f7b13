// SPDX-License-Identifier: Apache-2.0
// Delivery status notifications (RFC 3464 inside RFC 6522 multipart/report):
// the bounce the queue sends to the sender of a message that failed for good.
// Pure: data in, message text (CRLF lines) out. The bounce is sent with a
// null reverse-path and Auto-Submitted: auto-replied (RFC 3834), so it is never
// bounced itself. Trusts: nothing in the failure details or the original
// header section (they are made safe for a header or a report field).
#pragma once
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace mail::queue {

struct FailedRecipient {
  std::string address;
  std::string status;      // enhanced status code, e.g. 5.1.1
  std::string diagnostic;  // human-readable reason
};

struct DsnInput {
  std::string reporting_host;    // our host name (Reporting-MTA, From)
  std::string queue_id;          // of the failed message
  std::string original_sender;   // the bounce goes here
  std::time_t arrival = 0;       // when the failed message was accepted
  std::time_t now = 0;
  std::vector<FailedRecipient> failed;
  std::string original_headers;  // header section of the failed message (may be cut)
  std::string boundary;          // unique MIME boundary (random)
  std::string message_id;        // "<...@host>"
  /// A delay warning (Action: delayed) instead of a bounce: the recipients
  /// in `failed` are still being retried, until `retry_until`.
  bool delayed = false;
  std::time_t retry_until = 0;
};

/// Longest header section returned in the text/rfc822-headers part.
inline constexpr size_t kMaxReturnedHeaders = 64 * 1024;

std::string build_dsn(const DsnInput& in);

/// How a remote server's reply is recorded as a recipient's last error
/// ("host mx.example[192.0.2.1]:25 said: 550 5.1.1 ..."): `peer` as the mta
/// names it ("name[address]:port"), `reply` the server's reply summary.
/// build_dsn() recognises this form and reports it as the server's SMTP
/// reply (Remote-MTA, Diagnostic-Code: smtp).
std::string remote_reply_detail(std::string_view peer, std::string_view reply);

}  // namespace mail::queue
