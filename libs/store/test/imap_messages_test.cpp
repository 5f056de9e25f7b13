// SPDX-License-Identifier: Apache-2.0
// APPEND (chunks, quota, internal date), COPY and MOVE (COPYUID lists, quota
// per copy), FETCH reads, and concurrent APPEND and delivery into one mailbox
// (gap-free UIDs in commit order, distinct MODSEQs), against a real
// PostgreSQL as mail_imap and mail_mda.
#include <atomic>
#include <set>
#include <thread>

#include "imap_fixture.h"

using namespace mail;
using imap_test::ImapStoreTest;
using imap_test::kMessage;
using store::Error;

TEST_F(ImapStoreTest, AppendStoresChunksAndFetchReadsItBack) {
  int64_t box = mailbox("Box");
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < 2 * store::kChunkSize + 1000) big += "0123456789abcdef0123456789abcdef0123456789abcdef012345\r\n";
  pqxx::work tx(*imap_);
  store::AppendRequest req;
  req.flags = store::kSeen | store::kDraft;
  req.keywords = {"$Draft1"};
  req.internal_date = 1700000000;
  auto a = store::append_message(tx, account_, box, big, req);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->uid, 1);
  EXPECT_EQ(a->uidvalidity, store::find_mailbox(tx, account_, "Box")->uidvalidity);
  auto chunks = tx.exec_params("SELECT b.chunks, b.size FROM store.blobs b JOIN store.messages m ON m.blob_id = b.id"
                               " WHERE m.id = $1", a->message_id);
  EXPECT_EQ(chunks[0][0].as<int>(), 3);
  EXPECT_EQ(chunks[0][1].as<size_t>(), big.size());
  auto meta = store::message_meta(tx, account_, box, {1, 2});
  ASSERT_TRUE(meta.ok());
  ASSERT_EQ(meta->size(), 1u);
  EXPECT_EQ((*meta)[0].size, big.size());
  EXPECT_EQ((*meta)[0].header_size, 16u);
  EXPECT_EQ((*meta)[0].internal_date, 1700000000);
  EXPECT_EQ(*store::read_message_prefix(tx, account_, a->message_id, 16), "Subject: big\r\n\r\n");
  EXPECT_EQ(*store::read_whole_message(tx, account_, a->message_id), big);
  auto sel = store::select_mailbox(tx, account_, "Box", false);
  EXPECT_EQ(sel->entry(0).flags, store::kSeen | store::kDraft);
  EXPECT_EQ(sel->entry(0).keywords, (std::vector<std::string>{"$Draft1"}));
  EXPECT_EQ(sel->mailbox.unseen, 0);
  EXPECT_EQ(sel->mailbox.bytes, int64_t(big.size()));
  EXPECT_EQ(store::account_quota(tx, account_).used, big.size());
  const int64_t stranger = new_account();
  EXPECT_EQ(store::read_whole_message(tx, stranger, a->message_id).error(), Error::kNotFound);
  EXPECT_EQ(store::append_message(tx, stranger, box, kMessage, {}).error(), Error::kNotFound);
}

TEST_F(ImapStoreTest, DeliveredMessageFetchIncludesTracePrefix) {
  int64_t in = inbox();
  pqxx::work tx(*admin_);
  auto b = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, 1) RETURNING id", int64_t(kMessage.size()));
  tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2)", b[0][0].as<int64_t>(),
                 pqxx::binarystring(kMessage));
  store::CopyRequest cr;
  cr.job_id = 4242;
  cr.recipient_id = 1;
  cr.account_id = account_;
  cr.blob_id = b[0][0].as<int64_t>();
  cr.blob_size = kMessage.size();
  cr.header_size = 34;
  cr.header_prefix = "Return-Path: <a@b.test>\r\n";
  auto c = store::store_copy(tx, cr);
  EXPECT_EQ(c.mailbox_id, in);
  auto meta = store::message_meta(tx, account_, in, {c.uid});
  ASSERT_EQ(meta->size(), 1u);
  EXPECT_EQ((*meta)[0].size, cr.header_prefix.size() + kMessage.size());
  EXPECT_EQ((*meta)[0].header_size, cr.header_prefix.size() + 34);
  EXPECT_EQ(*store::read_message_prefix(tx, account_, c.message_id, (*meta)[0].header_size),
            cr.header_prefix + kMessage.substr(0, 34));
}

