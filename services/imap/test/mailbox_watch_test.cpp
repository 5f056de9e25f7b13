// SPDX-License-Identifier: Apache-2.0
// MailboxWatch: a notice wakes exactly the watchers of its mailbox; an
// unparsable payload and a resubscription wake everyone; unwatch stops
// the wake-ups; watches from many threads at once are safe.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mailbox_watch.h"

using namespace mail;
using namespace mail::imapd;

TEST(MailboxWatch, NoticesWakeTheMailboxesWatchers) {
  MailboxWatch w;
  std::atomic<int> inbox_a{0}, inbox_b{0}, sent{0};
  const uint64_t a = w.watch(10, [&] { ++inbox_a; });
  const uint64_t b = w.watch(10, [&] { ++inbox_b; });
  w.watch(11, [&] { ++sent; });
  w.on_payload(store::format_mailbox_notice({1, 10, 5}));
  EXPECT_EQ(inbox_a.load(), 1);
  EXPECT_EQ(inbox_b.load(), 1);
  EXPECT_EQ(sent.load(), 0) << "another mailbox's watcher sleeps on";
  w.unwatch(a);
  w.unwatch(a);  // twice is harmless
  w.on_payload(store::format_mailbox_notice({1, 10, 6}));
  EXPECT_EQ(inbox_a.load(), 1);
  EXPECT_EQ(inbox_b.load(), 2);
  w.on_payload("garbage");
  EXPECT_EQ(inbox_b.load(), 3) << "an unparsable hint wakes everyone";
  EXPECT_EQ(sent.load(), 1);
  w.wake_all();
  EXPECT_EQ(inbox_b.load(), 4);
  EXPECT_EQ(sent.load(), 2);
  w.on_payload(store::format_mailbox_notice({1, 99, 1}));
  EXPECT_EQ(inbox_b.load(), 4) << "nobody watches 99";
  EXPECT_EQ(sent.load(), 2);
  EXPECT_EQ(w.notices(), 4u);
  w.unwatch(b);
  EXPECT_EQ(w.watchers(), 1u);
}

TEST(MailboxWatch, ConcurrentWatchesAndNotices) {
  MailboxWatch w;
  std::atomic<int> woken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const uint64_t h = w.watch(t, [&] { ++woken; });
        w.on_payload(store::format_mailbox_notice({1, t, i + 1}));
        w.unwatch(h);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_GE(woken.load(), 2000) << "each thread's own notice woke at least its own watch";
  EXPECT_EQ(w.watchers(), 0u);
}
