// SPDX-License-Identifier: Apache-2.0
// Stored MIME trees and range reads (message_structure.h, migration 004)
// against a real PostgreSQL, as mail_imap (and mail_mda for delivery):
// APPEND stores the tree of the message, append_blob computes it from the
// blob, a delivered copy keeps the tree the mda gives it (offsets counting
// the trace prefix) and COPY shares it; the lazy fill of a NULL tree writes
// once and only over NULL or the unusable value it was told of; and a range
// read returns exactly the octets of the message as FETCH sends it, across
// the trace prefix and chunks of uneven sizes, reading only the chunks that
// hold the range (the TOAST pages counted by PostgreSQL's own statistics).
#include <random>
#include <variant>

#include "imap_fixture.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"
#include "mail/store/blob_writer.h"
#include "mail/store/message_structure.h"

using namespace mail;
using imap_test::ImapStoreTest;
using imap_test::kMessage;
using store::Error;

namespace {

const std::string kMultipart =
    "From: a@b.test\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
    "--x\r\nContent-Type: text/plain\r\n\r\none\r\n--x\r\nContent-Type: text/html\r\n\r\n<b>two</b>\r\n--x--\r\n";

std::optional<std::string> stored(pqxx::transaction_base& tx, int64_t account, int64_t message_id) {
  auto s = store::message_structures(tx, account, {message_id});
  if (s.size() != 1) return std::string("<no row>");
  return s[0].structure;
}

mime::Part decoded(const std::string& bytes) {
  auto d = mime::decode_structure(bytes);
  EXPECT_TRUE(std::holds_alternative<mime::Part>(d));
  return std::holds_alternative<mime::Part>(d) ? std::get<mime::Part>(d) : mime::Part{};
}

}  // namespace

TEST_F(ImapStoreTest, AppendStoresTheTreeAndCopiesShareIt) {
  const int64_t box = mailbox("Box");
  const int64_t other = mailbox("Other");
  const auto a = append(box, kMultipart);
  pqxx::work tx(*imap_);
  auto s = stored(tx, account_, a.message_id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, store::message_structure(kMultipart));
  EXPECT_EQ(decoded(*s), mime::parse_structure(kMultipart));
  // COPY and MOVE point at the same row: nothing to compute again.
  auto c = store::copy_messages(tx, account_, box, other, {a.uid});
  ASSERT_TRUE(c.ok());
  auto meta = store::message_meta(tx, account_, other, c->dest_uids);
  ASSERT_EQ(meta->size(), 1u);
  EXPECT_EQ((*meta)[0].message_id, a.message_id);
  // Another account sees no tree of it.
  EXPECT_TRUE(store::message_structures(tx, new_account(), {a.message_id}).empty());
}

