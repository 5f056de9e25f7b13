// SPDX-License-Identifier: Apache-2.0
// FETCH and STORE over real loopback connections with the fake store
// (session_fixture.h), byte for byte: every FETCH item and macro, ENVELOPE,
// BODY and BODYSTRUCTURE of a multipart, sections and partials, \Seen set
// by BODY[] but not by BODY.PEEK[] nor on EXAMINE, UID FETCH, sequence
// errors, vanished messages, a store failure, the authenticated state
// refused; STORE in each mode, .SILENT, UID STORE, a new keyword's FLAGS,
// \Recent and unknown system flags, and EXAMINE's read-only refusal.
#include "session_fixture.h"

// ---- FETCH and STORE ----------------------------------------------------------
// INBOX (FakeStore): 1 = UID 3 kPlain \Seen (153 octets, header 144),
// 2 = UID 5 kMultipart unseen (279, header 107), 3 = UID 9 kShort \Seen
// \Deleted and \Recent for a read-write SELECT (25, header 18).

namespace {

// Its own suite: the fixture of session_fixture.h is per translation unit.
class FetchStore : public ImapSession {};

void select_inbox(Client& c, const char* verb = "SELECT") {
  const std::string r = c.cmd("s", std::string(verb) + " INBOX");
  EXPECT_NE(r.find("s OK"), std::string::npos) << r;
}

}  // namespace

TEST_F(FetchStore, FetchAttributesAndMacros) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 1 (FLAGS UID RFC822.SIZE INTERNALDATE)"),
            "* 1 FETCH (FLAGS (\\Seen) UID 3 RFC822.SIZE 153 INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\")\r\n"
            "a OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "FETCH 3 FLAGS"), "* 3 FETCH (FLAGS (\\Deleted \\Seen \\Recent))\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "FETCH 2:3 FAST"),
            "* 2 FETCH (FLAGS () INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 279)\r\n"
            "* 3 FETCH (FLAGS (\\Deleted \\Seen \\Recent) INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 25)\r\n"
            "c OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{})) << "no octets read for FLAGS, dates, sizes";
  EXPECT_EQ(c->cmd("d", "FETCH 1 ENVELOPE"),
            "* 1 FETCH (ENVELOPE (\"Mon, 06 Jan 2025 10:00:00 +0000\" \"Hello\" ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((\"Alice\" NIL \"alice\" \"example.test\")) ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((NIL NIL \"bob\" \"example.test\")) NIL NIL NIL \"<m3@example.test>\"))\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"300<144>"})) << "ENVELOPE reads the header only";
  EXPECT_EQ(c->cmd("e", "FETCH 1 ALL"),
            "* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 153 ENVELOPE "
            "(\"Mon, 06 Jan 2025 10:00:00 +0000\" \"Hello\" ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((\"Alice\" NIL \"alice\" \"example.test\")) ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((NIL NIL \"bob\" \"example.test\")) NIL NIL NIL \"<m3@example.test>\"))\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 2 BODYSTRUCTURE"),
            "* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"QUOTED-PRINTABLE\" 13 1 NIL NIL NIL NIL) "
            "\"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("g", "FETCH 2 FULL"),
            "* 2 FETCH (FLAGS () INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 279 ENVELOPE (NIL \"Parts\" "
            "((NIL NIL \"bob\" \"example.test\")) ((NIL NIL \"bob\" \"example.test\")) ((NIL NIL \"bob\" \"example.test\")) "
            "NIL NIL NIL NIL NIL) BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 1)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"QUOTED-PRINTABLE\" 13 1) \"MIXED\"))\r\n"
            "g OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("h", "FETCH 3 BODY"),
            "* 3 FETCH (BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 7 1))\r\nh OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], 0) << "no item here sets \\Seen";
}

