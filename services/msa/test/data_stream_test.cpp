// SPDX-License-Identifier: Apache-2.0
// DATA forwarded as it arrives (see session_data.cpp), over sockets with the
// fake mta of harness.h: the bytes are at the mta before the end of data and
// the msa holds about one chunk; a DATA that ends without a message (client
// gone, bad line) discards its staging blob; a tiny memory budget slows a
// message down but does not break it; a spent budget ends in 451 4.3.1.
// Also the DataBudget's own accounting.
#include "harness.h"

namespace mail::msa::test {
namespace {

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

void begin(Client& c) {
  c.reply();
  ASSERT_TRUE(starts(c.cmd("EHLO client.example"), "250-mail.example.test"));
  ASSERT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  ASSERT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
  ASSERT_TRUE(starts(c.cmd("DATA"), "354"));
}

std::string lines(size_t n, char fill) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += std::string(98, fill) + "\r\n";
  return s;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds max = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + max;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

SmtpSettings big_settings() {
  SmtpSettings s = test_settings();
  s.limits.max_message_size = 4 * 1024 * 1024;
  return s;
}

TEST(DataStream, BytesReachTheMtaBeforeTheEndOfData) {
  Msa msa(big_settings(), 4096);
  Client c(msa.port(Listener::kMx));
  begin(c);
  const std::string body = lines(3000, 'b');  // 300 000 octets
  c.send("Subject: streamed\r\n\r\n" + body);
  // No final dot yet: all but the last partial chunk is staged at the mta,
  // and the msa holds no more than one chunk (plus a read's worth) of it.
  ASSERT_TRUE(eventually([&] { return msa.transfer_svc.staged_bytes() >= body.size() - 4096; }))
      << msa.transfer_svc.staged_bytes();
  EXPECT_EQ(msa.transfer_svc.count(), 0u) << "nothing is a message before the commit";
  EXPECT_LE(msa.budget.used(), 4096u + 64 * 1024);
  c.send(".\r\n");
  EXPECT_TRUE(starts(c.reply(), "250 2.0.0 Ok: queued as Q1"));
  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  const std::string& m = msa.transfer_svc.messages[0];
  EXPECT_EQ(m.substr(m.size() - body.size()), body);
  EXPECT_EQ(msa.transfer_svc.envelopes[0].size_hint(), m.size());
  EXPECT_EQ(msa.transfer_svc.staged_bytes(), 0u);
  EXPECT_EQ(msa.budget.used(), 0u) << "every reservation given back";
  EXPECT_NE(msa.registry.serialize().find("mail_msa_staged_bytes_total " + std::to_string(m.size())),
            std::string::npos);
}

TEST(DataStream, ClientGoneInDataDiscardsTheStagingBlob) {
  Msa msa(big_settings(), 4096);
  {
    Client c(msa.port(Listener::kMx));
    begin(c);
    c.send("Subject: abandoned\r\n\r\n" + lines(500, 'a'));
    ASSERT_TRUE(eventually([&] { return msa.transfer_svc.staged_bytes() > 40000; }));
  }  // closed without the dot
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(msa.transfer_svc.mu);
    return msa.transfer_svc.discarded == 1;
  }));
  EXPECT_EQ(msa.transfer_svc.staged_bytes(), 0u);
  EXPECT_EQ(msa.transfer_svc.count(), 0u);
  EXPECT_TRUE(eventually([&] { return msa.budget.used() == 0; }));
}

TEST(DataStream, RefusedDataDiscardsTheStagingBlobAndKeepsTheReply) {
  Msa msa(big_settings(), 4096);
  Client c(msa.port(Listener::kMx));
  begin(c);
  c.send("Subject: smuggled\r\n\r\n" + lines(500, 'a') + "bare\nLF\r\n.\r\n");
  EXPECT_TRUE(starts(c.reply(), "550 5.6.0"));
  std::lock_guard lock(msa.transfer_svc.mu);
  EXPECT_EQ(msa.transfer_svc.discarded, 1u);
  EXPECT_TRUE(msa.transfer_svc.messages.empty());
}

TEST(DataStream, TooBigKeepsItsReplyAndDiscards) {
  SmtpSettings s = test_settings();  // 64 KiB
  Msa msa(s, 4096);
  Client c(msa.port(Listener::kMx));
  begin(c);
  c.send("Subject: big\r\n\r\n" + lines(1000, 'z') + ".\r\n");
  EXPECT_TRUE(starts(c.reply(), "552 5.3.4"));
  std::lock_guard lock(msa.transfer_svc.mu);
  EXPECT_EQ(msa.transfer_svc.discarded, 1u);
  EXPECT_TRUE(msa.transfer_svc.messages.empty());
}

