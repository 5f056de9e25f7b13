// SPDX-License-Identifier: Apache-2.0
// Tests of the mailbox verbs (SELECT/EXAMINE with CONDSTORE and QRESYNC,
// CREATE with USE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST basic and
// extended, LSUB, STATUS), APPEND with literals of every kind, and STORE,
// COPY, MOVE, UID EXPUNGE, on raw wire text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parse_util.h"

using namespace mail::imap;
using mail::imap::test::parse_as;
using mail::imap::test::parse_error;

namespace {

using Strings = std::vector<std::string>;

TEST(ImapMailbox, SelectExamine) {
  auto s = parse_as<Select>("A142 SELECT INBOX");
  EXPECT_EQ(s.mailbox, "INBOX");
  EXPECT_FALSE(s.params.condstore);
  EXPECT_EQ(parse_as<Select>("a select inBox").mailbox, "INBOX");
  EXPECT_EQ(parse_as<Select>("a SELECT \"INBOX\"").mailbox, "INBOX");
  EXPECT_EQ(parse_as<Select>("a SELECT INBOX/Sub").mailbox, "INBOX/Sub");  // only INBOX itself is normalised
  EXPECT_EQ(parse_as<Select>("a SELECT &U,BTFw-").mailbox, "&U,BTFw-");     // raw bytes
  EXPECT_EQ(parse_as<Examine>("A932 EXAMINE blurdybloop").mailbox, "blurdybloop");
  EXPECT_TRUE(parse_as<Select>("a SELECT x (CONDSTORE)").params.condstore);

  auto q = parse_as<Select>("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
  ASSERT_TRUE(q.params.qresync);
  EXPECT_EQ(q.params.qresync->uidvalidity, 67890007u);
  EXPECT_EQ(q.params.qresync->modseq, 20050715194045000u);
  ASSERT_TRUE(q.params.qresync->known_uids);
  EXPECT_EQ(format_sequence_set(*q.params.qresync->known_uids), "41,43:211,214:541");
  EXPECT_FALSE(q.params.qresync->seq_match);
  auto m = parse_as<Examine>(
      "B04 EXAMINE INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:6,8:10 41:46,48:50)) CONDSTORE)");
  ASSERT_TRUE(m.params.qresync && m.params.qresync->seq_match);
  EXPECT_EQ(format_sequence_set(m.params.qresync->seq_match->second), "41:46,48:50");
  EXPECT_TRUE(m.params.condstore);
  auto n = parse_as<Select>("a SELECT x (QRESYNC (1 2 (1 5)))");
  ASSERT_TRUE(n.params.qresync);
  EXPECT_FALSE(n.params.qresync->known_uids);
  EXPECT_TRUE(n.params.qresync->seq_match);

  for (std::string f : {"a SELECT", "a SELECT ", "a SELECT a b", "a SELECT x ()", "a SELECT x (FROB)", "a SELECT x (CONDSTORE",
                        "a SELECT x (QRESYNC)", "a SELECT x (QRESYNC (0 5))", "a SELECT x (QRESYNC (1 0))",
                        "a SELECT x (QRESYNC (1 2 3 4))", "a SELECT x (QRESYNC (1 2) QRESYNC (1 2))", "a SELECT x%",
                        "a EXAMINE (x)"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

TEST(ImapMailbox, CreateDeleteRenameSubscribe) {
  EXPECT_EQ(parse_as<Create>("A003 CREATE owatagusiam/").mailbox, "owatagusiam/");
  auto c = parse_as<Create>("t1 CREATE \"Important Messages\" (USE (\\Important \\Drafts))");
  EXPECT_EQ(c.mailbox, "Important Messages");
  EXPECT_EQ(c.use, (Strings{"\\Important", "\\Drafts"}));
  EXPECT_EQ(parse_as<Delete>("A683 DELETE blurdybloop").mailbox, "blurdybloop");
  auto r = parse_as<Rename>("A683 RENAME blurdybloop sarasoop");
  EXPECT_EQ(r.from, "blurdybloop");
  EXPECT_EQ(r.to, "sarasoop");
  EXPECT_EQ(parse_as<Rename>("a RENAME inbox {3+}\r\nold").to, "old");
  EXPECT_EQ(parse_as<Subscribe>("A002 SUBSCRIBE #news.comp.mail.mime").mailbox, "#news.comp.mail.mime");
  EXPECT_EQ(parse_as<Unsubscribe>("A002 UNSUBSCRIBE #news.comp.mail.mime").mailbox, "#news.comp.mail.mime");
  for (std::string f : {"a CREATE", "a CREATE x (USE)", "a CREATE x (USE (Drafts))", "a CREATE x (FOO (\\Drafts))",
                        "a CREATE x (USE (\\Drafts)", "a DELETE", "a DELETE a b", "a RENAME a", "a RENAME a  b",
                        "a SUBSCRIBE", "a UNSUBSCRIBE *"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

TEST(ImapMailbox, ListBasic) {
  auto l = parse_as<List>("A101 LIST \"\" \"\"");
  EXPECT_EQ(l.reference, "");
  EXPECT_EQ(l.patterns, (Strings{""}));
  EXPECT_FALSE(l.extended);
  l = parse_as<List>("A102 LIST #news.comp.mail.misc \"\"");
  EXPECT_EQ(l.reference, "#news.comp.mail.misc");
  l = parse_as<List>("A202 LIST ~/Mail/ %");
  EXPECT_EQ(l.reference, "~/Mail/");
  EXPECT_EQ(l.patterns, (Strings{"%"}));
  EXPECT_EQ(parse_as<List>("a LIST \"\" INBOX/*]").patterns, (Strings{"INBOX/*]"}));
  EXPECT_EQ(parse_as<List>("a LIST \"\" {1}\r\n*").patterns, (Strings{"*"}));
  EXPECT_EQ(parse_as<List>("a LIST inbox %").reference, "inbox");  // the reference is kept as sent
}

TEST(ImapMailbox, ListExtended) {
  auto l = parse_as<List>("A02 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"%\" foo/*) RETURN (CHILDREN SPECIAL-USE)");
  EXPECT_TRUE(l.extended);
  EXPECT_TRUE(l.subscribed);
  EXPECT_TRUE(l.recursive_match);
  EXPECT_FALSE(l.remote);
  EXPECT_EQ(l.patterns, (Strings{"%", "foo/*"}));
  EXPECT_TRUE(l.return_children);
  EXPECT_TRUE(l.return_special_use);
  EXPECT_FALSE(l.return_subscribed);
  auto s = parse_as<List>("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN SIZE) SUBSCRIBED)");
  EXPECT_EQ(s.return_status, (std::vector<StatusItem>{StatusItem::kMessages, StatusItem::kUnseen, StatusItem::kSize}));
  EXPECT_TRUE(s.return_subscribed);
  auto e = parse_as<List>("a LIST () \"\" % RETURN ()");
  EXPECT_TRUE(e.extended);
  EXPECT_TRUE(parse_as<List>("a LIST (SPECIAL-USE REMOTE) \"\" *").special_use);
  for (std::string f : {"a LIST", "a LIST \"\"", "a LIST \"\" %  ", "a LIST (FROB) \"\" %", "a LIST (RECURSIVEMATCH) \"\" %",
                        "a LIST \"\" () ", "a LIST \"\" ()", "a LIST \"\" % RETURN", "a LIST \"\" % RETURN (FROB)",
                        "a LIST \"\" % RETURN (STATUS ())", "a LIST \"\" % (CHILDREN)", "a LIST \"\" % RETURN (STATUS (FROB))",
                        "a LSUB \"\"", "a LSUB \"\" (%)"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
  auto ls = parse_as<Lsub>("A002 LSUB \"#news.\" \"comp.mail.*\"");
  EXPECT_EQ(ls.reference, "#news.");
  EXPECT_EQ(ls.pattern, "comp.mail.*");
}

TEST(ImapMailbox, Status) {
  auto s = parse_as<Status>("A042 STATUS blurdybloop (UIDNEXT MESSAGES)");
  EXPECT_EQ(s.mailbox, "blurdybloop");
  EXPECT_EQ(s.items, (std::vector<StatusItem>{StatusItem::kUidNext, StatusItem::kMessages}));
  EXPECT_EQ(parse_as<Status>("a status inbox (recent uidvalidity unseen highestmodseq size)").items.size(), 5u);
  for (std::string f : {"a STATUS x", "a STATUS x ()", "a STATUS x (FROB)", "a STATUS x MESSAGES", "a STATUS x (MESSAGES"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

TEST(ImapAppend, Literals) {
  const std::string msg =
      "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
      "Subject: afternoon meeting\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
  auto a = parse_as<Append>("A003 APPEND saved-messages (\\Seen) {" + std::to_string(msg.size()) + "}\r\n" + msg);
  EXPECT_EQ(a.mailbox, "saved-messages");
  EXPECT_EQ(a.flags, (Strings{"\\Seen"}));
  EXPECT_FALSE(a.date_time);
  EXPECT_EQ(a.message, msg);
  EXPECT_FALSE(a.binary);

  a = parse_as<Append>("a APPEND INBOX (\\Seen $Junk) \" 7-Feb-1994 21:52:25 -0800\" {5+}\r\nhello");
  ASSERT_TRUE(a.date_time);
  EXPECT_EQ(*a.date_time, (DateTime{{1994, 2, 7}, 21, 52, 25, -480}));
  EXPECT_EQ(a.message, "hello");
  a = parse_as<Append>("a APPEND INBOX \"17-Jul-1996 02:44:25 +0130\" {0}\r\n");
  EXPECT_EQ(a.date_time->zone_minutes, 90);
  EXPECT_EQ(a.message, "");
  a = parse_as<Append>(std::string("a APPEND x ~{3}\r\na\0b", 20));
  EXPECT_TRUE(a.binary);
  EXPECT_EQ(a.message, std::string("a\0b", 3));
  a = parse_as<Append>("a APPEND x () UTF8 (~{2+}\r\nhi)");
  EXPECT_TRUE(a.utf8);
  EXPECT_TRUE(a.flags.empty());
  EXPECT_EQ(a.message, "hi");

  for (std::string f : std::vector<std::string>{"a APPEND x", "a APPEND x \"hello\"", "a APPEND x hello", "a APPEND x {5}\r\nhell",
                        "a APPEND x (\\Seen {1}\r\nh", "a APPEND x \"7-Feb-1994 21:52:25 -0800\" {1}\r\nh",
                        "a APPEND x \"31-Apr-1994 21:52:25 -0800\" {1}\r\nh", "a APPEND x \" 7-Feb-1994 24:00:00 -0800\" {1}\r\nh",
                        "a APPEND x \" 7-Feb-1994 21:52:25 0800\" {1}\r\nh", "a APPEND x {1}\r\nh extra",
                        "a APPEND x UTF8 ({1}\r\nh)", "a APPEND x UTF8 (~{1}\r\nh", std::string("a APPEND x {1}\r\n\0", 17)})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << testing::PrintToString(f);
  Limits small;
  small.max_literal = 4;
  EXPECT_EQ(parse_error("a APPEND x {5}\r\nhello", small).kind, ErrorKind::kTooLong);
  EXPECT_EQ(parse_as<Append>("a APPEND x {4}\r\nhell", small).message, "hell");
  // The message is bounded by max_literal, not by max_string.
  small.max_string = 2;
  EXPECT_EQ(parse_as<Append>("a APPEND x {4}\r\nhell", small).message, "hell");
}

TEST(ImapStore, Forms) {
  auto s = parse_as<Store>("A003 STORE 2:4 +FLAGS (\\Deleted)");
  EXPECT_EQ(s.mode, Store::kAdd);
  EXPECT_FALSE(s.silent);
  EXPECT_FALSE(s.uid);
  EXPECT_EQ(s.flags, (Strings{"\\Deleted"}));
  EXPECT_EQ(format_sequence_set(s.set), "2:4");
  s = parse_as<Store>("a UID STORE 1,3 -flags.silent \\Seen $Junk");
  EXPECT_TRUE(s.uid);
  EXPECT_EQ(s.mode, Store::kRemove);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (Strings{"\\Seen", "$Junk"}));
  s = parse_as<Store>("a STORE * FLAGS ()");
  EXPECT_EQ(s.mode, Store::kReplace);
  EXPECT_TRUE(s.flags.empty());
  s = parse_as<Store>("d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)");
  EXPECT_EQ(s.unchanged_since, 320162338u);
  EXPECT_TRUE(s.silent);
  for (std::string f : {"a STORE", "a STORE 1", "a STORE 1 FLAGS", "a STORE 1 FLAGS ", "a STORE 1 *FLAGS (\\Seen)",
                        "a STORE 1 +FLAG (\\Seen)", "a STORE 1 FLAGS (\\Seen", "a STORE 1 FLAGS (\\)",
                        "a STORE 1 FLAGS (\\Seen  x)", "a STORE 1 (FROB 5) FLAGS x", "a STORE 1 (UNCHANGEDSINCE) FLAGS x",
                        "a STORE 1 FLAGS \\Seen ", "a STORE 1 FLAGS.SILENTLY x", "a STORE 1 FLAGS (\"x\")"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

TEST(ImapCopyMove, Forms) {
  auto c = parse_as<Copy>("A003 COPY 2:4 MEETING");
  EXPECT_FALSE(c.uid);
  EXPECT_EQ(c.mailbox, "MEETING");
  EXPECT_EQ(format_sequence_set(c.set), "2:4");
  auto u = parse_as<Copy>("a uid copy 4827313:4828442 \"Mail/Saved\"");
  EXPECT_TRUE(u.uid);
  EXPECT_EQ(u.mailbox, "Mail/Saved");
  auto m = parse_as<Move>("a UID MOVE 42:69 foo");
  EXPECT_TRUE(m.uid);
  EXPECT_EQ(m.mailbox, "foo");
  EXPECT_EQ(parse_as<Move>("a MOVE $ inbox").mailbox, "INBOX");
  EXPECT_EQ(format_sequence_set(parse_as<UidExpunge>("A003 UID EXPUNGE 3000:3002").set), "3000:3002");
  for (std::string f : {"a COPY", "a COPY 1", "a COPY x y", "a COPY 1 y z", "a MOVE 1:", "a UID EXPUNGE x",
                        "a UID EXPUNGE 1 2", "a EXPUNGE 1"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

}  // namespace
