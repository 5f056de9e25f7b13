// SPDX-License-Identifier: Apache-2.0
// Bringing the session's view of the selected mailbox up to date with what
// other sessions, processes and deliveries committed (RFC 3501 §7.3-7.4 and
// §5.5): the store's changes since the MODSEQ the view reflects become
// `* n EXPUNGE` (the view shrinks, highest first; `* VANISHED` under
// QRESYNC), `* n FETCH (FLAGS …)` for changed flags (with UID and MODSEQ
// as CONDSTORE and QRESYNC want), and `* n EXISTS` for new messages. Called where RFC
// 3501 allows EXPUNGE responses: NOOP, CHECK and IDLE. The
// store is the truth; mailbox notices (mailbox_watch.h) only say when to
// look.
// Trusts: the store's answer.
#include <algorithm>

#include "imap_session.h"
#include "mail/imap/response.h"

namespace mail::imapd::detail {

net::awaitable<void> Session::resync() {
  if (!selected_) co_return;
  const int64_t mailbox_id = selected_->mailbox.id;
  const int64_t since = view_modseq_;
  auto r = co_await net::offload(*d_.blocking, [&] { return d_.store->changes(account_id_, mailbox_id, since); });
  if (!r.ok() || !r->ok()) co_return;  // a hint missed: the next NOOP asks again
  store::Changes& ch = r->value();
  if (ch.present) {
    // The view is older than the expunges the store still remembers: what
    // the view has that the mailbox has not is gone.
    selected_->index.uids.for_each([&](int64_t uid) {
      if (!std::binary_search(ch.present->begin(), ch.present->end(), uid)) ch.expunged.push_back(uid);
    });
    std::sort(ch.expunged.begin(), ch.expunged.end());
    ch.expunged.erase(std::unique(ch.expunged.begin(), ch.expunged.end()), ch.expunged.end());
  }
  view_expunged(ch.expunged);
  auto& ix = selected_->index;
  const size_t before = ix.size();
  for (const auto& e : ch.changed) {
    auto pos = view_position(e.uid);
    if (!pos) {
      if (!ix.push_back(e.uid, 0)) continue;  // below the last: expunged meanwhile, or never ours
      view_update(ix.size() - 1, e);
      continue;
    }
    const uint8_t old_flags = ix.flags[*pos];
    const auto old_keywords = selected_->entry(*pos).keywords;
    view_update(*pos, e);
    if (old_flags != ix.flags[*pos] || old_keywords != e.keywords) send(flags_update(*pos, e.modseq));
  }
  if (ix.size() != before) send(imap::exists(static_cast<uint32_t>(ix.size())));
  view_modseq_ = std::max(view_modseq_, ch.highest_modseq);
}

net::awaitable<void> Session::announce(int64_t mailbox_id, int64_t modseq) {
  if (!d_.notifier || modseq <= 0) co_return;
  const store::MailboxNotice n{account_id_, mailbox_id, modseq};
  co_await net::offload(*d_.blocking, [&] {
    d_.notifier->publish(n);
    return true;
  });
}

}  // namespace mail::imapd::detail