TEST(DataStream, TinyBudgetStillDeliversEveryByte) {
  // Room for two chunks across all sessions: three sessions at once take
  // turns, forwarding short chunks when the budget is spent.
  Msa msa(big_settings(), 4096, 8192);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i)
    clients.emplace_back([&, i] {
      Client c(msa.port(Listener::kMx));
      begin(c);
      c.send("Subject: s" + std::to_string(i) + "\r\n\r\n" + lines(800, static_cast<char>('a' + i)) + ".\r\n");
      if (starts(c.reply(), "250 2.0.0")) ++ok;
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 3);
  ASSERT_EQ(msa.transfer_svc.count(), 3u);
  for (const auto& m : msa.transfer_svc.messages) {
    const char fill = m[m.size() - 3];
    EXPECT_EQ(m.substr(m.size() - 80000), lines(800, fill));
  }
  EXPECT_EQ(msa.budget.used(), 0u);
}

TEST(DataStream, SpentBudgetAnswers451AtTheEndOfData) {
  SmtpSettings s = big_settings();
  s.data_timeout = 300ms;
  Msa msa(s, 4096, 1024 * 1024);
  msa.budget.force_reserve(1024 * 1024);  // everything is taken
  Client c(msa.port(Listener::kMx));
  begin(c);
  c.send("Subject: waits\r\n\r\n" + lines(100, 'w') + ".\r\n");
  EXPECT_EQ(c.reply(3000ms), "451 4.3.1 Insufficient system resources, please try again later\r\n");
  msa.budget.release(1024 * 1024);
  EXPECT_EQ(msa.transfer_svc.count(), 0u);
  // The session goes on: the next transaction has room again.
  ASSERT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  ASSERT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
  ASSERT_TRUE(starts(c.cmd("DATA"), "354"));
  c.send("Subject: fits\r\n\r\nx\r\n.\r\n");
  EXPECT_TRUE(starts(c.reply(), "250 2.0.0"));
  EXPECT_NE(msa.registry.serialize().find("mail_msa_data_budget_waits_total 1"), std::string::npos);
}

TEST(DataStream, AWaitingSessionGoesOnWhenBudgetIsReleased) {
  SmtpSettings s = big_settings();
  s.data_timeout = 60s;  // far longer than the test: only a wake-up ends the wait
  Msa msa(s, 4096, 1024 * 1024);
  msa.budget.force_reserve(1024 * 1024);
  Client c(msa.port(Listener::kMx));
  begin(c);
  c.send("Subject: waits\r\n\r\n" + lines(100, 'w') + ".\r\n");
  ASSERT_TRUE(eventually([&] { return msa.registry.serialize().find("mail_msa_data_budget_waits_total 1") !=
                                      std::string::npos; }));
  msa.budget.release(1024 * 1024);
  EXPECT_TRUE(starts(c.reply(5000ms), "250 2.0.0"));
  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  EXPECT_EQ(msa.transfer_svc.messages[0].substr(msa.transfer_svc.messages[0].size() - 10000), lines(100, 'w'));
}

TEST(DataBudget, WakesItsWaitersOnEveryRelease) {
  DataBudget b(100);
  int first = 0, second = 0;
  const uint64_t one = b.add_waiter([&] { ++first; });
  const uint64_t two = b.add_waiter([&] { ++second; });
  b.force_reserve(30);
  EXPECT_EQ(first + second, 0) << "reserving wakes no one";
  b.release(10);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  b.remove_waiter(one);
  b.release(20);
  EXPECT_EQ(first, 1) << "a removed waiter is not called";
  EXPECT_EQ(second, 2);
  b.remove_waiter(two);
  b.force_reserve(5);
  b.release(5);
  EXPECT_EQ(second, 2);
}

TEST(DataBudget, ReservesWithinTheLimit) {
  DataBudget b(100);
  {
    BudgetShare one(b), two(b);
    EXPECT_TRUE(one.grow_to(60));
    EXPECT_FALSE(two.grow_to(50));
    EXPECT_TRUE(two.grow_to(40));
    EXPECT_EQ(b.used(), 100u);
    one.shrink_to(10);
    EXPECT_TRUE(two.grow_to(90));
    two.force_to(95);  // a few bytes over is allowed when forced
    EXPECT_EQ(b.used(), 105u);
  }
  EXPECT_EQ(b.used(), 0u) << "shares give everything back when they go";
}

}  // namespace
}  // namespace mail::msa::test
