// SPDX-License-Identifier: Apache-2.0
// FETCH through the real store: the session of session_fixture.h over
// PgMailStore and a throw-away PostgreSQL database (every migration
// applied, mail_imap's rights). A delivered copy stored without a tree (a
// row from before migration 004: NULL) is answered as from the whole
// message and gets its tree written back, equal to the one the mda would
// have stored; a message APPENDed over IMAP has its tree from the start;
// parts of a message of several chunks come from range reads; the answers
// are those mime computes from the whole message, before and after.
#include <pqxx/pqxx>

#include "mail/mime/envelope.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/pg/pool.h"
#include "mail/pg/testing.h"
#include "mail/store/blob_writer.h"
#include "mail/store/mailstore.h"
#include "mail/store/message_structure.h"
#include "pg_store.h"
#include "session_fixture.h"

namespace {

class FetchPg : public ImapSession {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void SetUp() override {
    admin_ = std::make_unique<pqxx::connection>(db_->conninfo());
    pqxx::work tx(*admin_);
    auto d = tx.exec(
        "INSERT INTO directory.domains(name) VALUES ('f.test') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
        " RETURNING id");
    auto a = tx.exec_params(
        "INSERT INTO directory.accounts(domain_id, address, password_hash) VALUES ($1, 'u' || $2 || '@f.test', 'x')"
        " RETURNING id",
        d[0][0].as<int64_t>(), std::to_string(++counter_));
    tx.commit();
    account_ = a[0][0].as<int64_t>();
    auth_.account = account_;
    db_pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_imap", 2);
    pg_store_ = std::make_unique<PgMailStore>(*db_pool_);
    store_in_use_ = pg_store_.get();
  }

  // A delivery as the mda makes it: the body in chunks of chunk_size, one
  // copy into INBOX with a trace prefix, with or without its tree.
  int64_t deliver(const std::string& body, bool with_tree, size_t chunk_size = store::kChunkSize) {
    auto mda = std::make_unique<pqxx::connection>(db_->conninfo() + " user=mail_mda");
    int64_t blob = 0;
    {
      pqxx::work tx(*admin_);  // the mta writes bodies
      store::BlobWriter w(tx, chunk_size);
      w.append(body);
      blob = w.finish();
      tx.commit();
    }
    pqxx::work tx(*mda);
    store::CopyRequest cr;
    cr.job_id = ++counter_;
    cr.recipient_id = 1;
    cr.account_id = account_;
    cr.blob_id = blob;
    cr.blob_size = body.size();
    const auto end = body.find("\r\n\r\n");
    cr.header_size = static_cast<uint32_t>(end == std::string::npos ? body.size() : end + 4);
    cr.header_prefix = "Return-Path: <s@x.test>\r\nDelivered-To: u@f.test\r\n";
    if (with_tree) cr.structure = store::message_structure(cr.header_prefix + body);
    auto c = store::store_copy(tx, cr);
    tx.commit();
    return c.message_id;
  }
  std::optional<std::string> tree_of(int64_t message_id) {
    pqxx::work tx(*admin_);
    auto s = store::message_structures(tx, account_, {message_id});
    return s.empty() ? std::nullopt : s[0].structure;
  }
  std::string whole(int64_t message_id) {
    pqxx::work tx(*admin_);
    return store::read_message(tx, message_id);
  }

  static inline pg::testing::TempDatabase* db_ = nullptr;
  static inline int counter_ = 0;
  std::unique_ptr<pqxx::connection> admin_;
  std::unique_ptr<pg::Pool> db_pool_;
  std::unique_ptr<PgMailStore> pg_store_;
  int64_t account_ = 0;
};

const std::string kParts =
    "From: Carol <carol@example.test>\r\nSubject: Parts\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain\r\n\r\nplain one\r\n"
    "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<i>two</i>\r\n--alt--\r\n";

std::string lit(std::string_view s) { return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s); }

}  // namespace

