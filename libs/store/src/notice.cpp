// SPDX-License-Identifier: Apache-2.0
// Mailbox notices' payloads (see notice.h).
#include "mail/store/notice.h"

#include <charconv>

namespace mail::store {

std::string format_mailbox_notice(const MailboxNotice& n) {
  return "mailbox " + std::to_string(n.account_id) + " " + std::to_string(n.mailbox_id) + " " +
         std::to_string(n.modseq);
}

std::optional<MailboxNotice> parse_mailbox_notice(std::string_view p) {
  constexpr std::string_view kPrefix = "mailbox ";
  if (!p.starts_with(kPrefix)) return std::nullopt;
  p.remove_prefix(kPrefix.size());
  int64_t v[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v[i]);
    if (ec != std::errc() || v[i] <= 0) return std::nullopt;
    p.remove_prefix(static_cast<size_t>(end - p.data()));
    if (i < 2) {
      if (!p.starts_with(' ')) return std::nullopt;
      p.remove_prefix(1);
    }
  }
  if (!p.empty()) return std::nullopt;
  return MailboxNotice{v[0], v[1], v[2]};
}

}  // namespace mail::store
