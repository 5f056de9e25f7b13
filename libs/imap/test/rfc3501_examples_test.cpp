// SPDX-License-Identifier: Apache-2.0
// The client commands of RFC 3501's own examples (section 6) and its
// sample session (section 8) through parse_command(), and the server side
// of the sample session through the response writers, byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/imap/response.h"
#include "parse_util.h"

using namespace mail::imap;
using mail::imap::test::parse_as;

namespace {

const std::string kMessage =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
    "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
    "Subject: afternoon meeting\r\n"
    "To: mooch@owatagu.siam.edu\r\n"
    "Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

TEST(ImapRfc3501, Section6Examples) {
  ASSERT_EQ(kMessage.size(), 310u);  // the size the RFC's APPEND example announces
  struct Case {
    std::string frame;
    std::string_view verb;
  };
  const std::vector<Case> cases = {
      {"abcd CAPABILITY", "CAPABILITY"},
      {"a002 NOOP", "NOOP"},
      {"a047 NOOP", "NOOP"},
      {"A023 LOGOUT", "LOGOUT"},
      {"a002 STARTTLS", "STARTTLS"},
      {"A001 AUTHENTICATE GSSAPI", "AUTHENTICATE"},
      {"a001 LOGIN SMITH SESAME", "LOGIN"},
      {"A142 SELECT INBOX", "SELECT"},
      {"A932 EXAMINE blurdybloop", "EXAMINE"},
      {"A003 CREATE owatagusiam/", "CREATE"},
      {"A004 CREATE owatagusiam/blurdybloop", "CREATE"},
      {"A682 LIST \"\" *", "LIST"},
      {"A683 DELETE blurdybloop", "DELETE"},
      {"A685 DELETE foo/bar", "DELETE"},
      {"A683 RENAME blurdybloop sarasoop", "RENAME"},
      {"A684 RENAME foo zowie", "RENAME"},
      {"Z433 RENAME INBOX old-mail", "RENAME"},
      {"A002 SUBSCRIBE #news.comp.mail.mime", "SUBSCRIBE"},
      {"A002 UNSUBSCRIBE #news.comp.mail.mime", "UNSUBSCRIBE"},
      {"A101 LIST \"\" \"\"", "LIST"},
      {"A102 LIST #news.comp.mail.misc \"\"", "LIST"},
      {"A103 LIST /usr/staff/jones \"\"", "LIST"},
      {"A202 LIST ~/Mail/ %", "LIST"},
      {"A002 LSUB \"#news.\" \"comp.mail.*\"", "LSUB"},
      {"A003 LSUB \"#news.\" \"comp.%\"", "LSUB"},
      {"A042 STATUS blurdybloop (UIDNEXT MESSAGES)", "STATUS"},
      {"A003 APPEND saved-messages (\\Seen) {310}\r\n" + kMessage, "APPEND"},
      {"FXXZ CHECK", "CHECK"},
      {"A341 CLOSE", "CLOSE"},
      {"A202 EXPUNGE", "EXPUNGE"},
      {"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "SEARCH"},
      {"A283 SEARCH TEXT \"string not in mailbox\"", "SEARCH"},
      {"A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX", "SEARCH"},
      {"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])", "FETCH"},
      {"A003 STORE 2:4 +FLAGS (\\Deleted)", "STORE"},
      {"A003 COPY 2:4 MEETING", "COPY"},
      {"A999 UID FETCH 4827313:4828442 FLAGS", "UID FETCH"},
  };
  for (const auto& c : cases) {
    Result r = parse_command(c.frame);
    ASSERT_TRUE(std::holds_alternative<Command>(r)) << c.frame << ": " << std::get<Error>(r).text;
    EXPECT_EQ(verb_name(std::get<Command>(r)), c.verb) << c.frame;
  }
  // X<atom> experimental commands are unknown to us: BAD with the tag.
  Result x = parse_command("a441 XPIG-LATIN");
  ASSERT_TRUE(std::holds_alternative<Error>(x));
  EXPECT_EQ(std::get<Error>(x).kind, ErrorKind::kUnknownCommand);
  EXPECT_EQ(std::get<Error>(x).tag, "a441");

  auto append = parse_as<Append>("A003 APPEND saved-messages (\\Seen) {310}\r\n" + kMessage);
  EXPECT_EQ(append.message, kMessage);
  auto search = parse_as<Search>("A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX");
  EXPECT_EQ(search.charset, "UTF-8");
  EXPECT_EQ(describe(search.key), "(TEXT \"XXXXXX\")");
  EXPECT_EQ(parse_as<Rename>("Z433 RENAME INBOX old-mail").from, "INBOX");
}

TEST(ImapRfc3501, Section8SampleSession) {
  // Client side.
  EXPECT_EQ(parse_as<Login>("a001 login mrc secret").user, "mrc");
  EXPECT_EQ(parse_as<Select>("a002 select inbox").mailbox, "INBOX");
  auto full = parse_as<Fetch>("a003 fetch 12 full");
  EXPECT_EQ(full.items.size(), 5u);
  EXPECT_EQ(format_sequence_set(full.set), "12");
  auto header = parse_as<Fetch>("a004 fetch 12 body[header]");
  ASSERT_EQ(header.items.size(), 1u);
  EXPECT_EQ(response_name(header.items[0]), "BODY[HEADER]");
  auto store = parse_as<Store>("a005 store 12 +flags \\deleted");
  EXPECT_EQ(store.mode, Store::kAdd);
  EXPECT_EQ(store.flags, (std::vector<std::string>{"\\deleted"}));
  parse_as<Logout>("a006 logout");

  // Server side, as RFC 3501 §8 shows it.
  std::string wire;
  wire += untagged(Condition::kOk, "IMAP4rev1 Service Ready");
  wire += ok("a001", "LOGIN completed");
  wire += exists(18);
  wire += flags_line({"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"});
  wire += recent(2);
  wire += untagged(Condition::kOk, "Message 17 is the first unseen message", code::unseen(17));
  wire += untagged(Condition::kOk, "UIDs valid", code::uidvalidity(3857529045u));
  wire += ok("a002", "SELECT completed", code::read_write());
  FetchResponse f(12);
  f.flags({"\\Seen"}).internaldate(*parse_date_time("17-Jul-1996 02:44:25 -0700")).rfc822_size(4286);
  wire += f.str();
  wire += ok("a003", "FETCH completed");
  FetchResponse h(12);
  const std::string hdr = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\r\n";
  h.content(header.items[0], hdr);
  wire += h.str();
  wire += ok("a004", "FETCH completed");
  FetchResponse s(12);
  s.flags({"\\Seen", "\\Deleted"});
  wire += s.str();
  wire += ok("a005", "+FLAGS completed");
  wire += bye("IMAP4rev1 server terminating connection");
  wire += ok("a006", "LOGOUT completed");
  EXPECT_EQ(wire,
            "* OK IMAP4rev1 Service Ready\r\n"
            "a001 OK LOGIN completed\r\n"
            "* 18 EXISTS\r\n"
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
            "* 2 RECENT\r\n"
            "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
            "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
            "a002 OK [READ-WRITE] SELECT completed\r\n"
            "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286)\r\n"
            "a003 OK FETCH completed\r\n"
            "* 12 FETCH (BODY[HEADER] {47}\r\n"
            "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\r\n)\r\n"
            "a004 OK FETCH completed\r\n"
            "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
            "a005 OK +FLAGS completed\r\n"
            "* BYE IMAP4rev1 server terminating connection\r\n"
            "a006 OK LOGOUT completed\r\n");
}

}  // namespace
