// SPDX-License-Identifier: Apache-2.0
// Mailbox operations against a real PostgreSQL, as the mail_imap role (and
// mail_pop3 / mail_mda where they call ensure_default_mailboxes): names,
// the default mailboxes (once, concurrently, for accounts that predate 003),
// CREATE with parents, DELETE refusals and orphaning, UIDVALIDITY across delete
// and re-create in one second, RENAME with children and of INBOX, LIST data
// and subscriptions.
#include <map>
#include <set>
#include <thread>

#include "imap_fixture.h"

using namespace mail;
using imap_test::ImapStoreTest;
using imap_test::kMessage;
using store::Error;
using store::SpecialUse;

TEST(MailboxNames, NormalizeAndRefuse) {
  EXPECT_EQ(store::normalize_mailbox_name("inbox"), "INBOX");
  EXPECT_EQ(store::normalize_mailbox_name("InBox/Sub"), "INBOX/Sub");
  EXPECT_EQ(store::normalize_mailbox_name("Inboxes"), "Inboxes");
  EXPECT_EQ(store::normalize_mailbox_name("a/b/c"), "a/b/c");
  EXPECT_EQ(store::normalize_mailbox_name("Entw\xc3\xbcrfe"), "Entw\xc3\xbcrfe");
  for (const std::string& bad : std::vector<std::string>{"", "/a", "a/", "a//b", "a*", "50%", "tab\there", std::string("nul\0x", 5), "bad\xc3",
                          "\xc0\xaf", "\xed\xa0\x80", std::string(store::kMaxMailboxName + 1, 'x')})
    EXPECT_FALSE(store::normalize_mailbox_name(bad)) << bad;
  std::string deep = "a";
  for (int i = 1; i < store::kMaxMailboxDepth; ++i) deep += "/a";
  EXPECT_TRUE(store::normalize_mailbox_name(deep));
  EXPECT_FALSE(store::normalize_mailbox_name(deep + "/a"));
  EXPECT_EQ(store::parse_special_use("\\sent"), SpecialUse::kSent);
  EXPECT_FALSE(store::parse_special_use("\\Important"));
}

TEST_F(ImapStoreTest, DefaultMailboxesOnceWithSpecialUseAndSubscribed) {
  std::vector<store::MailboxInfo> first, second;
  {
    pqxx::work tx(*imap_);
    store::ensure_default_mailboxes(tx, account_);
    first = store::list_mailboxes(tx, account_);
    tx.commit();
  }
  ASSERT_EQ(first.size(), 6u);
  std::map<std::string, SpecialUse> uses;
  for (const auto& m : first) {
    uses[m.name] = m.special_use;
    EXPECT_TRUE(m.subscribed) << m.name;
    EXPECT_EQ(m.uid_next, 1);
  }
  EXPECT_EQ(uses["INBOX"], SpecialUse::kNone);
  EXPECT_EQ(uses["Drafts"], SpecialUse::kDrafts);
  EXPECT_EQ(uses["Sent"], SpecialUse::kSent);
  EXPECT_EQ(uses["Trash"], SpecialUse::kTrash);
  EXPECT_EQ(uses["Junk"], SpecialUse::kJunk);
  EXPECT_EQ(uses["Archive"], SpecialUse::kArchive);
  {
    pqxx::work tx(*imap_);
    // Delete one: the defaults are made once, not re-made at every login.
    ASSERT_TRUE(store::delete_mailbox(tx, account_, "Junk").ok());
    store::ensure_default_mailboxes(tx, account_);
    second = store::list_mailboxes(tx, account_);
    tx.commit();
  }
  EXPECT_EQ(second.size(), 5u);
  EXPECT_EQ(second[0].uidvalidity, first[0].uidvalidity);
  std::set<int64_t> validities;
  for (const auto& m : first) validities.insert(m.uidvalidity);
  EXPECT_EQ(validities.size(), 6u) << "every mailbox its own UIDVALIDITY";
}

