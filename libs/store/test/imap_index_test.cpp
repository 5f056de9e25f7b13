// SPDX-License-Identifier: Apache-2.0
// SELECT/EXAMINE, STORE (UNCHANGEDSINCE, keywords, unseen), changes since a
// MODSEQ and EXPUNGE of \Deleted against a real PostgreSQL as mail_imap.
#include "imap_fixture.h"

using namespace mail;
using imap_test::ImapStoreTest;
using imap_test::kMessage;
using store::Error;
using store::StoreOp;

namespace {

store::StoreRequest req(std::vector<int64_t> uids, StoreOp op, int flags, std::vector<std::string> kw = {},
                        std::optional<int64_t> unchanged_since = std::nullopt) {
  store::StoreRequest r;
  r.uids = std::move(uids);
  r.op = op;
  r.flags = flags;
  r.keywords = std::move(kw);
  r.unchanged_since = unchanged_since;
  return r;
}

}  // namespace

TEST_F(ImapStoreTest, ReadWriteSelectTakesRecentExamineDoesNot) {
  int64_t box = mailbox("Box");
  append(box, kMessage);
  append(box, kMessage, store::kSeen);
  {
    pqxx::work tx(*imap_);
    auto ex = store::select_mailbox(tx, account_, "Box", false);
    ASSERT_TRUE(ex.ok());
    EXPECT_EQ(ex->mailbox.recent, 2);
    EXPECT_TRUE(ex->recent_uids.empty()) << "EXAMINE takes nothing";
    tx.commit();
  }
  {
    pqxx::work tx(*imap_);
    auto s = store::select_mailbox(tx, account_, "Box", true);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->recent_uids.to_vector(), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(s->mailbox.recent, 2);
    EXPECT_EQ(s->mailbox.messages, 2);
    EXPECT_EQ(s->mailbox.unseen, 1);
    ASSERT_EQ(s->index.size(), 2u);
    EXPECT_EQ(s->entry(0).uid, 1);
    EXPECT_EQ(s->entry(1).flags, store::kSeen);
    auto meta = store::message_meta(tx, account_, s->mailbox.id, {1, 2});
    ASSERT_EQ(meta->size(), 2u);
    EXPECT_LT((*meta)[0].modseq, (*meta)[1].modseq);
    EXPECT_EQ(s->mailbox.highest_modseq, (*meta)[1].modseq);
    EXPECT_EQ((*meta)[1].flags, store::kSeen);
    tx.commit();
  }
  append(box, kMessage);
  pqxx::work tx(*imap_);
  auto s = store::select_mailbox(tx, account_, "Box", true);
  EXPECT_EQ(s->recent_uids.to_vector(), (std::vector<int64_t>{3})) << "only what no session took before";
  auto again = store::select_mailbox(tx, account_, "box", true);
  EXPECT_EQ(again.error(), Error::kNotFound) << "names other than INBOX are case-sensitive";
  again = store::select_mailbox(tx, account_, "Box", true);
  EXPECT_TRUE(again->recent_uids.empty());
  EXPECT_EQ(store::select_mailbox(tx, account_, "a//b", true).error(), Error::kNameInvalid);
}

