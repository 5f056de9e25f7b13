// SPDX-License-Identifier: Apache-2.0
// Tests of the response writers, exact bytes: status lines and codes,
// continuation, string encoders, flag lists, FETCH, SEARCH / ESEARCH,
// LIST / LSUB / STATUS, NAMESPACE, ID.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/imap/response.h"

using namespace mail::imap;
using namespace std::string_literals;

namespace {

TEST(ImapResponse, StatusLines) {
  EXPECT_EQ(ok("a1", "LOGIN completed"), "a1 OK LOGIN completed\r\n");
  EXPECT_EQ(no("a1", "no such mailbox", code::trycreate()), "a1 NO [TRYCREATE] no such mailbox\r\n");
  EXPECT_EQ(bad("a1", ""), "a1 BAD error\r\n");
  EXPECT_EQ(ok("a1", ""), "a1 OK completed\r\n");
  EXPECT_EQ(no("a1", ""), "a1 NO failed\r\n");
  EXPECT_EQ(ok("A142", "SELECT completed", code::read_write()), "A142 OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(untagged(Condition::kOk, "Predicted next UID", code::uidnext(4392)), "* OK [UIDNEXT 4392] Predicted next UID\r\n");
  EXPECT_EQ(untagged(Condition::kNo, "disk is full", code::alert()), "* NO [ALERT] disk is full\r\n");
  EXPECT_EQ(bye("IMAP4rev1 Server logging out"), "* BYE IMAP4rev1 Server logging out\r\n");
  EXPECT_EQ(preauth("welcome"), "* PREAUTH welcome\r\n");
  EXPECT_EQ(ok("a", "text\r\n* injected"), "a OK text  * injected\r\n");
  EXPECT_EQ(continuation(), "+ Ready\r\n");
  EXPECT_EQ(continuation("Ready for literal data"), "+ Ready for literal data\r\n");
  EXPECT_EQ(sasl_challenge(""), "+ \r\n");
  EXPECT_EQ(sasl_challenge("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
            "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
  EXPECT_EQ(untagged_data("1 EXISTS"), "* 1 EXISTS\r\n");
  EXPECT_EQ(bad(Error{ErrorKind::kSyntax, "FETCH: expected ')'", "a7"}), "a7 BAD FETCH: expected ')'\r\n");
  EXPECT_EQ(bad(Error{ErrorKind::kTooLong, "line too long", std::nullopt}), "* BAD [TOOBIG] line too long\r\n");
  EXPECT_EQ(bad(Error{ErrorKind::kTooMany, "too many", "x"}), "x BAD [LIMIT] too many\r\n");
  FrameInfo big = literal_at_end("a1 APPEND x {99999999999}");
  EXPECT_EQ(refuse_literal(tag_of("a1 APPEND x {99999999999}"), big), "a1 NO [TOOBIG] literal too large\r\n");
  big.synchronizing = false;
  EXPECT_EQ(refuse_literal(std::nullopt, big), "* BAD [TOOBIG] literal too large\r\n");
}

TEST(ImapResponse, Codes) {
  const std::vector<std::pair<ResponseCode, std::string>> cases = {
      {code::alert(), "ALERT"},
      {code::capability({"IMAP4rev1", "LITERAL+", "SASL-IR"}), "CAPABILITY IMAP4rev1 LITERAL+ SASL-IR"},
      {code::parse(), "PARSE"},
      {code::trycreate(), "TRYCREATE"},
      {code::uidnext(4392), "UIDNEXT 4392"},
      {code::uidvalidity(3857529045u), "UIDVALIDITY 3857529045"},
      {code::unseen(12), "UNSEEN 12"},
      {code::permanentflags({"\\Deleted", "\\Seen", "\\*"}), "PERMANENTFLAGS (\\Deleted \\Seen \\*)"},
      {code::read_only(), "READ-ONLY"},
      {code::read_write(), "READ-WRITE"},
      {code::badcharset(), "BADCHARSET"},
      {code::badcharset({"UTF-8", "US-ASCII"}), "BADCHARSET (UTF-8 US-ASCII)"},
      {code::appenduid(38505, 3955), "APPENDUID 38505 3955"},
      {code::copyuid(38505, "304,319:320", "3956:3958"), "COPYUID 38505 304,319:320 3956:3958"},
      {code::uidnotsticky(), "UIDNOTSTICKY"},
      {code::highestmodseq(715194045007ull), "HIGHESTMODSEQ 715194045007"},
      {code::nomodseq(), "NOMODSEQ"},
      {code::modified("7,9"), "MODIFIED 7,9"},
      {code::closed(), "CLOSED"},
      {code::authenticationfailed(), "AUTHENTICATIONFAILED"},
      {code::authorizationfailed(), "AUTHORIZATIONFAILED"},
      {code::unavailable(), "UNAVAILABLE"},
      {code::expired(), "EXPIRED"},
      {code::privacyrequired(), "PRIVACYREQUIRED"},
      {code::overquota(), "OVERQUOTA"},
      {code::cannot(), "CANNOT"},
      {code::nonexistent(), "NONEXISTENT"},
      {code::alreadyexists(), "ALREADYEXISTS"},
      {code::serverbug(), "SERVERBUG"},
      {code::limit(), "LIMIT"},
      {code::inuse(), "INUSE"},
      {code::noperm(), "NOPERM"},
      {code::contactadmin(), "CONTACTADMIN"},
      {code::clientbug(), "CLIENTBUG"},
      {code::expungeissued(), "EXPUNGEISSUED"},
      {code::toobig(), "TOOBIG"},
  };
  for (const auto& [c, want] : cases) EXPECT_EQ(c.text, want);
}

TEST(ImapResponse, Strings) {
  EXPECT_EQ(astring("INBOX"), "INBOX");
  EXPECT_EQ(astring("a]b"), "a]b");
  EXPECT_EQ(astring(""), "\"\"");
  EXPECT_EQ(astring("NIL"), "\"NIL\"");
  EXPECT_EQ(astring("nil"), "\"nil\"");
  EXPECT_EQ(astring("two words"), "\"two words\"");
  EXPECT_EQ(astring("a%b"), "\"a%b\"");
  EXPECT_EQ(astring("q\"b\\s"), "\"q\\\"b\\\\s\"");
  EXPECT_EQ(astring("line\r\nbreak"), "{11}\r\nline\r\nbreak");
  EXPECT_EQ(nstring(std::nullopt), "NIL");
  EXPECT_EQ(nstring("NIL"), "\"NIL\"");
  EXPECT_EQ(nstring(""), "\"\"");
  EXPECT_EQ(quoted_or_literal("plain"), "\"plain\"");
  EXPECT_EQ(quoted_or_literal(std::string("a\0b", 3)), std::string("{3}\r\na\0b", 8));
  EXPECT_EQ(quoted_or_literal("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(quoted_or_literal("caf\xc3\xa9", {.utf8 = true}), "\"caf\xc3\xa9\"");
  EXPECT_EQ(quoted_or_literal("caf\xe9", {.utf8 = true}), "{4}\r\ncaf\xe9");
  EXPECT_EQ(quoted_or_literal("abcdef", {.utf8 = false, .max_quoted = 5}), "{6}\r\nabcdef");
  EXPECT_EQ(quoted_or_literal("abcde", {.utf8 = false, .max_quoted = 5}), "\"abcde\"");
  EXPECT_EQ(quoted_or_literal("cr\ronly"), "{7}\r\ncr\ronly");
  EXPECT_EQ(literal("xy", true), "~{2}\r\nxy");
  EXPECT_EQ(flag_list({}), "()");
  EXPECT_EQ(flag_list({"\\Seen", "$Junk"}), "(\\Seen $Junk)");
  const std::string taipei = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97";
  EXPECT_EQ(mailbox_name(taipei), "~peter/mail/&U,BTFw-");
  EXPECT_EQ(mailbox_name(taipei, {.utf8 = true}), "\"" + taipei + "\"");
  EXPECT_EQ(mailbox_name("Tom & Jerry"), "\"Tom &- Jerry\"");
}

TEST(ImapResponse, UntaggedData) {
  EXPECT_EQ(capability_line({"IMAP4rev1", "STARTTLS", "AUTH=PLAIN"}), "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n");
  EXPECT_EQ(exists(172), "* 172 EXISTS\r\n");
  EXPECT_EQ(recent(1), "* 1 RECENT\r\n");
  EXPECT_EQ(expunge(3), "* 3 EXPUNGE\r\n");
  EXPECT_EQ(flags_line({"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"}),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n");
  EXPECT_EQ(enabled({"CONDSTORE"}), "* ENABLED CONDSTORE\r\n");
  EXPECT_EQ(enabled({}), "* ENABLED\r\n");
  EXPECT_EQ(vanished({41, 43, 44, 45, 42, 100}, true), "* VANISHED (EARLIER) 41:45,100\r\n");
  EXPECT_EQ(vanished({7}, false), "* VANISHED 7\r\n");
  EXPECT_EQ(search_response({2, 84, 882}), "* SEARCH 2 84 882\r\n");
  EXPECT_EQ(search_response({}), "* SEARCH\r\n");
  EXPECT_EQ(search_response({2, 5}, 917162500), "* SEARCH 2 5 (MODSEQ 917162500)\r\n");
  EXPECT_EQ(sort_response({2, 84, 882}), "* SORT 2 84 882\r\n");
  EXPECT_EQ(esearch("A282", false, {.min = 2, .max = std::nullopt, .all = std::nullopt, .count = 3, .modseq = std::nullopt}),
            "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n");
  EXPECT_EQ(esearch("A283", true, {.min = std::nullopt, .max = std::nullopt, .all = std::vector<uint32_t>{2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, .count = std::nullopt, .modseq = std::nullopt}),
            "* ESEARCH (TAG \"A283\") UID ALL 2,10:21\r\n");
  EXPECT_EQ(esearch("A", false, {}), "* ESEARCH (TAG \"A\")\r\n");
  EXPECT_EQ(list_line({{"\\Noselect"}, '/', "~/Mail/foo"}), "* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n");
  EXPECT_EQ(list_line({{}, '\0', ""}), "* LIST () NIL \"\"\r\n");
  EXPECT_EQ(list_line({{"\\HasNoChildren", "\\Drafts"}, '/', "Entw\xc3\xbcrfe"}),
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Entw&APw-rfe\r\n");
  EXPECT_EQ(lsub_line({{}, '.', "#news.comp.mail.mime"}), "* LSUB () \".\" #news.comp.mail.mime\r\n");
  EXPECT_EQ(status_line("blurdybloop", {{StatusItem::kMessages, 231}, {StatusItem::kUidNext, 44292}}),
            "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n");
  EXPECT_EQ(status_line("Sent Items", {{StatusItem::kHighestModseq, 7}, {StatusItem::kSize, 100}, {StatusItem::kRecent, 0},
                                       {StatusItem::kUnseen, 1}, {StatusItem::kUidValidity, 9}}),
            "* STATUS \"Sent Items\" (HIGHESTMODSEQ 7 SIZE 100 RECENT 0 UNSEEN 1 UIDVALIDITY 9)\r\n");
  EXPECT_EQ(namespace_line(), "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
  EXPECT_EQ(id_line({}), "* ID NIL\r\n");
  EXPECT_EQ(id_line({{"name", "mail"}, {"version", "1.0"}}), "* ID (\"name\" \"mail\" \"version\" \"1.0\")\r\n");
}

TEST(ImapResponse, Fetch) {
  FetchResponse r(12);
  EXPECT_TRUE(r.empty());
  r.flags({"\\Seen"})
      .internaldate({{1996, 7, 17}, 2, 44, 25, -420})
      .rfc822_size(4286)
      .uid(4827313)
      .modseq(624140003)
      .raw("ENVELOPE", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(r.str(),
            "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 UID 4827313 "
            "MODSEQ (624140003) ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");

  FetchSection header;
  header.peek = true;
  header.section.text = Section::kHeaderFields;
  header.section.fields = {"DATE", "FROM"};
  header.partial = Partial{0, 100};
  FetchResponse b(1);
  b.content(header, "Date: x\r\n\r\n").content(FetchItem{FetchAttr::kRfc822Text}, std::nullopt);
  EXPECT_EQ(b.str(), "* 1 FETCH (BODY[HEADER.FIELDS (DATE FROM)]<0> {11}\r\nDate: x\r\n\r\n RFC822.TEXT NIL)\r\n");

  FetchSection bin;
  bin.binary = true;
  bin.section.part = {1, 2};
  FetchResponse c(3);
  c.content(bin, std::string_view("a\0b", 3)).content(bin, "ab").binary_size(FetchBinarySize{{3}}, 42);
  EXPECT_EQ(c.str(), "* 3 FETCH (BINARY[1.2] ~{3}\r\na\0b BINARY[1.2] {2}\r\nab BINARY.SIZE[3] 42)\r\n"s);
  EXPECT_EQ(FetchResponse(5).str(), "* 5 FETCH ()\r\n");
}

}  // namespace

TEST(ImapResponse, QuotaLines) {
  EXPECT_EQ(quotaroot_line("INBOX", {""}), "* QUOTAROOT INBOX \"\"\r\n");
  EXPECT_EQ(quotaroot_line("INBOX", {}), "* QUOTAROOT INBOX\r\n") << "no quota: no roots (RFC 9208 4.2.2)";
  EXPECT_EQ(quota_line("", {{"STORAGE", 10, 512}}), "* QUOTA \"\" (STORAGE 10 512)\r\n");
  EXPECT_EQ(quota_line("", {{"STORAGE", 10, 512}, {"MESSAGE", 3, 100}}),
            "* QUOTA \"\" (STORAGE 10 512 MESSAGE 3 100)\r\n");
}
