// SPDX-License-Identifier: Apache-2.0
// MailboxWatch: the one place in an imap process where mailbox notices
// (mail/store/notice.h, over Redis pub/sub) meet the sessions. A session
// that selects a mailbox watches it (a wake-up callback: net::Session::wake
// posted to its strand); a notice for that mailbox wakes its watchers, who
// then read what changed since their MODSEQ from the store (the truth; the
// notice is a hint). When the subscription is (re)established every watcher
// is woken, since notices may have been missed meanwhile; sessions also
// poll at a modest interval, so a notice lost in Redis only costs latency.
// Thread-safe: notices arrive on the subscriber's thread, watches come and
// go on the sessions' strands. Callbacks are called without the lock held
// and must only post.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mail/store/notice.h"

namespace mail::imapd {

/// The other direction: this process's own changes (APPEND, STORE, COPY,
/// MOVE, EXPUNGE) announced to every replica after their commit. Blocking
/// (a Redis round trip with a short timeout): sessions call it through
/// net::offload. Implementations never throw; a lost notice only costs
/// latency (sessions also poll).
class MailboxNotifier {
 public:
  virtual ~MailboxNotifier() = default;
  virtual void publish(const store::MailboxNotice& notice) = 0;
};

class MailboxWatch {
 public:
  using Wake = std::function<void()>;

  /// Starts watching `mailbox_id`; returns a handle for unwatch().
  uint64_t watch(int64_t mailbox_id, Wake wake);
  /// Stops a watch (unknown handles are ignored).
  void unwatch(uint64_t handle);

  /// A notice's payload: wakes the mailbox's watchers. A payload that does
  /// not parse wakes everyone (waking too many is safe, too few is not).
  void on_payload(std::string_view payload);
  /// The subscription was (re)established: wake everyone.
  void wake_all();

  size_t watchers() const;
  uint64_t notices() const;  ///< payloads seen (for metrics and tests)

 private:
  struct Entry {
    int64_t mailbox_id;
    Wake wake;
  };
  std::vector<Wake> collect(std::optional<int64_t> mailbox_id) const;

  mutable std::mutex mu_;
  uint64_t next_ = 0;
  uint64_t notices_ = 0;
  std::unordered_map<uint64_t, Entry> entries_;
  std::unordered_multimap<int64_t, uint64_t> by_mailbox_;
};

}  // namespace mail::imapd
