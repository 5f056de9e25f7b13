// SPDX-License-Identifier: Apache-2.0
// MailboxWatch (see mailbox_watch.h).
#include "mailbox_watch.h"

namespace mail::imapd {

uint64_t MailboxWatch::watch(int64_t mailbox_id, Wake wake) {
  std::lock_guard lock(mu_);
  const uint64_t h = ++next_;
  entries_.emplace(h, Entry{mailbox_id, std::move(wake)});
  by_mailbox_.emplace(mailbox_id, h);
  return h;
}

void MailboxWatch::unwatch(uint64_t handle) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end()) return;
  auto [b, e] = by_mailbox_.equal_range(it->second.mailbox_id);
  for (auto m = b; m != e; ++m)
    if (m->second == handle) {
      by_mailbox_.erase(m);
      break;
    }
  entries_.erase(it);
}

std::vector<MailboxWatch::Wake> MailboxWatch::collect(std::optional<int64_t> mailbox_id) const {
  std::vector<Wake> out;
  if (!mailbox_id) {
    for (const auto& [h, entry] : entries_) out.push_back(entry.wake);
    return out;
  }
  auto [b, e] = by_mailbox_.equal_range(*mailbox_id);
  for (auto m = b; m != e; ++m) out.push_back(entries_.at(m->second).wake);
  return out;
}

void MailboxWatch::on_payload(std::string_view payload) {
  const auto notice = store::parse_mailbox_notice(payload);
  std::vector<Wake> wake;
  {
    std::lock_guard lock(mu_);
    ++notices_;
    wake = collect(notice ? std::optional<int64_t>(notice->mailbox_id) : std::nullopt);
  }
  for (const auto& w : wake) w();
}

void MailboxWatch::wake_all() {
  std::vector<Wake> wake;
  {
    std::lock_guard lock(mu_);
    wake = collect(std::nullopt);
  }
  for (const auto& w : wake) w();
}

size_t MailboxWatch::watchers() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

uint64_t MailboxWatch::notices() const {
  std::lock_guard lock(mu_);
  return notices_;
}

}  // namespace mail::imapd
