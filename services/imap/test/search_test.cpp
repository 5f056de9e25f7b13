// SPDX-License-Identifier: Apache-2.0
// SEARCH and SORT over real loopback connections with the fake store
// (session_fixture.h): flag, set, size, date, header and body keys; OR,
// NOT and parenthesised lists; CHARSET and BADCHARSET; UID SEARCH; ESEARCH
// return options; SAVE and "$" in later commands; MODSEQ; that a program is
// decided at the cheapest level (no header or body read when flags
// decide); a store failure; SORT by each key, REVERSE, UID SORT.
#include "session_fixture.h"

// INBOX (FakeStore): 1 = UID 3 kPlain \Seen (153 octets, From Alice,
// Subject Hello, Date 6 Jan 2025), 2 = UID 5 kMultipart unseen (279, From
// bob, Subject Parts), 3 = UID 9 kShort \Seen \Deleted \Recent (25,
// Subject Third, no From or Date). INTERNALDATE 6-Jan-2025 10:00 UTC for
// all; MODSEQs 5, 6, 7.

namespace {

class Search : public ImapSession {};

void select_inbox(Client& c) {
  const std::string r = c.cmd("s", "SELECT INBOX");
  EXPECT_NE(r.find("s OK"), std::string::npos) << r;
}

std::string search(Client& c, const std::string& args) { return c.cmd("q", "SEARCH " + args); }

}  // namespace

TEST_F(Search, FlagAndSetKeysNeedNoMessageData) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(search(*c, "ALL"), "* SEARCH 1 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "SEEN"), "* SEARCH 1 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "UNSEEN"), "* SEARCH 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "DELETED"), "* SEARCH 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "RECENT"), "* SEARCH 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "NEW"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "OLD UNDELETED"), "* SEARCH 1 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "NOT SEEN"), "* SEARCH 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "OR DELETED UNSEEN"), "* SEARCH 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "(SEEN NOT DELETED)"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "2:*"), "* SEARCH 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "1,3 SEEN"), "* SEARCH 1 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "UID 4:9"), "* SEARCH 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "UNKEYWORD $Junk"), "* SEARCH 1 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "KEYWORD $Junk"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(c->cmd("u", "UID SEARCH SEEN"), "* SEARCH 3 9\r\nu OK UID SEARCH completed\r\n");
  EXPECT_EQ(store_.meta_calls.load(), 0);
  EXPECT_EQ(store_.header_calls.load(), 0);
  EXPECT_TRUE(store_.reads.empty());
}

