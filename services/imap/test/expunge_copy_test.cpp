// SPDX-License-Identifier: Apache-2.0
// EXPUNGE, UID EXPUNGE, COPY, MOVE and their UID forms on exact wire bytes,
// with the fake store of session_fixture.h: `* n EXPUNGE` highest first and
// the view following (sequence numbers shift), COPYUID (tagged for COPY,
// untagged before the expunges for MOVE), [TRYCREATE], and EXAMINE's
// NO [READ-ONLY] for what would change the mailbox; and the resync on NOOP
// and CHECK of what other sessions changed.
#include "session_fixture.h"

namespace {
class ExpungeCopy : public ImapSession {};
}  // namespace

TEST_F(ExpungeCopy, ExpungeAnnouncesHighestFirstAndTheViewShifts) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");  // UIDs 3 5 9; 9 is \Deleted
  EXPECT_EQ(c->cmd("a", "STORE 2 +FLAGS.SILENT (\\Deleted)"), "a OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("b", "EXPUNGE"), "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n");
  EXPECT_EQ(c->cmd("c", "FETCH 1:* (UID)"), "* 1 FETCH (UID 3)\r\nc OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("d", "FETCH 2 (UID)"), "d BAD FETCH: Invalid message sequence number\r\n");
}

TEST_F(ExpungeCopy, UidExpungeRemovesOnlyTheNamedDeletedMessages) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");
  EXPECT_EQ(c->cmd("a", "STORE 1 +FLAGS.SILENT (\\Deleted)"), "a OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("b", "UID EXPUNGE 9"), "* 3 EXPUNGE\r\nb OK UID EXPUNGE completed\r\n");
  EXPECT_EQ(c->cmd("c", "UID FETCH 1:* (FLAGS)"),
            "* 1 FETCH (UID 3 FLAGS (\\Deleted \\Seen))\r\n* 2 FETCH (UID 5 FLAGS ())\r\nc OK UID FETCH completed\r\n")
      << "UID 3 is \\Deleted but was not named: it stays";
  EXPECT_EQ(c->cmd("d", "UID EXPUNGE 100:200"), "d OK UID EXPUNGE completed\r\n");
}

TEST_F(ExpungeCopy, CopyAndMoveWithCopyuid) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");
  EXPECT_EQ(c->cmd("a", "COPY 1:2 Sent"), "a OK [COPYUID 1700000002 3,5 10:11] COPY completed\r\n");
  EXPECT_EQ(c->cmd("b", "COPY 1 Nope"), "b NO [TRYCREATE] Mailbox does not exist\r\n");
  EXPECT_EQ(c->cmd("c", "MOVE 1 Sent"),
            "* OK [COPYUID 1700000002 3 12] Moved UIDs\r\n* 1 EXPUNGE\r\nc OK MOVE completed\r\n");
  EXPECT_EQ(c->cmd("d", "UID MOVE 9 Work"),
            "* OK [COPYUID 1700000004 9 10] Moved UIDs\r\n* 2 EXPUNGE\r\nd OK UID MOVE completed\r\n")
      << "after the first move, UID 9 is message 2";
  EXPECT_EQ(store_.copies, (std::vector<std::string>{"Sent copy", "Sent move", "Work move"}));
  EXPECT_EQ(c->cmd("e", "FETCH 1:* (UID)"), "* 1 FETCH (UID 5)\r\ne OK FETCH completed\r\n");
}

TEST_F(ExpungeCopy, ExamineRefusesWhatWouldChangeTheMailbox) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "EXAMINE INBOX");
  EXPECT_EQ(c->cmd("a", "EXPUNGE"), "a NO [READ-ONLY] Mailbox is read-only\r\n");
  EXPECT_EQ(c->cmd("b", "UID EXPUNGE 9"), "b NO [READ-ONLY] Mailbox is read-only\r\n");
  EXPECT_EQ(c->cmd("c", "MOVE 1 Sent"), "c NO [READ-ONLY] Mailbox is read-only\r\n");
  EXPECT_EQ(c->cmd("d", "COPY 1 Sent"), "d OK [COPYUID 1700000002 3 10] COPY completed\r\n")
      << "copying out of a read-only mailbox is fine";
  EXPECT_TRUE(store_.expunges.empty());
}

TEST_F(ExpungeCopy, NoopReportsOtherSessionsChanges) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");  // UIDs 3 5 9 at MODSEQ 7
  // Meanwhile elsewhere: 3 expunged, 5 flagged, 12 delivered.
  store::Changes ch;
  ch.highest_modseq = 20;
  ch.expunged = {3};
  ch.changed = {store::IndexEntry{5, 19, store::kFlagged, {}}, store::IndexEntry{12, 20, 0, {"$Later"}}};
  store_.next_changes = ch;
  EXPECT_EQ(c->cmd("a", "NOOP"),
            "* 1 EXPUNGE\r\n"
            "* 1 FETCH (FLAGS (\\Flagged))\r\n"
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $Later)\r\n"
            "* 3 EXISTS\r\n"
            "a OK NOOP completed\r\n");
  EXPECT_EQ(c->cmd("b", "UID FETCH 1:* (FLAGS)"),
            "* 1 FETCH (UID 5 FLAGS (\\Flagged))\r\n* 2 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent))\r\n"
            "* 3 FETCH (UID 12 FLAGS ($Later))\r\nb OK UID FETCH completed\r\n");
  store_.next_changes = store::Changes{};
  store_.next_changes.highest_modseq = 20;
  EXPECT_EQ(c->cmd("c", "CHECK"), "c OK CHECK completed\r\n") << "nothing new";
  EXPECT_EQ(store_.changes_since, (std::vector<int64_t>{7, 20})) << "each resync starts where the last ended";
}

TEST_F(ExpungeCopy, OwnChangesAreAnnouncedAfterCommit) {
  start(true);
  auto c = logged_in();
  c->cmd("s", "SELECT INBOX");
  notifier_.taken();
  c->cmd("a", "STORE 1 +FLAGS (\\Flagged)");
  auto n = notifier_.taken();
  ASSERT_EQ(n.size(), 1u) << "STORE";
  EXPECT_EQ(n[0].mailbox_id, 1);
  c->cmd("b", "STORE 1 +FLAGS (\\Flagged)");
  EXPECT_TRUE(notifier_.taken().empty()) << "nothing changed, nothing announced";
  c->cmd("c", "MOVE 2 Sent");
  n = notifier_.taken();
  ASSERT_EQ(n.size(), 2u) << "MOVE: the destination, then the source";
  EXPECT_EQ(n[0].mailbox_id, 2);
  EXPECT_EQ(n[1], (store::MailboxNotice{1, 1, 30}));
  c->cmd("d", "EXPUNGE");
  n = notifier_.taken();
  ASSERT_EQ(n.size(), 1u) << "EXPUNGE of the \\Deleted message";
  c->cmd("e", "APPEND Work {1+}\r\nx");
  n = notifier_.taken();
  ASSERT_EQ(n.size(), 1u) << "APPEND";
  EXPECT_EQ(n[0].mailbox_id, 4);
}