TEST_F(ImapStoreTest, DefaultMailboxesKeepAnInboxThatPredatesTheMigration) {
  // As 001/002 left an account: an INBOX with mail, no account_state row,
  // and a "Sent" made by hand.
  {
    pqxx::work tx(*admin_);
    tx.exec_params("INSERT INTO store.mailboxes(account_id, name, uidvalidity, uid_next, messages) VALUES"
                   " ($1, 'INBOX', 1234567, 8, 0), ($1, 'Sent', 1234568, 1, 0)",
                   account_);
    tx.commit();
  }
  auto pop3 = connect("mail_pop3");
  {
    pqxx::work tx(*pop3);
    store::ensure_default_mailboxes(tx, account_);
    tx.commit();
  }
  auto in = info("INBOX");
  EXPECT_EQ(in.uidvalidity, 1234567);
  EXPECT_EQ(in.uid_next, 8);
  EXPECT_EQ(in.special_use, SpecialUse::kNone);
  auto sent = info("Sent");
  EXPECT_EQ(sent.uidvalidity, 1234568);
  EXPECT_EQ(sent.special_use, SpecialUse::kSent) << "the hand-made Sent gets the attribute";
  EXPECT_GT(info("Trash").uidvalidity, 1234568);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.mailboxes WHERE account_id = " + std::to_string(account_)), 6);
}

TEST_F(ImapStoreTest, DefaultMailboxesTwoSessionsAtOnce) {
  auto a = connect("mail_imap");
  auto b = connect("mail_mda");
  pqxx::work ta(*a);
  store::ensure_default_mailboxes(ta, account_);  // holds the account_state row
  std::exception_ptr failed;
  std::thread t([&] {
    try {
      pqxx::work tb(*b);
      store::ensure_default_mailboxes(tb, account_);  // waits, then finds them made
      tb.commit();
    } catch (...) {
      failed = std::current_exception();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ta.commit();
  t.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.mailboxes WHERE account_id = " + std::to_string(account_)), 6);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.subscriptions WHERE account_id = " + std::to_string(account_)), 6);
}

TEST_F(ImapStoreTest, CreateMakesParentsAndRefuses) {
  pqxx::work tx(*imap_);
  auto c = store::create_mailbox(tx, account_, "Work/2026/Q4");
  ASSERT_TRUE(c.ok());
  auto names = store::list_mailboxes(tx, account_);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].name, "Work");
  EXPECT_TRUE(names[0].has_children);
  EXPECT_EQ(names[1].name, "Work/2026");
  EXPECT_EQ(names[2].name, "Work/2026/Q4");
  EXPECT_FALSE(names[2].has_children);
  EXPECT_EQ(names[2].id, *c);
  EXPECT_EQ(store::create_mailbox(tx, account_, "Work/2026/Q4").error(), Error::kAlreadyExists);
  EXPECT_EQ(store::create_mailbox(tx, account_, "Work//x").error(), Error::kNameInvalid);
  EXPECT_EQ(store::create_mailbox(tx, account_, "*").error(), Error::kNameInvalid);
  ASSERT_TRUE(store::create_mailbox(tx, account_, "Old mail", SpecialUse::kArchive).ok());
  EXPECT_EQ(store::create_mailbox(tx, account_, "More", SpecialUse::kArchive).error(), Error::kSpecialUseInUse);
  store::ensure_default_mailboxes(tx, account_);
  tx.commit();
  EXPECT_EQ(info("Archive").special_use, SpecialUse::kNone) << "\\Archive was taken by \"Old mail\"";
  EXPECT_EQ(info("Old mail").special_use, SpecialUse::kArchive);
  EXPECT_EQ(info("inbox").name, "INBOX");
}

