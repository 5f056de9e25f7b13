// SPDX-License-Identifier: Apache-2.0
// notice.h: the hint that a mailbox changed, published over Redis pub/sub
// (mail/pubsub) after the commit by whoever changed it (the mda on
// delivery; IMAP sessions on APPEND, STORE, COPY, MOVE, EXPUNGE), so that
// IMAP sessions on other processes resynchronise from `modseq` (DESIGN.md,
// "IMAP across replicas"). A hint, never the truth: the mailbox's rows are.
// Payload: "mailbox <account_id> <mailbox_id> <modseq>".
// Trusts: nothing in a payload; one that does not parse is nullopt.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mail::store {

inline constexpr std::string_view kMailboxNoticeChannel = "mail:store:mailboxes";

struct MailboxNotice {
  int64_t account_id = 0;
  int64_t mailbox_id = 0;
  int64_t modseq = 0;  ///< the mailbox's HIGHESTMODSEQ after the change
  bool operator==(const MailboxNotice&) const = default;
};

std::string format_mailbox_notice(const MailboxNotice& n);
std::optional<MailboxNotice> parse_mailbox_notice(std::string_view payload);

}  // namespace mail::store