TEST_F(FetchStore, FetchSectionsAndPartials) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 3 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])"),
            "* 3 FETCH (BODY[HEADER] {18}\r\nSubject: Third\r\n\r\n BODY[TEXT] {7}\r\nthree\r\n)\r\na OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "FETCH 1 BODY.PEEK[HEADER.FIELDS (subject FROM)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {52}\r\nFrom: Alice <alice@example.test>\r\nSubject: Hello\r\n\r\n)\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] {18}\r\nSubject: Hello\r\n\r\n)\r\nc OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("d", "FETCH 2 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[2])"),
            "* 2 FETCH (BODY[1] {10}\r\nfirst part BODY[2.MIME] {72}\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n BODY[2] {13}\r\n<p>second</p>)\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "FETCH 2 (BODY.PEEK[]<0.20> BODY.PEEK[1]<6.100> BODY.PEEK[TEXT]<500.3>)"),
            "* 2 FETCH (BODY[]<0> {20}\r\nFrom: bob@example.te BODY[1]<6> {4}\r\npart BODY[TEXT]<500> {0}\r\n)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 3 (RFC822.HEADER RFC822.SIZE)"),
            "* 3 FETCH (RFC822.HEADER {18}\r\nSubject: Third\r\n\r\n RFC822.SIZE 25)\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("g", "FETCH 2 (BODY.PEEK[3] BODY.PEEK[1.1])"),
            "* 2 FETCH (BODY[3] {0}\r\n BODY[1.1] {0}\r\n)\r\ng OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("h", "FETCH 3 RFC822"),
            "* 3 FETCH (RFC822 {25}\r\nSubject: Third\r\n\r\nthree\r\n)\r\nh OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("i", "FETCH 3 RFC822.TEXT"),
            "* 3 FETCH (RFC822.TEXT {7}\r\nthree\r\n)\r\ni OK FETCH completed\r\n");
}

TEST_F(FetchStore, HeaderItemsReadTheHeadersOfManyMessagesInOneCall) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"),
            "* 1 FETCH (UID 3 FLAGS (\\Seen) BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Hello\r\n\r\n)\r\n"
            "* 2 FETCH (UID 5 FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Parts\r\n\r\n)\r\n"
            "* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent) BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Third\r\n\r\n)\r\n"
            "a OK UID FETCH completed\r\n");
  EXPECT_EQ(store_.header_calls.load(), 1) << "one read for the three headers";
  EXPECT_TRUE(store_.reads.empty()) << "no message read on its own";
  store_.vanished.insert(5);  // expunged by another session: skipped, the command still ends OK
  const std::string r = c->cmd("b", "FETCH 1:3 RFC822.HEADER");
  EXPECT_EQ(r.find("* 2 FETCH"), std::string::npos) << r;
  EXPECT_NE(r.find("b OK FETCH completed"), std::string::npos) << r;
  EXPECT_EQ(store_.header_calls.load(), 2);
  EXPECT_TRUE(store_.reads.empty());
}

TEST_F(FetchStore, BodySetsSeenAndPeekDoesNot) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 2 BODY.PEEK[1]"),
            "* 2 FETCH (BODY[1] {10}\r\nfirst part)\r\na OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], 0) << "PEEK";
  notifier_.taken();
  EXPECT_EQ(c->cmd("b", "FETCH 2 BODY[1]"),
            "* 2 FETCH (BODY[1] {10}\r\nfirst part FLAGS (\\Seen))\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], store::kSeen);
  EXPECT_EQ(notifier_.taken().size(), 1u) << "setting \\Seen is a change other sessions hear of";
  EXPECT_EQ(c->cmd("c", "FETCH 2 (FLAGS BODY[1])"),
            "* 2 FETCH (FLAGS (\\Seen) BODY[1] {10}\r\nfirst part)\r\nc OK FETCH completed\r\n") << "already seen: nothing to store";
  EXPECT_EQ(c->cmd("d", "FETCH 1 RFC822.TEXT"),
            "* 1 FETCH (RFC822.TEXT {9}\r\nHi Bob.\r\n)\r\nd OK FETCH completed\r\n") << "\\Seen already set: no FLAGS";
  store_.flags[5] = 0;
  EXPECT_EQ(c->cmd("x", "EXAMINE INBOX").substr(0, 2), "* ");
  EXPECT_EQ(c->cmd("e", "FETCH 2 RFC822.TEXT"),
            "* 2 FETCH (RFC822.TEXT {172}\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\n--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>second</p>\r\n--b1--\r\n)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], 0) << "EXAMINE never sets \\Seen";
}

TEST_F(FetchStore, UidFetchSetsAndErrors) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "UID FETCH 5 FLAGS"),
            "* 2 FETCH (UID 5 FLAGS ())\r\na OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "UID FETCH 4:* (FLAGS UID)"),
            "* 2 FETCH (UID 5 FLAGS ())\r\n* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent))\r\nb OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "UID FETCH 1000 FLAGS"),
            "c OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("d", "UID FETCH 1,2,4,6:8 FLAGS"),
            "d OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "FETCH *:2 UID"),
            "* 2 FETCH (UID 5)\r\n* 3 FETCH (UID 9)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 4 FLAGS"),
            "f BAD FETCH: Invalid message sequence number\r\n");
  EXPECT_EQ(c->cmd("g", "FETCH 1,2:5 FLAGS"),
            "g BAD FETCH: Invalid message sequence number\r\n");
  EXPECT_EQ(c->cmd("h", "FETCH $ FLAGS"), "h OK FETCH completed\r\n") << "nothing saved yet: empty";
  c = logged_in();  // a fresh error count (max_errors is 5 here)
  select_inbox(*c);
  EXPECT_EQ(c->cmd("i", "FETCH 1 BINARY[1]"),
            "i BAD FETCH: BINARY is not served\r\n");
  EXPECT_EQ(c->cmd("j", "FETCH 1 MODSEQ"), "* 1 FETCH (MODSEQ (5))\r\nj OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("k", "FETCH 1 (FLAGS) (CHANGEDSINCE 3)"),
            "* 1 FETCH (FLAGS (\\Seen) MODSEQ (5))\r\nk OK FETCH completed\r\n");
  store_.vanished = {5};
  EXPECT_EQ(c->cmd("l", "FETCH 1:* RFC822.SIZE"),
            "* 1 FETCH (RFC822.SIZE 153)\r\n* 3 FETCH (RFC822.SIZE 25)\r\nl OK FETCH completed\r\n") << "a vanished message is skipped";
  store_.down_fetch = true;
  EXPECT_EQ(c->cmd("m", "FETCH 1 RFC822.SIZE"),
            "m NO [UNAVAILABLE] Temporary failure, try again later\r\n");
  EXPECT_EQ(c->cmd("n", "UNSELECT"), "n OK UNSELECT completed\r\n");
  EXPECT_EQ(c->cmd("o", "FETCH 1 FLAGS"), "o BAD FETCH: Select a mailbox first\r\n");
  EXPECT_EQ(c->cmd("p", "STORE 1 +FLAGS (\\Seen)"), "p BAD STORE: Select a mailbox first\r\n");
}

