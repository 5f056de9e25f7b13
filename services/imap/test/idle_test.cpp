// SPDX-License-Identifier: Apache-2.0
// IDLE (RFC 2177) over real loopback connections with the fake store: a
// mailbox notice wakes the session at once, the poll interval finds changes
// without one, keepalives, DONE in any case, a line other than DONE, the
// idle limit, SIGTERM's drain, the client going away (the watch is taken
// back), and IDLE in the authenticated state.
#include "session_fixture.h"

namespace {

class Idle : public ImapSession {};

// INBOX is the FakeStore's first mailbox (id 1).
constexpr int64_t kInbox = 1;

std::string line_within(Client& c, std::chrono::milliseconds wait) {
  return static_cast<net::testing::Client&>(c).line(wait);
}

store::Changes new_message(int64_t uid, int64_t modseq) {
  store::Changes ch;
  ch.highest_modseq = modseq;
  ch.changed.push_back({uid, modseq, 0, {}});
  return ch;
}

// Ends an IDLE tagged "i": the lines up to its tagged reply.
std::string done(Client& c) {
  c.send("DONE\r\n");
  return c.until("i");
}

void select_inbox(Client& c) {
  const std::string r = c.cmd("s", "SELECT INBOX");
  EXPECT_NE(r.find("s OK"), std::string::npos) << r;
}

}  // namespace

TEST_F(Idle, NoticeWakesTheSessionAndDoneEndsIt) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  c->send("i IDLE\r\n");
  EXPECT_EQ(c->line(), "+ idling\r\n");
  // Registered, and the resync at the start of IDLE done.
  for (int i = 0; i < 200 && (watch_.watchers() == 0 || store_.changes_calls() == 0); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(watch_.watchers(), 1u);
  const size_t polls = store_.changes_calls();
  store_.set_changes(new_message(12, 20));
  watch_.on_payload(store::format_mailbox_notice({1, kInbox + 100, 20}));  // another mailbox: no wake
  EXPECT_EQ(line_within(*c, 300ms), "<timeout>");
  const auto t0 = std::chrono::steady_clock::now();
  watch_.on_payload(store::format_mailbox_notice({1, kInbox, 20}));
  EXPECT_EQ(c->line(), "* 4 EXISTS\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_GT(store_.changes_calls(), polls);
  // The view took the new message: a FETCH sees sequence number 4.
  c->send("done\r\n");
  EXPECT_EQ(c->line(), "i OK IDLE terminated\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 4 (UID)"), "* 4 FETCH (UID 12)\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(watch_.watchers(), 0u);
}

TEST_F(Idle, PollsAndKeepsAliveWithoutNotices) {
  config_.idle_poll = 200ms;
  config_.idle_keepalive = 600ms;
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  c->send("i IDLE\r\n");
  EXPECT_EQ(c->line(), "+ idling\r\n");
  store_.set_changes(new_message(12, 20));
  EXPECT_EQ(line_within(*c, 2s), "* 4 EXISTS\r\n") << "found by polling";
  EXPECT_EQ(line_within(*c, 2s), "* OK Still here\r\n");
  EXPECT_EQ(done(*c), "i OK IDLE terminated\r\n");
}

TEST_F(Idle, ChangesBeforeIdleComeAtOnce) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  store_.set_changes(new_message(12, 20));
  c->send("i IDLE\r\n");
  EXPECT_EQ(c->line(), "+ idling\r\n");
  EXPECT_EQ(line_within(*c, 1s), "* 4 EXISTS\r\n");
  EXPECT_EQ(done(*c), "i OK IDLE terminated\r\n");
}

TEST_F(Idle, OtherLineIsBadAndTheSessionGoesOn) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  c->send("i IDLE\r\n");
  EXPECT_EQ(c->line(), "+ idling\r\n");
  EXPECT_EQ(c->cmd("i", "NOOP"), "i BAD IDLE: Expected DONE\r\n");
  EXPECT_EQ(c->cmd("n", "NOOP"), "n OK NOOP completed\r\n");
  EXPECT_EQ(watch_.watchers(), 0u);
}

TEST_F(Idle, AuthenticatedStateIdleAndTheIdleLimit) {
  config_.idle_timeout = 700ms;
  start(true);
  auto c = logged_in();
  c->send("i IDLE\r\n");
  EXPECT_EQ(c->line(), "+ idling\r\n");
  EXPECT_EQ(done(*c), "i OK IDLE terminated\r\n");
  EXPECT_EQ(watch_.watchers(), 0u) << "nothing selected, nothing watched";
  c->send("j IDLE\r\n");
  EXPECT_EQ(c->line(), "+ idling\r\n");
  EXPECT_EQ(line_within(*c, 3s).substr(0, 6), "* BYE ");
  EXPECT_TRUE(c->closed());
}

TEST_F(Idle, DrainSaysByeAndAGoneClientIsUnwatched) {
  start(true);
  auto a = logged_in();
  select_inbox(*a);
  a->send("i IDLE\r\n");
  EXPECT_EQ(a->line(), "+ idling\r\n");
  a->close();
  for (int i = 0; i < 200 && watch_.watchers() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(watch_.watchers(), 0u) << "the closed connection's watch is gone";

  auto b = logged_in();
  select_inbox(*b);
  b->send("i IDLE\r\n");
  EXPECT_EQ(b->line(), "+ idling\r\n");
  sessions_.drain();
  EXPECT_EQ(line_within(*b, 2s).substr(0, 6), "* BYE ");
  EXPECT_TRUE(b->closed());
}
