// SPDX-License-Identifier: Apache-2.0
// The search fields kept with each stored message (migration 006): APPEND
// and delivery write mime::search_fields() of the header with the row,
// read_search_fields() returns them per UID (nullopt for a row from before
// 006), and save_search_fields() fills only rows that have none, of the
// caller's account; against a real PostgreSQL as mail_imap and mail_mda.
#include "imap_fixture.h"
#include "mail/mime/search_text.h"
#include "mail/store/blob_writer.h"

using namespace mail;
using imap_test::ImapStoreTest;
using store::Error;

namespace {

const std::string kHeader = "From: =?UTF-8?Q?Ren=C3=A9?= <RENE@example.test>\r\nSubject: Quarterly REPORT\r\n\r\n";
const std::string kBody = "text\r\n";

}  // namespace

TEST_F(ImapStoreTest, AppendAndDeliveryStoreTheSearchFields) {
  const int64_t box = mailbox("Box");
  const auto a = append(box, kHeader + kBody);
  pqxx::work tx(*imap_);
  auto f = store::read_search_fields(tx, account_, box, {a.uid, 99});
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u) << "a UID not in the mailbox has no row";
  EXPECT_EQ((*f)[0].uid, a.uid);
  EXPECT_EQ((*f)[0].message_id, a.message_id);
  EXPECT_EQ((*f)[0].fields, mime::search_fields(kHeader));
  EXPECT_TRUE(mime::search_field_holds(*(*f)[0].fields, "from", "ren\xC3\xA9 <rene@"));
  // A body the caller wrote chunk by chunk: read back for its fields.
  store::BlobWriter w(tx, 8);
  w.append(kHeader + kBody);
  auto b = store::append_blob(tx, account_, box, w.finish(), kHeader.size() + kBody.size(),
                              static_cast<uint32_t>(kHeader.size()), {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*store::read_search_fields(tx, account_, box, {b->uid}))[0].fields, mime::search_fields(kHeader));
  EXPECT_EQ(store::read_search_fields(tx, new_account(), box, {a.uid}).error(), Error::kNotFound);
  tx.commit();

  // Delivery: what the mda computed goes in with the row, or NULL.
  store::CopyRequest cr = delivery(kHeader + kBody, static_cast<uint32_t>(kHeader.size()), 91);
  auto mda = connect("mail_mda");
  pqxx::work d(*mda);
  cr.header_prefix = "Return-Path: <a@b.test>\r\n";
  cr.search_fields = mime::search_fields(kHeader);
  const auto c1 = store::store_copy(d, cr);
  cr.job_id = 92;
  cr.search_fields.reset();
  const auto c2 = store::store_copy(d, cr);
  d.commit();
  pqxx::work r(*imap_);
  auto got = store::read_search_fields(r, account_, c1.mailbox_id, {c1.uid, c2.uid});
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].fields, mime::search_fields(kHeader));
  EXPECT_EQ((*got)[1].fields, std::nullopt);
}

TEST_F(ImapStoreTest, SavedSearchFieldsFillOnlyTheMissing) {
  const int64_t box = mailbox("Box");
  const auto a = append(box, kHeader + kBody);
  const auto b = append(box, kHeader + kBody);
  {
    pqxx::work adm(*admin_);
    adm.exec_params("UPDATE store.messages SET search_fields = NULL WHERE id = $1", a.message_id);
    adm.commit();
  }
  pqxx::work tx(*imap_);
  auto f = store::read_search_fields(tx, account_, box, {a.uid, b.uid});
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[0].fields, std::nullopt) << "a row from before 006";
  const std::string mine = "subject\tcomputed \"quoted\" \\ back\n";
  EXPECT_EQ(store::save_search_fields(tx, new_account(), {{a.message_id, mine}}), 0u) << "another account's";
  EXPECT_EQ(store::save_search_fields(tx, account_, {{a.message_id, mine}, {b.message_id, "subject\tover\n"}}), 1u)
      << "only the one without";
  f = store::read_search_fields(tx, account_, box, {a.uid, b.uid});
  EXPECT_EQ((*f)[0].fields, mine);
  EXPECT_EQ((*f)[1].fields, mime::search_fields(kHeader));
  EXPECT_EQ(store::save_search_fields(tx, account_, {}), 0u);
}