TEST_F(FetchStore, StoreModesSilentAndUid) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "STORE 1 +FLAGS (\\Flagged)"),
            "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\na OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("b", "STORE 1:2 -FLAGS (\\Seen \\Flagged)"),
            "* 1 FETCH (FLAGS ())\r\nb OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("c", "STORE 2 FLAGS (\\Answered $Junk Work)"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk Work)\r\n* 2 FETCH (FLAGS (\\Answered $Junk Work))\r\nc OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("d", "FETCH 2 FLAGS"),
            "* 2 FETCH (FLAGS (\\Answered $Junk Work))\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "STORE 1:* +FLAGS.SILENT (\\Draft)"),
            "e OK STORE completed\r\n");
  EXPECT_EQ(store_.flags[3], store::kDraft);
  EXPECT_EQ(c->cmd("f", "UID STORE 5:9 -FLAGS (\\Draft Work)"),
            "* 2 FETCH (UID 5 FLAGS (\\Answered $Junk))\r\n* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent))\r\nf OK UID STORE completed\r\n");
  EXPECT_EQ(c->cmd("g", "UID STORE 1000 +FLAGS (\\Seen)"),
            "g OK UID STORE completed\r\n");
  EXPECT_EQ(c->cmd("h", "STORE 1 +FLAGS (\\Recent)"),
            "h BAD STORE: \\Recent flag cannot be changed\r\n");
  EXPECT_EQ(c->cmd("i", "STORE 1 +FLAGS (\\Foo)"),
            "i BAD STORE: Invalid system flag \\Foo\r\n");
  EXPECT_EQ(c->cmd("j", "STORE 9 +FLAGS (\\Seen)"),
            "j BAD STORE: Invalid message sequence number\r\n");
  EXPECT_EQ(c->cmd("k", "STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\\Seen)"),
            "k OK [MODIFIED 1] Conditional STORE failed\r\n") << "stored above MODSEQ 5 earlier in this test";
  EXPECT_EQ(c->cmd("x", "EXAMINE INBOX").substr(0, 2), "* ");
  EXPECT_EQ(c->cmd("l", "STORE 1 +FLAGS (\\Seen)"),
            "l NO [READ-ONLY] Mailbox is read-only\r\n");
  EXPECT_EQ(store_.flags[3], store::kDraft) << "nothing stored";
}