TEST_F(ImapStoreTest, AppendBlobComputesTheTreeOfAWrittenBody) {
  const int64_t box = mailbox("Box");
  pqxx::work tx(*imap_);
  store::BlobWriter w(tx, 16);  // tiny chunks: the body is read back across many
  w.append(kMultipart);
  const int64_t blob = w.finish();
  auto a = store::append_blob(tx, account_, box, blob, kMultipart.size(), 77, {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(stored(tx, account_, a->message_id), store::message_structure(kMultipart));
  // A tree the caller has is stored as given.
  store::BlobWriter w2(tx, store::kChunkSize);
  w2.append(kMessage);
  auto b = store::append_blob(tx, account_, box, w2.finish(), kMessage.size(), 34, {}, std::string("\x01given"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(stored(tx, account_, b->message_id), std::string("\x01given"));
}

TEST_F(ImapStoreTest, DeliveredCopyKeepsTheTreeOfItsPrefixAndBody) {
  const int64_t in = inbox();
  store::CopyRequest cr = delivery(kMultipart, 80, 77);
  auto mda = connect("mail_mda");
  pqxx::work d(*mda);
  cr.header_prefix = "Return-Path: <a@b.test>\r\nDelivered-To: u@i.test\r\n";
  const std::string whole = cr.header_prefix + kMultipart;
  cr.structure = mime::encode_structure(mime::parse_structure_prefixed(cr.header_prefix, kMultipart,
                                                                       mime::parse_structure(kMultipart)));
  auto c = store::store_copy(d, cr);
  EXPECT_EQ(c.mailbox_id, in);
  EXPECT_EQ(stored(d, account_, c.message_id), store::message_structure(whole));
  // Without one (a body too large to parse at delivery) the row has none.
  cr.recipient_id = 2;
  cr.job_id = 78;
  cr.structure.reset();
  auto c2 = store::store_copy(d, cr);
  EXPECT_EQ(stored(d, account_, c2.message_id), std::nullopt);
  d.commit();
}

TEST_F(ImapStoreTest, LazyFillWritesOnlyOverNullOrTheUnusableValue) {
  const int64_t box = mailbox("Box");
  const auto a = append(box, kMessage);
  {
    pqxx::work tx(*admin_);
    tx.exec_params("UPDATE store.messages SET structure = NULL WHERE id = $1", a.message_id);
    tx.commit();
  }
  pqxx::work tx(*imap_);
  EXPECT_EQ(stored(tx, account_, a.message_id), std::nullopt) << "a row from before 004";
  const std::string tree = store::message_structure(*store::read_whole_message(tx, account_, a.message_id));
  EXPECT_TRUE(store::save_message_structure(tx, account_, a.message_id, tree));
  EXPECT_FALSE(store::save_message_structure(tx, account_, a.message_id, "\x01other")) << "not over a tree";
  EXPECT_FALSE(store::save_message_structure(tx, account_, a.message_id, "\x01other", std::string("\x01" "else")));
  EXPECT_EQ(stored(tx, account_, a.message_id), tree);
  EXPECT_TRUE(store::save_message_structure(tx, account_, a.message_id, "\x01other", tree)) << "over the one it replaces";
  EXPECT_EQ(stored(tx, account_, a.message_id), std::string("\x01other"));
  EXPECT_FALSE(store::save_message_structure(tx, new_account(), a.message_id, tree, std::string("\x01other")))
      << "another account's message";
  EXPECT_FALSE(store::save_message_structure(tx, account_, 987654321, tree));
}

TEST_F(ImapStoreTest, RangeReadsAcrossPrefixAndUnevenChunks) {
  const int64_t in = inbox();
  // A body staged in chunks as a client sent them: uneven sizes.
  std::mt19937 rng(7);
  std::string body = "Subject: ranges\r\n\r\n";
  while (body.size() < 40000) body += static_cast<char>('a' + rng() % 26);
  const std::vector<size_t> sizes = {1, 2, 700, 13, 9000, 1, 4096, 20000};
  pqxx::work tx(*admin_);
  auto b = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, $2) RETURNING id", int64_t(body.size()),
                          int(sizes.size() + 1));
  const int64_t blob = b[0][0].as<int64_t>();
  size_t at = 0;
  int seq = 0;
  for (size_t n : sizes) {
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)", blob, seq++,
                   pqxx::binarystring(body.data() + at, n));
    at += n;
  }
  tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)", blob, seq,
                 pqxx::binarystring(body.data() + at, body.size() - at));
  tx.commit();
  store::CopyRequest cr;
  cr.job_id = 99;
  cr.recipient_id = 1;
  cr.account_id = account_;
  cr.blob_id = blob;
  cr.blob_size = body.size();
  cr.header_size = 19;
  cr.header_prefix = "Return-Path: <a@b.test>\r\n";
  auto mda = connect("mail_mda");
  pqxx::work d(*mda);
  const auto c = store::store_copy(d, cr);
  d.commit();
  ASSERT_GT(c.message_id, 0);
  EXPECT_GT(in, 0);

  pqxx::work r(*imap_);
  const std::string whole = *store::read_whole_message(r, account_, c.message_id);
  ASSERT_EQ(whole, cr.header_prefix + body);
  const uint64_t p = cr.header_prefix.size();
  std::vector<uint64_t> offsets = {0, 1, p - 1, p, p + 1, p + 2, p + 3, p + 703, p + 716, whole.size() - 1,
                                   whole.size(), whole.size() + 5};
  for (int i = 0; i < 40; ++i) offsets.push_back(rng() % whole.size());
  for (uint64_t off : offsets) {
    for (uint64_t len : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{50}, uint64_t{9001}, uint64_t{100000}}) {
      auto got = store::read_message_range(r, account_, c.message_id, off, len);
      ASSERT_TRUE(got.ok());
      const std::string want = off < whole.size() ? whole.substr(off, len) : std::string();
      ASSERT_EQ(*got, want) << off << "+" << len;
    }
  }
  EXPECT_EQ(store::read_message_range(r, new_account(), c.message_id, 0, 10).error(), Error::kNotFound);
  EXPECT_EQ(store::read_message_range(r, account_, 987654321, 0, 10).error(), Error::kNotFound);
}

// PostgreSQL's own count of the TOAST pages a read touches: a range in one
// chunk of a large message touches a few, the whole message all of them.
TEST_F(ImapStoreTest, RangeReadTouchesOnlyTheChunksThatHoldIt) {
  const int64_t box = mailbox("Big");
  std::string big = "Subject: big\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n";
  std::mt19937 rng(11);
  // Random bytes do not compress: every chunk is stored out of line as it is.
  while (big.size() < 40 * store::kChunkSize) big += static_cast<char>(33 + rng() % 90);
  big += "\r\n--x--\r\n";
  const auto a = append(box, big);
  // This connection's counts reach the statistics when it goes idle after
  // pg_stat_force_next_flush(); each statement below is a transaction of
  // its own, so it sees a fresh snapshot of them.
  auto toast_pages = [&] {
    pqxx::nontransaction s(*admin_);
    s.exec("SELECT pg_stat_force_next_flush()");
    s.exec("SELECT pg_stat_clear_snapshot()");
    return s.exec(
        "SELECT COALESCE(toast_blks_read, 0) + COALESCE(toast_blks_hit, 0) FROM pg_statio_all_tables"
        " WHERE relid = 'store.blob_chunks'::regclass")[0][0].as<int64_t>();
  };
  auto measured = [&](auto f) {
    const int64_t before = toast_pages();
    {
      pqxx::work tx(*admin_);
      f(tx);
    }
    return toast_pages() - before;
  };
  const uint64_t off = 25 * store::kChunkSize + 1000;
  std::string part;
  const int64_t range = measured([&](pqxx::work& tx) { part = *store::read_message_range(tx, account_, a.message_id, off, 100); });
  EXPECT_EQ(part, big.substr(off, 100));
  const int64_t all = measured([&](pqxx::work& tx) { (void)*store::read_whole_message(tx, account_, a.message_id); });
  RecordProperty("toast_pages_range", static_cast<int>(range));
  RecordProperty("toast_pages_whole", static_cast<int>(all));
  EXPECT_GT(all, 40 * 30) << "about 32 pages of TOAST per 256 KiB chunk";
  EXPECT_LT(range, 10) << "a 100-byte range in one chunk; the whole message took " << all;
}
