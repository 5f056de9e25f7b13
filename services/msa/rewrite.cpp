// SPDX-License-Identifier: Apache-2.0
// Header changes the msa makes before the mta sees a message (see rewrite.h).
// Pure: no clock, no randomness, no I/O. The header scan is bounded by
// mime::Limits; the body is not touched.
#include "rewrite.h"

#include <algorithm>
#include <cstdio>

namespace mail::msa {
namespace {

// A HELO argument is client text: keep what can appear in a domain or an
// address literal, replace the rest, and bound the length.
std::string safe_helo(std::string_view helo) {
  std::string out;
  for (char ch : helo.substr(0, 255)) {
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_' || c == ':' || c == '[' || c == ']';
    out += ok ? ch : '_';
  }
  return out.empty() ? "unknown" : out;
}

// A DNS name from our own lookup; still checked, it came from the network.
std::string safe_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return "unknown";
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
          c == '_'))
      return "unknown";
  }
  return std::string(name);
}

// Token text we produced (protocol, cipher names, ids): printable, no specials.
std::string safe_token(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 128)) {
    auto c = static_cast<unsigned char>(ch);
    out += (c > 32 && c < 127 && c != '(' && c != ')' && c != ';' && c != '\\') ? ch : '_';
  }
  return out;
}

}  // namespace

std::string format_date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string protocol_name(bool ehlo, bool tls, bool authenticated) {
  // RFC 3848: SMTP for HELO; ESMTP plus S (TLS) and A (AUTH). STARTTLS and
  // AUTH are service extensions, so a session that used them is ESMTP even
  // if it said HELO.
  if (!ehlo && !tls && !authenticated) return "SMTP";
  std::string p = "ESMTP";
  if (tls) p += 'S';
  if (authenticated) p += 'A';
  return p;
}

std::string format_received(const TraceInfo& t) {
  // Received: from <helo> (<name> [<ip>])
  //         (using TLSv1.3 with cipher X (256/256 bits))
  //         by <host> (mail-msa) with <proto> id <id>
  //         for <rcpt>; <date>
  std::string ip = safe_token(t.client_ip);
  if (ip.find(':') != std::string::npos) ip = "IPv6:" + ip;  // RFC 5321 4.1.3 address literal
  std::string out = "Received: from " + safe_helo(t.helo) + " (" + safe_name(t.client_name) + " [" + ip + "])\r\n";
  if (!t.tls_version.empty()) {
    std::string bits = std::to_string(t.tls_bits);
    out += "\t(using " + safe_token(t.tls_version) + " with cipher " + safe_token(t.tls_cipher) + " (" + bits + "/" +
           bits + " bits))\r\n";
  }
  out += "\tby " + safe_name(t.hostname) + " (mail-msa) with " + safe_token(t.protocol) + " id " + safe_token(t.id);
  if (t.for_recipient) {
    // A normalized address; angle brackets and CR/LF cannot be in it, but
    // check rather than trust the caller.
    std::string r;
    for (char ch : t.for_recipient->substr(0, 320)) {
      auto c = static_cast<unsigned char>(ch);
      r += (c > 32 && c != 127 && c != '<' && c != '>' && c != ';') ? ch : '_';
    }
    out += "\r\n\tfor <" + r + ">";
  }
  out += ";\r\n\t" + format_date(t.time) + "\r\n";
  return out;
}

std::variant<Rewritten, RewriteError> rewrite_message(std::string_view message, const TraceInfo& trace,
                                                      const RewriteOptions& options) {
  auto parsed = mime::parse_header(message, options.header_limits);
  if (auto* e = std::get_if<mime::Error>(&parsed)) return RewriteError{e->text};
  const auto& header = std::get<mime::Header>(parsed);
  // The header section ends at the first line that is not a field (a line
  // without a colon, an mbox "From ", a continuation with nothing to
  // continue): from there on it is body, and a blank line goes in front of
  // it, as Postfix's cleanup does. Otherwise such a line would continue our
  // own Received field, or run into the fields above it.
  auto first_bad = std::find_if(header.fields.begin(), header.fields.end(), [](const mime::Field& f) { return !f.valid; });
  const std::vector<mime::Field> fields(header.fields.begin(), first_bad);
  const bool body_without_blank_line = first_bad != header.fields.end();
  const size_t section_end = body_without_blank_line ? first_bad->offset : header.end;
  if (mime::count_fields(fields, "Received") + 1 >= options.max_received)
    return RewriteError{"too many Received fields: mail loop", true};

  Rewritten r;
  r.body_offset = section_end;
  r.inserted_blank_line = body_without_blank_line;
  r.head = format_received(trace);
  if (options.submission) {
    // Added right below our Received field: they are then certainly in the
    // header section even when the client's "header" starts with a line
    // that is not a field.
    if (mime::count_fields(fields, "Date") == 0) {
      r.head += "Date: " + format_date(options.now) + "\r\n";
      r.added_date = true;
    }
    if (mime::count_fields(fields, "Message-ID") == 0 && !options.message_id.empty()) {
      r.head += "Message-ID: " + options.message_id + "\r\n";
      r.added_message_id = true;
    }
  }
  std::string_view section = message.substr(0, section_end);
  if (mime::count_fields(fields, "Return-Path") == 0)
    r.head.append(section);
  else
    r.head += mime::remove_fields(section, "Return-Path");
  if (body_without_blank_line) r.head += "\r\n";
  return r;
}

}  // namespace mail::msa