TEST_F(ImapStoreTest, ReadHeadersReturnsEachHeaderSectionInOneCall) {
  int64_t box = mailbox("Box");
  std::string big_header = "Subject: long\r\n";
  while (big_header.size() < store::kChunkSize + 100) big_header += "X-Filler: 0123456789012345678901234567890123456789\r\n";
  big_header += "\r\n";
  append(box, kMessage);
  append(box, "From: a@b.test\r\nSubject: two\r\n\r\nbody two\r\n");
  append(box, big_header + "body three\r\n");
  pqxx::work tx(*imap_);
  auto h = store::read_headers(tx, account_, box, {3, 1, 2, 99});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].uid, 1);
  EXPECT_EQ((*h)[0].header, kMessage.substr(0, kMessage.find("\r\n\r\n") + 4));
  EXPECT_EQ((*h)[1].header, "From: a@b.test\r\nSubject: two\r\n\r\n");
  EXPECT_EQ((*h)[2].uid, 3);
  EXPECT_EQ((*h)[2].header, big_header);  // spans two chunks
  EXPECT_EQ(store::read_headers(tx, new_account(), box, {1}).error(), Error::kNotFound);
}

TEST_F(ImapStoreTest, AppendAndCopyRefusedOverQuotaWriteNothing) {
  account_ = new_account(int64_t(kMessage.size()) * 3 / 2);
  int64_t box = mailbox("Box");
  int64_t other = mailbox("Other");
  append(box, kMessage);
  const int64_t blobs = scalar("SELECT count(*) FROM store.blobs");
  pqxx::work tx(*imap_);
  EXPECT_EQ(store::append_message(tx, account_, box, kMessage, {}).error(), Error::kOverQuota);
  EXPECT_EQ(store::copy_messages(tx, account_, box, other, {1}).error(), Error::kOverQuota);
  auto moved = store::move_messages(tx, account_, box, other, {1});
  ASSERT_TRUE(moved.ok()) << "MOVE needs no room";
  EXPECT_EQ(moved->copied.dest_uids, (std::vector<int64_t>{1}));
  EXPECT_EQ(store::account_quota(tx, account_).used, kMessage.size());
  tx.commit();
  EXPECT_EQ(scalar("SELECT count(*) FROM store.blobs"), blobs);
}

TEST_F(ImapStoreTest, CopyAndMoveReturnUidListsAndKeepFlags) {
  int64_t src = mailbox("Src");
  int64_t dst = mailbox("Dst");
  append(dst, kMessage);  // the destination's uid 1
  append(src, kMessage, store::kSeen);
  append(src, kMessage, 0, {"$Important"});
  append(src, kMessage, store::kFlagged);
  pqxx::work tx(*imap_);
  auto c = store::copy_messages(tx, account_, src, dst, {3, 1, 99});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->source_uids, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(c->dest_uids, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(c->uidvalidity, store::find_mailbox(tx, account_, "Dst")->uidvalidity);
  EXPECT_EQ(store::account_quota(tx, account_).used, 6 * kMessage.size()) << "a copy counts again";
  EXPECT_EQ(store::account_quota(tx, account_).messages, 6u);
  auto d = store::select_mailbox(tx, account_, "Dst", false);
  ASSERT_EQ(d->index.size(), 3u);
  EXPECT_EQ(d->entry(1).flags, store::kSeen);
  EXPECT_EQ(d->entry(2).flags, store::kFlagged);
  auto dm = store::message_meta(tx, account_, dst, {3});
  ASSERT_EQ(dm->size(), 1u);
  EXPECT_EQ((*dm)[0].modseq, c->modseq);
  EXPECT_EQ((*dm)[0].flags, store::kFlagged);
  EXPECT_EQ(d->mailbox.unseen, 2);
  auto m = store::move_messages(tx, account_, src, dst, {2});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->copied.dest_uids, (std::vector<int64_t>{4}));
  EXPECT_EQ(m->expunged.uids, (std::vector<int64_t>{2}));
  EXPECT_EQ(store::account_quota(tx, account_).used, 6 * kMessage.size()) << "a move does not";
  d = store::select_mailbox(tx, account_, "Dst", false);
  EXPECT_EQ(d->entry(3).keywords, (std::vector<std::string>{"$Important"}));
  EXPECT_EQ(d->keywords, (std::vector<std::string>{"$Important"}));
  auto s = store::select_mailbox(tx, account_, "Src", false);
  ASSERT_EQ(s->index.size(), 2u);
  EXPECT_EQ(s->mailbox.messages, 2);
  auto none = store::copy_messages(tx, account_, src, dst, {2});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->dest_uids.empty()) << "an expunged UID copies nothing";
  auto self = store::copy_messages(tx, account_, src, src, {1});
  EXPECT_EQ(self->dest_uids, (std::vector<int64_t>{4}));
  EXPECT_EQ(store::copy_messages(tx, account_, src, 999999, {1}).error(), Error::kNotFound);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.messages WHERE account_id = " + std::to_string(account_)), 4)
      << "copies share their message row";
}

