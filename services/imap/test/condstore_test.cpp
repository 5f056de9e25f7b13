// SPDX-License-Identifier: Apache-2.0
// CONDSTORE and QRESYNC (RFC 7162) over real loopback connections with the
// fake store: HIGHESTMODSEQ on SELECT, FETCH MODSEQ and CHANGEDSINCE,
// STORE UNCHANGEDSINCE with [MODIFIED], MODSEQ in STORE's and unsolicited
// FETCH once enabled, ENABLE QRESYNC, SELECT (QRESYNC ...) with VANISHED
// (EARLIER) and the changed messages, [CLOSED], VANISHED instead of
// EXPUNGE, UID FETCH (CHANGEDSINCE n VANISHED), and the refusals.
#include "session_fixture.h"

// INBOX (FakeStore): UIDs 3, 5, 9 at MODSEQs 5, 6, 7; 3 and 9 \Seen, 9
// \Deleted; HIGHESTMODSEQ 7, UIDVALIDITY 1700000001, UIDNEXT 10.

namespace {

class Condstore : public ImapSession {};

bool has_line(const std::string& reply, const std::string& line) {
  return reply.find(line + "\r\n") != std::string::npos;
}

}  // namespace

TEST_F(Condstore, FetchModseqAndChangedSince) {
  start(true);
  auto c = logged_in();
  const std::string sel = c->cmd("s", "SELECT INBOX");
  EXPECT_TRUE(has_line(sel, "* OK [HIGHESTMODSEQ 7] Highest")) << sel;
  EXPECT_EQ(c->cmd("a", "FETCH 1:* (MODSEQ)"),
            "* 1 FETCH (MODSEQ (5))\r\n* 2 FETCH (MODSEQ (6))\r\n* 3 FETCH (MODSEQ (7))\r\na OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "FETCH 1:* (FLAGS) (CHANGEDSINCE 5)"),
            "* 2 FETCH (FLAGS () MODSEQ (6))\r\n* 3 FETCH (FLAGS (\\Deleted \\Seen \\Recent) MODSEQ (7))\r\n"
            "b OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 6)"),
            "* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent) MODSEQ (7))\r\nc OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("d", "FETCH 1:* (UID) (CHANGEDSINCE 7)"), "d OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)"),
            "e BAD UID FETCH: VANISHED needs ENABLE QRESYNC first\r\n");
}

TEST_F(Condstore, AModseqComesWithTheFlagsOfItsState) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");
  // Another session flagged UID 5 (MODSEQ 20); no notice reached this one.
  store_.modseqs[5] = 20;
  store_.flags[5] = store::kFlagged;
  store_.keywords[5] = {"$Label1"};
  EXPECT_EQ(c->cmd("a", "FETCH 2 (MODSEQ)"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $Label1)\r\n"
            "* 2 FETCH (MODSEQ (20) FLAGS (\\Flagged $Label1))\r\na OK FETCH completed\r\n")
      << "a MODSEQ without the flags it stands for would leave the client stale";
  EXPECT_EQ(c->cmd("b", "FETCH 2 (FLAGS MODSEQ)"), "* 2 FETCH (FLAGS (\\Flagged $Label1) MODSEQ (20))\r\nb OK FETCH completed\r\n");
  // The notice arriving later changes nothing the client does not know.
  store::Changes ch;
  ch.highest_modseq = 20;
  ch.changed.push_back({5, 20, store::kFlagged, {"$Label1"}});
  ch.keywords = {"$Junk", "$Label1"};
  store_.set_changes(ch);
  EXPECT_EQ(c->cmd("n", "NOOP"), "n OK NOOP completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 2 (FLAGS)"), "* 2 FETCH (FLAGS (\\Flagged $Label1))\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("g", "SEARCH MODSEQ 20"), "* SEARCH 2 (MODSEQ 20)\r\ng OK SEARCH completed\r\n");
  EXPECT_EQ(c->cmd("h", "SEARCH OR SEEN MODSEQ 20"), "* SEARCH 1 2 3 (MODSEQ 20)\r\nh OK SEARCH completed\r\n")
      << "the highest MODSEQ of every match, also of those the flags decided";
}

