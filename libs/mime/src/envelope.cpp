// SPDX-License-Identifier: Apache-2.0
// ENVELOPE extraction and writer (RFC 3501 §7.4.2, §9 "envelope"). Trusts
// nothing in the header: fields come from parse_header(), address lists from
// parse_address_list(); missing fields are NIL. Over-limit headers are cut at
// the limit rather than refused (parse_header_prefix: the envelope of what
// fits). No diagnostics.
#include "mail/mime/envelope.h"

#include "mail/mime/imap_string.h"

namespace mail::mime {
namespace {

std::optional<std::string> text(const std::vector<Field>& fields, std::string_view name) {
  const Field* f = find_field(fields, name);
  if (!f) return std::nullopt;
  return field_value(*f);
}

std::vector<Address> addresses(const std::vector<Field>& fields, std::string_view name, const Limits& limits) {
  const Field* f = find_field(fields, name);
  if (!f) return {};
  return parse_address_list(f->value, limits);
}

void append_address(std::string& out, const Address& a) {
  out.push_back('(');
  append_imap_nstring(out, a.name);
  out.push_back(' ');
  append_imap_nstring(out, a.adl);
  out.push_back(' ');
  append_imap_nstring(out, a.mailbox);
  out.push_back(' ');
  append_imap_nstring(out, a.host);
  out.push_back(')');
}

}  // namespace

Envelope envelope_from_fields(const std::vector<Field>& fields, const Limits& limits) {
  Envelope e;
  e.date = text(fields, "Date");
  e.subject = text(fields, "Subject");
  e.from = addresses(fields, "From", limits);
  e.sender = addresses(fields, "Sender", limits);
  if (e.sender.empty()) e.sender = e.from;
  e.reply_to = addresses(fields, "Reply-To", limits);
  if (e.reply_to.empty()) e.reply_to = e.from;
  e.to = addresses(fields, "To", limits);
  e.cc = addresses(fields, "Cc", limits);
  e.bcc = addresses(fields, "Bcc", limits);
  e.in_reply_to = text(fields, "In-Reply-To");
  e.message_id = text(fields, "Message-ID");
  return e;
}

Envelope parse_envelope(std::string_view message, const Limits& limits) {
  return envelope_from_fields(parse_header_prefix(message, limits).fields, limits);
}

void append_imap_address_list(std::string& out, const std::vector<Address>& list) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  for (const auto& a : list) append_address(out, a);
  out.push_back(')');
}

void append_imap_envelope(std::string& out, const Envelope& e) {
  out.push_back('(');
  append_imap_nstring(out, e.date);
  out.push_back(' ');
  append_imap_nstring(out, e.subject);
  for (const auto* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) {
    out.push_back(' ');
    append_imap_address_list(out, *list);
  }
  out.push_back(' ');
  append_imap_nstring(out, e.in_reply_to);
  out.push_back(' ');
  append_imap_nstring(out, e.message_id);
  out.push_back(')');
}

std::string imap_envelope(const Envelope& e) {
  std::string out;
  append_imap_envelope(out, e);
  return out;
}

}  // namespace mail::mime