// Two writers at once into one mailbox: an IMAP APPEND loop and a delivery
// loop, each committing per message, while a reader checks that what it
// sees committed is always UIDs 1..n without a hole (commit order equals UID
// order) with one MODSEQ each.
TEST_F(ImapStoreTest, ConcurrentAppendAndDeliveryGetGapFreeUidsInCommitOrder) {
  const int64_t in = inbox();
  constexpr int kEach = 40;
  int64_t blob;
  {
    pqxx::work tx(*admin_);
    auto b = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, 1) RETURNING id", int64_t(kMessage.size()));
    blob = b[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2)", blob,
                   pqxx::binarystring(kMessage));
    tx.commit();
  }
  std::atomic<bool> done{false};
  std::atomic<int> holes{0}, polls{0};
  std::exception_ptr failed;
  std::mutex mu;
  auto guard = [&](auto&& f) {
    try {
      f();
    } catch (...) {
      std::lock_guard<std::mutex> l(mu);
      failed = std::current_exception();
    }
  };
  std::vector<int64_t> imap_uids, mda_uids;
  std::thread appender([&] {
    guard([&] {
      auto c = connect("mail_imap");
      for (int i = 0; i < kEach; ++i) {
        pqxx::work tx(*c);
        auto a = store::append_message(tx, account_, in, kMessage, {});
        tx.commit();
        imap_uids.push_back(a->uid);
      }
    });
  });
  std::thread deliverer([&] {
    guard([&] {
      auto c = connect("mail_mda");
      for (int i = 0; i < kEach; ++i) {
        pqxx::work tx(*c);
        store::CopyRequest cr;
        cr.job_id = 100000 + i;
        cr.recipient_id = 1;
        cr.account_id = account_;
        cr.blob_id = blob;
        cr.blob_size = kMessage.size();
        cr.header_prefix = "Delivered-To: u@i.test\r\n";
        auto s = store::store_copy(tx, cr);
        tx.commit();
        mda_uids.push_back(s.uid);
      }
    });
  });
  std::thread reader([&] {
    guard([&] {
      auto c = connect("mail_imap");
      while (!done) {
        pqxx::read_transaction tx(*c);
        auto r = tx.exec_params("SELECT count(*), COALESCE(max(uid), 0) FROM store.mail_index WHERE mailbox_id = $1", in);
        if (r[0][0].as<int64_t>() != r[0][1].as<int64_t>()) ++holes;
        ++polls;
      }
    });
  });
  appender.join();
  deliverer.join();
  done = true;
  reader.join();
  ASSERT_FALSE(failed);
  EXPECT_EQ(holes.load(), 0) << "a higher UID was visible before a lower one committed";
  EXPECT_GT(polls.load(), 0);
  // How often the two writers took turns (informational: the scheduler decides).
  int turns = 0;
  for (size_t i = 1; i < imap_uids.size(); ++i) turns += imap_uids[i] != imap_uids[i - 1] + 1;
  RecordProperty("writer_turns", turns);
  EXPECT_TRUE(std::is_sorted(imap_uids.begin(), imap_uids.end()));
  EXPECT_TRUE(std::is_sorted(mda_uids.begin(), mda_uids.end()));
  pqxx::work tx(*imap_);
  auto s = store::select_mailbox(tx, account_, "INBOX", false);
  ASSERT_EQ(s->index.size(), size_t(2 * kEach));
  EXPECT_EQ(s->index.uids.runs(), 1u) << "gap-free";
  EXPECT_EQ(s->index.uids[0], 1);
  auto all = store::changes_since(tx, account_, s->mailbox.id, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->changed.size(), size_t(2 * kEach));
  std::set<int64_t> modseqs;
  for (size_t i = 0; i < all->changed.size(); ++i) {
    const auto& e = all->changed[i];
    EXPECT_EQ(e.uid, int64_t(i + 1)) << "gap-free";
    if (i > 0) EXPECT_GT(e.modseq, all->changed[i - 1].modseq) << "MODSEQ follows UID";
    modseqs.insert(e.modseq);
  }
  EXPECT_EQ(modseqs.size(), size_t(2 * kEach));
  EXPECT_EQ(s->mailbox.messages, 2 * kEach);
  EXPECT_EQ(s->mailbox.uid_next, 2 * kEach + 1);
}