TEST_F(Search, HeaderFieldKeysReadTheStoredSearchFields) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  // The fake's messages (UIDs 3, 5, 9) were stored before search fields:
  // the first SEARCH computes them from the headers and saves them.
  EXPECT_EQ(search(*c, "FROM alice"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(store_.header_calls.load(), 1);
  EXPECT_EQ(store_.saved_fields.size(), 3u);
  EXPECT_TRUE(store_.saved_fields.count(300) && store_.saved_fields.count(500) && store_.saved_fields.count(900));
  EXPECT_EQ(store_.meta_calls.load(), 0) << "FROM needs no sizes or dates";
  // From then on the stored fields answer, headers unread.
  EXPECT_EQ(search(*c, "OR SUBJECT par SENTON 6-Jan-2025"), "* SEARCH 1 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "HEADER TO bob"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(store_.header_calls.load(), 1);
  EXPECT_EQ(store_.fields_calls, 3);
  // A field they do not keep needs the header section.
  EXPECT_EQ(search(*c, "HEADER Message-ID m3@"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(store_.header_calls.load(), 2);
  EXPECT_EQ(store_.fields_calls, 3);
}

TEST_F(Search, SizeDateHeaderAndBodyKeys) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(search(*c, "LARGER 100"), "* SEARCH 1 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "SMALLER 153"), "* SEARCH 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "ON 6-Jan-2025"), "* SEARCH 1 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "SINCE 7-Jan-2025"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "BEFORE 7-Jan-2025"), "* SEARCH 1 2 3\r\nq OK SEARCH completed\r\n");
  EXPECT_TRUE(store_.reads.empty() && store_.header_calls.load() == 0) << "sizes and dates come from the meta";
  EXPECT_EQ(search(*c, "SENTON 6-Jan-2025"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "SENTBEFORE 6-Jan-2025"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "FROM alice"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "FROM EXAMPLE.TEST"), "* SEARCH 1 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "TO bob"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "SUBJECT \"par\""), "* SEARCH 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "HEADER Message-ID m3@"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "HEADER Date \"\""), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "CC x"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_TRUE(store_.reads.empty()) << "header keys read headers, not messages";
  EXPECT_EQ(search(*c, "BODY \"second\""), "* SEARCH 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "TEXT hello"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "TEXT {5+}\r\nTHREE"), "* SEARCH 3\r\nq OK SEARCH completed\r\n");
  store_.reads.clear();
  EXPECT_EQ(search(*c, "SEEN BODY three"), "* SEARCH 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"300", "900"})) << "the unseen message is not read";
  store_.reads.clear();
  EXPECT_EQ(search(*c, "OR SEEN BODY x"), "* SEARCH 1 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"500"})) << "only the undecided message is read";
}

TEST_F(Search, CharsetsAndFailures) {
  start(true);
  auto c = logged_in();
  EXPECT_NE(c->cmd("n", "SEARCH ALL").find("n BAD"), std::string::npos) << "needs a selected mailbox";
  select_inbox(*c);
  EXPECT_EQ(search(*c, "CHARSET UTF-8 SUBJECT hello"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "CHARSET us-ascii SUBJECT HELLO"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  // "hellö" in ISO-8859-1 matches nothing; "ELL" in it does.
  EXPECT_EQ(search(*c, "CHARSET ISO-8859-1 SUBJECT {5+}\r\nhell\xf6"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "CHARSET ISO-8859-1 SUBJECT ELL"), "* SEARCH 1\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "CHARSET X-NO-SUCH SUBJECT x"),
            "q NO [BADCHARSET (US-ASCII UTF-8)] SEARCH: Unsupported charset\r\n");
  store_.down_fetch = true;
  EXPECT_NE(search(*c, "LARGER 1").find("q NO [UNAVAILABLE]"), std::string::npos);
  EXPECT_EQ(search(*c, "SEEN"), "* SEARCH 1 3\r\nq OK SEARCH completed\r\n") << "flags need no store";
}

TEST_F(Search, EsearchSaveAndModseq) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(search(*c, "RETURN (MIN MAX COUNT) SEEN"),
            "* ESEARCH (TAG \"q\") MIN 1 MAX 3 COUNT 2\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(c->cmd("u", "UID SEARCH RETURN () ALL"), "* ESEARCH (TAG \"u\") UID ALL 3,5,9\r\nu OK UID SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "RETURN (COUNT) KEYWORD nothing"), "* ESEARCH (TAG \"q\") COUNT 0\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "RETURN (MIN) KEYWORD nothing"), "* ESEARCH (TAG \"q\")\r\nq OK SEARCH completed\r\n");
  // SAVE alone answers nothing untagged; "$" then names the saved messages.
  EXPECT_EQ(search(*c, "RETURN (SAVE) UNSEEN"), "q OK SEARCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH $ (UID)"), "* 2 FETCH (UID 5)\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("g", "UID FETCH $ (FLAGS)"), "* 2 FETCH (UID 5 FLAGS ())\r\ng OK UID FETCH completed\r\n");
  EXPECT_EQ(search(*c, "OR $ DELETED"), "* SEARCH 2 3\r\nq OK SEARCH completed\r\n");
  // SAVE with MIN and MAX keeps just those two.
  EXPECT_EQ(search(*c, "RETURN (SAVE MIN MAX) ALL"), "* ESEARCH (TAG \"q\") MIN 1 MAX 3\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "$"), "* SEARCH 1 3\r\nq OK SEARCH completed\r\n");
  // A failed SEARCH with SAVE empties the saved result.
  EXPECT_NE(search(*c, "RETURN (SAVE) CHARSET X-NO-SUCH ALL").find("q NO [BADCHARSET"), std::string::npos);
  EXPECT_EQ(search(*c, "$"), "* SEARCH\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "RETURN (SAVE) ALL"), "q OK SEARCH completed\r\n");
  EXPECT_NE(c->cmd("x", "EXAMINE INBOX").find("x OK"), std::string::npos);
  EXPECT_EQ(search(*c, "$"), "* SEARCH\r\nq OK SEARCH completed\r\n") << "SELECT and EXAMINE reset it";
  // MODSEQ (RFC 7162): the matches' highest MODSEQ comes with them.
  EXPECT_EQ(search(*c, "MODSEQ 6"), "* SEARCH 2 3 (MODSEQ 7)\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "MODSEQ 6 SEEN"), "* SEARCH 3 (MODSEQ 7)\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "RETURN (ALL) MODSEQ 5 UNSEEN"),
            "* ESEARCH (TAG \"q\") ALL 2 MODSEQ 6\r\nq OK SEARCH completed\r\n");
  EXPECT_EQ(search(*c, "MODSEQ 99"), "* SEARCH\r\nq OK SEARCH completed\r\n");
}

TEST_F(Search, SortByEachKey) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "SORT (SUBJECT) UTF-8 ALL"), "* SORT 1 2 3\r\na OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("b", "SORT (REVERSE SUBJECT) UTF-8 ALL"), "* SORT 3 2 1\r\nb OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("c", "SORT (SIZE) US-ASCII ALL"), "* SORT 3 1 2\r\nc OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("d", "UID SORT (FROM) UTF-8 ALL"), "* SORT 9 3 5\r\nd OK UID SORT completed\r\n");
  EXPECT_EQ(c->cmd("e", "SORT (DISPLAYFROM) UTF-8 ALL"), "* SORT 3 1 2\r\ne OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("f", "SORT (ARRIVAL) UTF-8 SEEN"), "* SORT 1 3\r\nf OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("g", "SORT (REVERSE ARRIVAL) UTF-8 ALL"), "* SORT 1 2 3\r\ng OK SORT completed\r\n")
      << "equal keys keep sequence order";
  EXPECT_EQ(c->cmd("h", "SORT (DATE) UTF-8 ALL"), "* SORT 1 2 3\r\nh OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("i", "SORT (TO CC) UTF-8 ALL"), "* SORT 2 3 1\r\ni OK SORT completed\r\n");
  EXPECT_EQ(c->cmd("j", "SORT (SUBJECT) X-NO-SUCH ALL"), "j NO [BADCHARSET (US-ASCII UTF-8)] SORT: Unsupported charset\r\n");
  const std::string caps = c->cmd("k", "CAPABILITY");
  for (const char* cap : {" ESEARCH", " SEARCHRES", " SORT", " SORT=DISPLAY", " WITHIN"})
    EXPECT_NE(caps.find(cap), std::string::npos) << cap;
}