TEST_F(ImapStoreTest, DeleteRefusesInboxAndParentsAndOrphansMessages) {
  inbox();
  int64_t box = mailbox("Lists/dev");
  append(box, kMessage);
  append(box, kMessage, store::kSeen);
  const std::string acct = std::to_string(account_);
  EXPECT_EQ(scalar("SELECT bytes FROM store.quota_usage WHERE account_id = " + acct), 2 * int64_t(kMessage.size()));
  pqxx::work tx(*imap_);
  EXPECT_EQ(store::delete_mailbox(tx, account_, "inbox").error(), Error::kInboxCannotBeDeleted);
  EXPECT_EQ(store::delete_mailbox(tx, account_, "Lists").error(), Error::kHasChildren);
  EXPECT_EQ(store::delete_mailbox(tx, account_, "Nope").error(), Error::kNotFound);
  ASSERT_TRUE(store::subscribe(tx, account_, "Lists/dev").ok());
  auto d = store::delete_mailbox(tx, account_, "Lists/dev");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->messages, 2);
  EXPECT_EQ(d->bytes, 2 * int64_t(kMessage.size()));
  EXPECT_TRUE(store::delete_mailbox(tx, account_, "Lists").ok()) << "no children any more";
  tx.commit();
  EXPECT_EQ(scalar("SELECT bytes FROM store.quota_usage WHERE account_id = " + acct), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.messages WHERE account_id = " + acct + " AND orphaned_at IS NULL"), 0)
      << "both marked for the sweep";
  EXPECT_EQ(scalar("SELECT count(*) FROM store.mailboxes WHERE account_id = " + acct + " AND name LIKE 'Lists%'"), 0);
  EXPECT_GE(sweep(std::chrono::seconds(0)).messages, 2) << "the sweep deletes them (grace 0)";
  EXPECT_EQ(scalar("SELECT count(*) FROM store.messages WHERE account_id = " + acct), 0);
  pqxx::work t2(*imap_);
  EXPECT_EQ(store::list_subscriptions(t2, account_).size(), 7u) << "subscriptions outlive DELETE (RFC 3501 6.3.4)";
}

TEST_F(ImapStoreTest, UidvalidityGrowsAcrossDeleteAndCreateInOneSecond) {
  pqxx::work tx(*imap_);  // one transaction: now() is the same instant throughout
  std::vector<int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    auto c = store::create_mailbox(tx, account_, "Again");
    ASSERT_TRUE(c.ok());
    seen.push_back(store::find_mailbox(tx, account_, "Again")->uidvalidity);
    ASSERT_TRUE(store::delete_mailbox(tx, account_, "Again").ok());
  }
  EXPECT_LT(seen[0], seen[1]);
  EXPECT_LT(seen[1], seen[2]);
  auto epoch = tx.exec("SELECT extract(epoch from now())::bigint")[0][0].as<int64_t>();
  EXPECT_GE(seen[0], epoch);
}

TEST_F(ImapStoreTest, RenameMovesChildrenSubscriptionsAndRefuses) {
  mailbox("a/b/c");
  int64_t b = info("a/b").id;
  append(b, kMessage);
  const int64_t old_validity = info("a/b").uidvalidity;
  pqxx::work tx(*imap_);
  ASSERT_TRUE(store::subscribe(tx, account_, "a/b").ok());
  ASSERT_TRUE(store::create_mailbox(tx, account_, "taken").ok());
  EXPECT_EQ(store::rename_mailbox(tx, account_, "a/b", "taken").error(), Error::kAlreadyExists);
  EXPECT_EQ(store::rename_mailbox(tx, account_, "nope", "x").error(), Error::kNotFound);
  EXPECT_EQ(store::rename_mailbox(tx, account_, "a/b", "a/b/c/d").error(), Error::kNameInvalid);
  EXPECT_EQ(store::rename_mailbox(tx, account_, "a/b", "INBOX").error(), Error::kNameInvalid);
  auto r = store::rename_mailbox(tx, account_, "a/b", "x/y");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mailbox_id, b);
  EXPECT_EQ(r->moved, 2);
  std::vector<std::string> names;
  for (const auto& m : store::list_mailboxes(tx, account_)) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "taken", "x", "x/y", "x/y/c"}));
  auto moved = store::find_mailbox(tx, account_, "x/y");
  EXPECT_EQ(moved->messages, 1) << "the same mailbox, its messages with it";
  EXPECT_GT(moved->uidvalidity, old_validity);
  EXPECT_EQ(store::list_subscriptions(tx, account_), (std::vector<std::string>{"x/y"}));
}