TEST_F(ImapStoreTest, StoreFlagsAddRemoveReplaceKeepsUnseenAndKeywords) {
  int64_t box = mailbox("Box");
  for (int i = 0; i < 3; ++i) append(box, kMessage);
  pqxx::work tx(*imap_);
  auto r = store::store_flags(tx, account_, box, req({1, 2, 99}, StoreOp::kAdd, store::kSeen, {"$Label1"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->changed.size(), 2u);
  EXPECT_EQ(r->changed[0].uid, 1);
  EXPECT_EQ(r->changed[0].flags, store::kSeen);
  EXPECT_EQ(r->changed[0].modseq, r->modseq);
  EXPECT_EQ(r->changed[1].modseq, r->modseq) << "one MODSEQ per call";
  EXPECT_EQ(r->changed[1].keywords, (std::vector<std::string>{"$Label1"}));
  EXPECT_EQ(store::find_mailbox(tx, account_, "Box")->unseen, 1);
  // The same again changes nothing; another spelling of the keyword is the same keyword.
  auto same = store::store_flags(tx, account_, box, req({1, 2}, StoreOp::kAdd, store::kSeen, {"$label1"}));
  EXPECT_TRUE(same->changed.empty());
  auto third = store::store_flags(tx, account_, box, req({3}, StoreOp::kAdd, 0, {"$LABEL1", "Work"}));
  ASSERT_EQ(third->changed.size(), 1u);
  EXPECT_EQ(third->changed[0].keywords, (std::vector<std::string>{"$Label1", "Work"}));
  auto rem = store::store_flags(tx, account_, box, req({1}, StoreOp::kRemove, store::kSeen, {"$label1"}));
  ASSERT_EQ(rem->changed.size(), 1u);
  EXPECT_EQ(rem->changed[0].flags, 0);
  EXPECT_TRUE(rem->changed[0].keywords.empty());
  EXPECT_EQ(store::find_mailbox(tx, account_, "Box")->unseen, 2);
  auto rep = store::store_flags(tx, account_, box, req({2, 3}, StoreOp::kReplace, store::kFlagged | store::kDraft));
  ASSERT_EQ(rep->changed.size(), 2u);
  EXPECT_EQ(rep->changed[0].flags, store::kFlagged | store::kDraft);
  EXPECT_TRUE(rep->changed[1].keywords.empty());
  EXPECT_EQ(store::find_mailbox(tx, account_, "Box")->unseen, 3);
  auto sel = store::select_mailbox(tx, account_, "Box", false);
  EXPECT_EQ(sel->keywords, (std::vector<std::string>{"$Label1", "Work"})) << "FLAGS keeps every keyword used";
  EXPECT_EQ(sel->mailbox.highest_modseq, rep->modseq);
}

TEST_F(ImapStoreTest, UnchangedSinceReportsModified) {
  int64_t box = mailbox("Box");
  append(box, kMessage);
  append(box, kMessage);
  pqxx::work tx(*imap_);
  auto sel = store::select_mailbox(tx, account_, "Box", true);
  const int64_t seen_at = sel->mailbox.highest_modseq;
  auto other = store::store_flags(tx, account_, box, req({1}, StoreOp::kAdd, store::kFlagged));  // "another session"
  ASSERT_EQ(other->changed.size(), 1u);
  auto r = store::store_flags(tx, account_, box, req({1, 2}, StoreOp::kAdd, store::kSeen, {}, seen_at));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->modified, (std::vector<int64_t>{1}));
  ASSERT_EQ(r->changed.size(), 1u);
  EXPECT_EQ(r->changed[0].uid, 2);
  auto s2 = store::select_mailbox(tx, account_, "Box", false);
  EXPECT_EQ(s2->entry(0).flags, store::kFlagged) << "the modified one was not touched";
  EXPECT_EQ(s2->entry(1).flags, store::kSeen);
  // UNCHANGEDSINCE 0 refuses everything (RFC 7162 3.1.3).
  auto zero = store::store_flags(tx, account_, box, req({1, 2}, StoreOp::kAdd, store::kAnswered, {}, 0));
  EXPECT_EQ(zero->modified, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(zero->changed.empty());
}

TEST_F(ImapStoreTest, ChangesSinceAndExpungeDeleted) {
  int64_t box = mailbox("Box");
  for (int i = 0; i < 4; ++i) append(box, kMessage);
  int64_t mark;
  {
    pqxx::work tx(*imap_);
    mark = store::select_mailbox(tx, account_, "Box", true)->mailbox.highest_modseq;
    ASSERT_TRUE(store::store_flags(tx, account_, box, req({2, 3}, StoreOp::kAdd, store::kDeleted)).ok());
    tx.commit();
  }
  append(box, kMessage);  // uid 5
  pqxx::work tx(*imap_);
  auto ch = store::changes_since(tx, account_, box, mark);
  ASSERT_TRUE(ch.ok());
  ASSERT_EQ(ch->changed.size(), 3u);
  EXPECT_EQ(ch->changed[0].uid, 2);
  EXPECT_EQ(ch->changed[0].flags, store::kDeleted);
  EXPECT_EQ(ch->changed[2].uid, 5) << "new messages are changes too";
  EXPECT_TRUE(ch->expunged.empty());
  EXPECT_EQ(ch->uid_next, 6);
  const int64_t before = ch->highest_modseq;
  auto only3 = store::expunge_deleted(tx, account_, box, {3, 4});
  ASSERT_TRUE(only3.ok());
  EXPECT_EQ(only3->uids, (std::vector<int64_t>{3})) << "UID EXPUNGE: \\Deleted and in the set";
  auto rest = store::expunge_deleted(tx, account_, box);
  EXPECT_EQ(rest->uids, (std::vector<int64_t>{2}));
  EXPECT_GT(rest->modseq, only3->modseq);
  auto none = store::expunge_deleted(tx, account_, box);
  EXPECT_TRUE(none->uids.empty());
  auto after = store::changes_since(tx, account_, box, before);
  EXPECT_EQ(after->expunged, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(after->changed.empty());
  EXPECT_EQ(after->messages, 3);
  auto nothing = store::changes_since(tx, account_, box, after->highest_modseq);
  EXPECT_TRUE(nothing->changed.empty() && nothing->expunged.empty());
  EXPECT_EQ(store::find_mailbox(tx, account_, "Box")->unseen, 3);
}

TEST_F(ImapStoreTest, PurgedExpungeRecordsRaiseTheHorizon) {
  int64_t box = mailbox("Box");
  for (int i = 0; i < 4; ++i) append(box, kMessage, store::kDeleted);
  int64_t start, first_modseq;
  {
    pqxx::work tx(*imap_);
    start = store::select_mailbox(tx, account_, "Box", false)->mailbox.highest_modseq;
    first_modseq = store::expunge_deleted(tx, account_, box, {1, 2})->modseq;
    ASSERT_TRUE(store::expunge_deleted(tx, account_, box, {3})->uids.size() == 1);
    tx.commit();
  }
  {
    pqxx::work tx(*admin_);  // UIDs 1 and 2 were expunged long ago
    tx.exec_params("UPDATE store.expunged SET expunged_at = now() - interval '40 days'"
                   " WHERE mailbox_id = $1 AND uid IN (1, 2)", box);
    tx.commit();
  }
  pqxx::work tx(*imap_);
  EXPECT_GE(store::purge_expunged(tx, std::chrono::hours(24 * 30), 1000), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.expunged WHERE mailbox_id = " + std::to_string(box)), 3)
      << "not committed yet: another transaction still sees all three";
  tx.commit();
  EXPECT_EQ(scalar("SELECT count(*) FROM store.expunged WHERE mailbox_id = " + std::to_string(box)), 1);
  pqxx::work t2(*imap_);
  auto ch = store::changes_since(t2, account_, box, start);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->expunged_horizon, first_modseq);
  ASSERT_TRUE(ch->present) << "older than the horizon: every UID present comes along";
  EXPECT_EQ(*ch->present, (std::vector<int64_t>{4}));
  EXPECT_EQ(ch->expunged, (std::vector<int64_t>{3})) << "what is still recorded";
  auto recent = store::changes_since(t2, account_, box, first_modseq);
  EXPECT_FALSE(recent->present) << "at or after the horizon the records are complete";
  EXPECT_EQ(recent->expunged, (std::vector<int64_t>{3}));
  EXPECT_EQ(store::purge_expunged(t2, std::chrono::hours(24 * 30), 1000), 0);
}

TEST_F(ImapStoreTest, AnotherAccountsMailboxIsNotFound) {
  int64_t box = mailbox("Box");
  append(box, kMessage);
  const int64_t stranger = new_account();
  pqxx::work tx(*imap_);
  EXPECT_EQ(store::store_flags(tx, stranger, box, req({1}, StoreOp::kAdd, store::kSeen)).error(), Error::kNotFound);
  EXPECT_EQ(store::changes_since(tx, stranger, box, 0).error(), Error::kNotFound);
  EXPECT_EQ(store::expunge_deleted(tx, stranger, box).error(), Error::kNotFound);
  EXPECT_EQ(store::message_meta(tx, stranger, box, {1}).error(), Error::kNotFound);
  EXPECT_TRUE(store::expunge_uids(tx, box, stranger, {1}).uids.empty());
  EXPECT_EQ(store::find_mailbox(tx, account_, "Box")->messages, 1);
}
