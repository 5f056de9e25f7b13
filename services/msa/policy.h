// SPDX-License-Identifier: Apache-2.0
// policy: the msa's decisions that need no I/O, in one place so they can be
// unit-tested: what EHLO offers on which listener and in which TLS state, and
// how answers from the directory and the mta become SMTP replies.
// Trusts: its inputs are our own state and gRPC status codes; text from peers
// only ever reaches reply text through smtp::Reply, which sanitises it.
#pragma once
#include <grpcpp/support/status_code_enum.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/directory/client/directory_client.h"
#include "mail/smtp/reply.h"

namespace mail::msa {

/// The three SMTP roles (RFC 6409 for submission, RFC 8314 for implicit TLS).
enum class Listener { kMx, kSubmission, kSubmissions };

/// "mx", "submission", "submissions" (logs and metric labels).
std::string_view listener_name(Listener listener);

/// Whether MAIL needs a successful AUTH first (the submission roles).
bool auth_required(Listener listener);

struct EhloState {
  Listener listener = Listener::kMx;
  bool tls_active = false;     ///< the connection is encrypted now
  bool tls_available = false;  ///< we have a certificate (STARTTLS possible)
  uint64_t max_message_size = 0;
};

/// The extension lines after the greeting line of the EHLO reply: PIPELINING,
/// SIZE n, 8BITMIME, ENHANCEDSTATUSCODES always; STARTTLS while plain text
/// and a certificate is configured; AUTH PLAIN LOGIN only once TLS is active
/// (RFC 4954 14: no plain-text passwords on an unencrypted connection).
std::vector<std::string> ehlo_extensions(const EhloState& state);

/// Directory.CheckRecipient's answer, as the session sees it (shared with
/// the directory client library).
using directory::RecipientVerdict;

/// The RCPT reply for a verdict. `address` is the normalized recipient;
/// `authenticated` picks the text for remote recipients.
smtp::Reply recipient_reply(RecipientVerdict verdict, std::string_view address, bool authenticated);

/// The HELP text: the commands this listener offers in this state (STARTTLS
/// and AUTH only where EHLO would announce them).
std::string help_text(const EhloState& state);

/// Whether `sender` (normalized) is one of the `owned` addresses, its
/// address extension ignored: the owner of alice@ may send as alice+tag@
/// (any character of `delimiters` starts the extension), as Postfix's login
/// maps do.
bool owns_sender(const std::vector<std::string>& owned, std::string_view sender, std::string_view delimiters);

/// The reply after end of data for Transfer.Submit's status: OK → 250 with
/// the queue id; RESOURCE_EXHAUSTED → 552 5.3.4; INVALID_ARGUMENT → 554 5.5.0;
/// everything else (UNAVAILABLE, DEADLINE_EXCEEDED, ...) → 451 4.3.0, since
/// the mta kept nothing and the client should retry.
smtp::Reply submit_reply(grpc::StatusCode code, std::string_view queue_id);

/// Short reason names for logs and the refusal metric.
std::string_view submit_result_name(grpc::StatusCode code);

}  // namespace mail::msa