TEST_F(FetchPg, NullTreeIsComputedOnceAndWrittenBack) {
  const int64_t id = deliver(kParts, false);
  ASSERT_EQ(tree_of(id), std::nullopt);
  start(true);
  auto c = logged_in();
  ASSERT_NE(c->cmd("s", "EXAMINE INBOX").find("s OK"), std::string::npos);
  const std::string msg = whole(id);
  const mime::Part tree = mime::parse_structure(msg);
  const std::string want = "* 1 FETCH (BODYSTRUCTURE " + mime::imap_body_structure(tree, true) + " ENVELOPE " +
                           mime::imap_envelope(*tree.envelope) + " BODY[2] " +
                           lit(msg.substr(tree.children[1].body_offset, tree.children[1].body_size)) +
                           ")\r\na OK FETCH completed\r\n";
  EXPECT_EQ(c->cmd("a", "FETCH 1 (BODYSTRUCTURE ENVELOPE BODY.PEEK[2])"), want);
  // Written back: the tree of the message with its trace prefix, as the mda stores it.
  EXPECT_EQ(tree_of(id), store::message_structure(msg));
  EXPECT_EQ(c->cmd("a", "FETCH 1 (BODYSTRUCTURE ENVELOPE BODY.PEEK[2])"), want) << "and answered from it";
  EXPECT_EQ(c->cmd("b", "FETCH 1 BODY.PEEK[1.MIME]"),
            "* 1 FETCH (BODY[1.MIME] " + lit("Content-Type: text/plain\r\n\r\n") + ")\r\nb OK FETCH completed\r\n");
}

TEST_F(FetchPg, StoredTreesServeDeliveredAndAppendedMessages) {
  // A body of many small chunks whose second part lies in the last ones.
  std::string body = "Subject: chunks\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n";
  for (int i = 0; i < 300; ++i) body += "line " + std::to_string(i) + " of the first part\r\n";
  body += "\r\n--b\r\nContent-Type: text/plain\r\n\r\nthe end\r\n--b--\r\n";
  const int64_t id = deliver(body, true, 1000);
  start(true);
  auto c = logged_in();
  const std::string appended = "Subject: appended\r\nTo: a@b.test\r\n\r\nhello\r\n";
  c->send("p APPEND INBOX {" + std::to_string(appended.size()) + "+}\r\n" + appended + "\r\n");
  ASSERT_NE(c->until("p").find("p OK [APPENDUID"), std::string::npos);
  ASSERT_NE(c->cmd("s", "EXAMINE INBOX").find("s OK"), std::string::npos);
  const std::string msg = whole(id);
  const mime::Part tree = mime::parse_structure(msg);
  EXPECT_EQ(c->cmd("a", "FETCH 1 (BODY BODY.PEEK[2] BODY.PEEK[1]<20.9> BODY.PEEK[HEADER.FIELDS (Subject)])"),
            "* 1 FETCH (BODY " + mime::imap_body_structure(tree, false) + " BODY[2] " + lit("the end") +
                " BODY[1]<20> " + lit(msg.substr(tree.children[0].body_offset + 20, 9)) +
                " BODY[HEADER.FIELDS (SUBJECT)] " + lit("Subject: chunks\r\n\r\n") + ")\r\na OK FETCH completed\r\n");
  pqxx::work tx(*admin_);
  auto rows = tx.exec_params("SELECT id FROM store.messages WHERE account_id = $1 AND id <> $2", account_, id);
  ASSERT_EQ(rows.size(), 1u);
  const int64_t appended_id = rows[0][0].as<int64_t>();
  tx.commit();
  EXPECT_EQ(tree_of(appended_id), store::message_structure(appended)) << "APPEND stored the tree";
  const mime::Part atree = mime::parse_structure(appended);
  EXPECT_EQ(c->cmd("b", "FETCH 2 (ENVELOPE BODYSTRUCTURE RFC822.TEXT)"),
            "* 2 FETCH (ENVELOPE " + mime::imap_envelope(*atree.envelope) + " BODYSTRUCTURE " +
                mime::imap_body_structure(atree, true) + " RFC822.TEXT " + lit("hello\r\n") +
                ")\r\nb OK FETCH completed\r\n");
}