TEST_F(Condstore, StoreUnchangedSinceAndModseqInResponses) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");
  // UID 3 is at MODSEQ 5, UID 5 at 6: only the first passes UNCHANGEDSINCE 5.
  EXPECT_EQ(c->cmd("a", "STORE 1:2 (UNCHANGEDSINCE 5) +FLAGS (\\Flagged)"),
            "* 1 FETCH (FLAGS (\\Flagged \\Seen) MODSEQ (8))\r\na OK [MODIFIED 2] Conditional STORE failed\r\n");
  EXPECT_EQ(c->cmd("b", "UID STORE 5,9 (UNCHANGEDSINCE 6) +FLAGS.SILENT (\\Answered)"),
            "* 2 FETCH (UID 5 MODSEQ (9))\r\nb OK [MODIFIED 9] Conditional UID STORE failed\r\n");
  EXPECT_EQ(c->cmd("c", "STORE 3 -FLAGS (\\Deleted)"),
            "* 3 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (10))\r\nc OK STORE completed\r\n")
      << "CONDSTORE is on: MODSEQ in every STORE response";
  EXPECT_EQ(c->cmd("d", "STORE 1 (UNCHANGEDSINCE 0) FLAGS ()"), "d OK [MODIFIED 1] Conditional STORE failed\r\n");
  // Unsolicited FETCH carries MODSEQ now.
  store::Changes ch;
  ch.highest_modseq = 12;
  ch.changed.push_back({5, 12, store::kSeen, {}});
  store_.set_changes(ch);
  EXPECT_EQ(c->cmd("n", "NOOP"), "* 2 FETCH (FLAGS (\\Seen) MODSEQ (12))\r\nn OK NOOP completed\r\n");
}

TEST_F(Condstore, QresyncSelectVanishedAndClosed) {
  start(true);
  auto c = logged_in();
  EXPECT_EQ(c->cmd("x", "SELECT INBOX (QRESYNC (1700000001 1))"), "x BAD SELECT: QRESYNC must be enabled first\r\n");
  EXPECT_EQ(c->cmd("e", "ENABLE QRESYNC"), "* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n");
  store::Changes ch;
  ch.highest_modseq = 7;
  ch.expunged = {1, 2, 4};
  ch.changed.push_back({5, 6, 0, {}});
  ch.changed.push_back({9, 7, store::kSeen | store::kDeleted, {}});
  store_.set_changes(ch);
  std::string r = c->cmd("s", "SELECT INBOX (QRESYNC (1700000001 5 2:9))");
  EXPECT_TRUE(has_line(r, "* VANISHED (EARLIER) 2,4")) << r;
  EXPECT_TRUE(has_line(r, "* 2 FETCH (UID 5 FLAGS () MODSEQ (6))")) << r;
  EXPECT_TRUE(has_line(r, "* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent) MODSEQ (7))")) << r;
  EXPECT_LT(r.find("VANISHED"), r.find("* 2 FETCH")) << "VANISHED comes first";
  EXPECT_EQ(r.find("[CLOSED]"), std::string::npos) << "nothing was selected before";
  EXPECT_EQ(store_.changes_since.back(), 5);
  // A stale UIDVALIDITY: a plain SELECT, and [CLOSED] for the previous one.
  r = c->cmd("t", "SELECT INBOX (QRESYNC (42 5))");
  EXPECT_TRUE(has_line(r, "* OK [CLOSED] Previous mailbox closed")) << r;
  EXPECT_EQ(r.find("VANISHED"), std::string::npos) << r;
  // Expunges are VANISHED now, and unsolicited FETCH carries the UID.
  store_.set_changes({});
  EXPECT_EQ(c->cmd("u", "EXPUNGE"), "* VANISHED 9\r\nu OK EXPUNGE completed\r\n");
  ch = {};
  ch.highest_modseq = 30;
  ch.changed.push_back({5, 30, store::kFlagged, {}});
  store_.set_changes(ch);
  store_.modseqs[5] = 30;  // what the store reads from now on
  store_.flags[5] = store::kFlagged;
  EXPECT_EQ(c->cmd("n", "NOOP"), "* 2 FETCH (UID 5 FLAGS (\\Flagged) MODSEQ (30))\r\nn OK NOOP completed\r\n");
  // UID FETCH ... VANISHED: the set's UIDs expunged since, then the changed ones.
  ch = {};
  ch.highest_modseq = 30;
  ch.expunged = {4, 9, 40};
  store_.set_changes(ch);
  EXPECT_EQ(c->cmd("v", "UID FETCH 1:20 (FLAGS) (CHANGEDSINCE 29 VANISHED)"),
            "* VANISHED (EARLIER) 4,9\r\n* 2 FETCH (UID 5 FLAGS (\\Flagged) MODSEQ (30))\r\nv OK UID FETCH completed\r\n");
}

TEST_F(Condstore, ForgottenExpungesFallBackToTheFullDifference) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");
  // The store purged expunge records up to MODSEQ 10, above the view's 7.
  store::Changes ch;
  ch.highest_modseq = 12;
  ch.expunged_horizon = 10;
  ch.present = std::vector<int64_t>{5};
  store_.set_changes(ch);
  EXPECT_EQ(c->cmd("n", "NOOP"), "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
  EXPECT_EQ(c->cmd("e", "ENABLE QRESYNC"), "* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n");
  ch.present = std::vector<int64_t>{3, 9};
  store_.set_changes(ch);
  const std::string r = c->cmd("q", "SELECT INBOX (QRESYNC (1700000001 4 1:9))");
  EXPECT_NE(r.find("* VANISHED (EARLIER) 1:2,4:8\r\n"), std::string::npos) << r;
}
