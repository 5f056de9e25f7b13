// SPDX-License-Identifier: Apache-2.0
// Builds the bounce message (RFC 3464 delivery-status report).
#include "mail/queue/dsn.h"

#include <optional>
#include <utility>

#include <cstdio>

namespace mail::queue {
namespace {

std::string rfc5322_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// One line of printable US-ASCII: control characters (CR, LF included) and
// 8-bit bytes become '?', so nothing from a peer can start a new field.
std::string one_line(std::string_view s, size_t max = 900) {
  std::string out;
  for (char ch : s.substr(0, max)) {
    unsigned char c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c >= 0x7f) ? '?' : ch;
  }
  return out;
}

// The header section with every line ending in CRLF; bare CR/LF normalized.
std::string normalized_headers(std::string_view h) {
  if (h.size() > kMaxReturnedHeaders) h = h.substr(0, kMaxReturnedHeaders);
  std::string out;
  out.reserve(h.size() + 2);
  for (size_t i = 0; i < h.size(); ++i) {
    char c = h[i];
    if (c == '\r') {
      if (i + 1 < h.size() && h[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  auto ends_with = [&](std::string_view tail) {
    return out.size() >= tail.size() && std::string_view(out).substr(out.size() - tail.size()) == tail;
  };
  while (ends_with("\r\n\r\n")) out.resize(out.size() - 2);  // drop the empty separator line(s)
  if (out == "\r\n") out.clear();
  if (!out.empty() && !ends_with("\r\n")) out += "\r\n";
  return out;
}

constexpr std::string_view kHost = "host ";
constexpr std::string_view kSaid = " said: ";

// The server's name and its reply from what remote_reply_detail() wrote;
// nullopt for anything else.
std::optional<std::pair<std::string, std::string>> remote_reply(std::string_view d) {
  if (d.substr(0, kHost.size()) != kHost) return std::nullopt;
  const size_t bracket = d.find('[', kHost.size());
  const size_t said = d.find(kSaid);
  if (bracket == std::string_view::npos || said == std::string_view::npos || bracket > said || bracket == kHost.size())
    return std::nullopt;
  return std::make_pair(std::string(d.substr(kHost.size(), bracket - kHost.size())),
                        std::string(d.substr(said + kSaid.size())));
}

}  // namespace

std::string remote_reply_detail(std::string_view peer, std::string_view reply) {
  return std::string(kHost) + std::string(peer) + std::string(kSaid) + std::string(reply);
}

std::string build_dsn(const DsnInput& in) {
  const std::string host = one_line(in.reporting_host, 255);
  const std::string b = one_line(in.boundary, 70);
  std::string m;
  m += "From: Mail Delivery System <MAILER-DAEMON@" + host + ">\r\n";
  m += "To: <" + one_line(in.original_sender, 320) + ">\r\n";
  m += in.delayed ? "Subject: Delayed Mail (still being retried)\r\n" : "Subject: Undelivered Mail Returned to Sender\r\n";
  m += "Date: " + rfc5322_date(in.now) + "\r\n";
  m += "Message-ID: " + one_line(in.message_id, 255) + "\r\n";
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + b + "\"\r\n";
  m += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  m += "--" + b + "\r\n";
  m += "Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  m += "This is the mail system at host " + host + ".\r\n\r\n";
  if (in.delayed) {
    m += "Your message could not be delivered yet to one or more recipients. The\r\n";
    m += "mail system keeps trying until " + rfc5322_date(in.retry_until) + "; you need\r\n";
    m += "not send it again. The reasons so far are below; the headers of your\r\n";
    m += "message are attached.\r\n\r\n";
  } else {
    m += "Your message could not be delivered to one or more recipients, and the\r\n";
    m += "mail system has given up on them. The reasons are below; the headers of\r\n";
    m += "your message are attached.\r\n\r\n";
  }
  for (const auto& f : in.failed)
    m += "<" + one_line(f.address, 320) + ">: " + one_line(f.status, 16) + " " + one_line(f.diagnostic) + "\r\n";
  m += "\r\n";

  m += "--" + b + "\r\n";
  m += "Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n";
  m += "Reporting-MTA: dns; " + host + "\r\n";
  m += "X-Queue-ID: " + one_line(in.queue_id, 64) + "\r\n";
  m += "X-Original-Sender: rfc822; " + one_line(in.original_sender, 320) + "\r\n";
  m += "Arrival-Date: " + rfc5322_date(in.arrival) + "\r\n";
  for (const auto& f : in.failed) {
    m += "\r\n";
    m += "Final-Recipient: rfc822; " + one_line(f.address, 320) + "\r\n";
    m += in.delayed ? "Action: delayed\r\n" : "Action: failed\r\n";
    m += "Status: " + one_line(f.status, 16) + "\r\n";
    // A remote server's refusal is reported as that server's SMTP reply
    // (RFC 3464 2.3.5, 2.3.6); our own reasons as X-mail.
    if (auto remote = remote_reply(f.diagnostic)) {
      m += "Remote-MTA: dns; " + one_line(remote->first, 255) + "\r\n";
      m += "Diagnostic-Code: smtp; " + one_line(remote->second) + "\r\n";
    } else {
      m += "Diagnostic-Code: X-mail; " + one_line(f.diagnostic) + "\r\n";
    }
    if (in.delayed) m += "Will-Retry-Until: " + rfc5322_date(in.retry_until) + "\r\n";
  }
  m += "\r\n";

  m += "--" + b + "\r\n";
  m += "Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n";
  m += normalized_headers(in.original_headers);
  m += "\r\n--" + b + "--\r\n";
  return m;
}

}  // namespace mail::queue