TEST_F(ImapStoreTest, RenameInboxMovesItsMessagesAndLeavesItEmpty) {
  int64_t in = inbox();
  mailbox("INBOX/keep");
  append(in, kMessage, store::kSeen);
  append(in, kMessage);
  append(in, kMessage, store::kFlagged, {"$Work"});
  auto before = info("INBOX");
  pqxx::work tx(*imap_);
  auto r = store::rename_mailbox(tx, account_, "inbox", "Old/inbox");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->moved, 3);
  tx.commit();
  auto inb = info("INBOX");
  EXPECT_EQ(inb.id, in);
  EXPECT_EQ(inb.messages, 0);
  EXPECT_EQ(inb.unseen, 0);
  EXPECT_EQ(inb.bytes, 0);
  EXPECT_EQ(inb.uid_next, 4) << "UIDs are never reused";
  EXPECT_EQ(inb.uidvalidity, before.uidvalidity);
  EXPECT_GT(inb.highest_modseq, before.highest_modseq);
  EXPECT_EQ(info("INBOX/keep").name, "INBOX/keep") << "INBOX's children stay";
  auto old = info("Old/inbox");
  EXPECT_EQ(old.messages, 3);
  EXPECT_EQ(old.unseen, 2);
  EXPECT_EQ(old.bytes, 3 * int64_t(kMessage.size()));
  EXPECT_EQ(old.uid_next, 4);
  EXPECT_EQ(info("Old").name, "Old");
  pqxx::work t2(*imap_);
  auto sel = store::select_mailbox(t2, account_, "Old/inbox", false);
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->index.size(), 3u);
  EXPECT_EQ(sel->entry(0).uid, 1);
  EXPECT_EQ(sel->entry(0).flags, store::kSeen);
  EXPECT_EQ(sel->entry(2).flags, store::kFlagged);
  EXPECT_EQ(sel->entry(2).keywords, (std::vector<std::string>{"$Work"}));
  EXPECT_EQ(sel->keywords, (std::vector<std::string>{"$Work"}));
  auto ch = store::changes_since(t2, account_, in, before.highest_modseq);
  EXPECT_EQ(ch->expunged, (std::vector<int64_t>{1, 2, 3})) << "INBOX sessions learn they are gone";
}

TEST_F(ImapStoreTest, SubscriptionsNeedNoMailbox) {
  pqxx::work tx(*imap_);
  EXPECT_TRUE(store::subscribe(tx, account_, "Not/there").ok());
  EXPECT_TRUE(store::subscribe(tx, account_, "Not/there").ok()) << "twice is fine";
  EXPECT_TRUE(store::subscribe(tx, account_, "inbox").ok());
  EXPECT_EQ(store::subscribe(tx, account_, "a//b").error(), Error::kNameInvalid);
  EXPECT_EQ(store::list_subscriptions(tx, account_), (std::vector<std::string>{"INBOX", "Not/there"}));
  EXPECT_TRUE(store::unsubscribe(tx, account_, "Not/there").ok());
  EXPECT_EQ(store::unsubscribe(tx, account_, "Not/there").error(), Error::kNotFound);
  EXPECT_EQ(store::list_subscriptions(tx, account_), (std::vector<std::string>{"INBOX"}));
}

TEST_F(ImapStoreTest, ListReportsCountsRecentAndSize) {
  int64_t box = mailbox("Box");
  append(box, kMessage, store::kSeen);
  append(box, kMessage);
  {
    pqxx::work tx(*imap_);
    auto l = store::list_mailboxes(tx, account_);
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].messages, 2);
    EXPECT_EQ(l[0].unseen, 1);
    EXPECT_EQ(l[0].recent, 2);
    EXPECT_EQ(l[0].bytes, 2 * int64_t(kMessage.size()));
    EXPECT_EQ(l[0].uid_next, 3);
    EXPECT_FALSE(l[0].subscribed);
    ASSERT_TRUE(store::select_mailbox(tx, account_, "Box", true).ok());
    EXPECT_EQ(store::list_mailboxes(tx, account_)[0].recent, 0);
  }
}

TEST_F(ImapStoreTest, TwoSessionsCreatingOneNameGetOneMailboxAndAlreadyExists) {
  auto a = connect("mail_imap");
  auto b = connect("mail_imap");
  pqxx::work ta(*a);
  ASSERT_TRUE(store::create_mailbox(ta, account_, "Same/name").ok());
  std::optional<Error> second;
  std::exception_ptr failed;
  std::thread t([&] {
    try {
      pqxx::work tb(*b);
      auto r = store::create_mailbox(tb, account_, "Same/name");  // waits for the account row
      if (!r) second = r.error();
      tb.commit();
    } catch (...) {
      failed = std::current_exception();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ta.commit();
  t.join();
  EXPECT_FALSE(failed) << "no unique_violation: the second session saw the first's commit";
  EXPECT_EQ(second, Error::kAlreadyExists);
  EXPECT_EQ(scalar("SELECT count(*) FROM store.mailboxes WHERE account_id = " + std::to_string(account_)), 2);
}
