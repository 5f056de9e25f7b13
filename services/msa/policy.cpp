// SPDX-License-Identifier: Apache-2.0
// EHLO capability lists and the mapping of directory / mta answers to SMTP
// replies (RFC 5321 4.2, enhanced codes RFC 3463).
#include "policy.h"

#include "mail/sasl/sasl.h"

#include <algorithm>

namespace mail::msa {

std::string_view listener_name(Listener listener) {
  switch (listener) {
    case Listener::kMx: return "mx";
    case Listener::kSubmission: return "submission";
    case Listener::kSubmissions: return "submissions";
  }
  return "mx";
}

bool auth_required(Listener listener) { return listener != Listener::kMx; }

std::vector<std::string> ehlo_extensions(const EhloState& s) {
  std::vector<std::string> ext = {"PIPELINING", "SIZE " + std::to_string(s.max_message_size), "8BITMIME",
                                  "ENHANCEDSTATUSCODES"};
  if (!s.tls_active && s.tls_available) ext.push_back("STARTTLS");
  if (s.tls_active) {
    std::string auth = "AUTH";
    for (auto name : sasl::mechanism_names()) (auth += ' ') += name;
    ext.push_back(std::move(auth));
  }
  return ext;
}

std::string help_text(const EhloState& s) {
  std::string text = "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY";
  for (const auto& ext : ehlo_extensions(s)) {
    if (ext == "STARTTLS") text += " STARTTLS";
    if (ext.rfind("AUTH ", 0) == 0) text += " AUTH";
  }
  return text;
}

bool owns_sender(const std::vector<std::string>& owned, std::string_view sender, std::string_view delimiters) {
  if (std::find(owned.begin(), owned.end(), sender) != owned.end()) return true;
  const size_t at = sender.rfind('@');
  if (at == std::string_view::npos || delimiters.empty()) return false;
  const size_t ext = sender.substr(0, at).find_first_of(delimiters);
  if (ext == std::string_view::npos || ext == 0) return false;  // "+x@" has no base to own
  const std::string base = std::string(sender.substr(0, ext)) + std::string(sender.substr(at));
  return std::find(owned.begin(), owned.end(), base) != owned.end();
}

smtp::Reply recipient_reply(RecipientVerdict verdict, std::string_view address, bool authenticated) {
  std::string a(address);
  switch (verdict) {
    case RecipientVerdict::kLocalOk: return {250, "2.1.5", "Ok"};
    case RecipientVerdict::kLocalUnknown:
      return {550, "5.1.1", "<" + a + ">: Recipient address rejected: User unknown"};
    case RecipientVerdict::kLocalOverQuota: return {452, "4.2.2", "<" + a + ">: Mailbox full"};
    case RecipientVerdict::kLocalTooLarge:
      return {552, "5.2.2", "<" + a + ">: Message is larger than the mailbox can ever hold"};
    case RecipientVerdict::kNotLocal:
      // Clients that may relay (authenticated, or in smtp.relay_networks)
      // are answered 250 by the session before it gets here.
      (void)authenticated;
      return {550, "5.7.1", "<" + a + ">: Relay access denied"};
    case RecipientVerdict::kBadAddress: return {501, "5.1.3", "Bad recipient address syntax"};
    case RecipientVerdict::kUnavailable:
      return {451, "4.3.0", "<" + a + ">: Temporary lookup failure, please try again"};
  }
  return {451, "4.3.0", "Temporary failure, please try again"};
}

smtp::Reply submit_reply(grpc::StatusCode code, std::string_view queue_id) {
  switch (code) {
    case grpc::StatusCode::OK: return {250, "2.0.0", "Ok: queued as " + std::string(queue_id)};
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return {552, "5.3.4", "Message too big"};
    case grpc::StatusCode::INVALID_ARGUMENT: return {554, "5.5.0", "Message refused by the queue"};
    default: return {451, "4.3.0", "Temporary failure, please try again"};
  }
}

std::string_view submit_result_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "queued";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "mta_too_big";
    case grpc::StatusCode::INVALID_ARGUMENT: return "mta_invalid";
    case grpc::StatusCode::UNAVAILABLE: return "mta_unavailable";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "mta_deadline";
    default: return "mta_error";
  }
}

}  // namespace mail::msa
