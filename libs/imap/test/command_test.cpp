// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of parse_command() on raw wire text: tags, verb
// dispatch, the simple verbs, AUTHENTICATE / LOGIN, ID, ENABLE, QUOTA,
// literals of both kinds inside frames, and the limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/imap/framing.h"
#include "parse_util.h"

using namespace mail::imap;
using mail::imap::test::parse_as;
using mail::imap::test::parse_error;

namespace {

TEST(ImapCommand, SimpleVerbsAnyCase) {
  struct Case {
    std::string frame;
    std::string_view verb;
  };
  const std::vector<Case> cases = {
      {"a001 CAPABILITY", "CAPABILITY"}, {"a002 noop", "NOOP"},       {"A023 LOGOUT", "LOGOUT"},
      {"a STARTTLS", "STARTTLS"},        {"x CHECK", "CHECK"},        {"x Close", "CLOSE"},
      {"x UNSELECT", "UNSELECT"},        {"x EXPUNGE", "EXPUNGE"},    {"x IDLE", "IDLE"},
      {"x NAMESPACE", "NAMESPACE"},      {"]tag] NOOP", "NOOP"},
  };
  for (const auto& c : cases) {
    Result r = parse_command(c.frame);
    ASSERT_TRUE(std::holds_alternative<Command>(r)) << c.frame << ": " << std::get<Error>(r).text;
    EXPECT_EQ(verb_name(std::get<Command>(r)), c.verb) << c.frame;
  }
  auto cmd = std::get<Command>(parse_command("a001 CAPABILITY"));
  EXPECT_EQ(cmd.tag, "a001");
}

TEST(ImapCommand, RejectsBadFrames) {
  struct Case {
    std::string frame;
    ErrorKind kind;
    std::optional<std::string> tag;
  };
  const std::vector<Case> cases = {
      {"", ErrorKind::kSyntax, std::nullopt},
      {" NOOP", ErrorKind::kSyntax, std::nullopt},
      {"a+b NOOP", ErrorKind::kSyntax, std::nullopt},   // '+' is not a tag char
      {"a(b NOOP", ErrorKind::kSyntax, std::nullopt},
      {"a*b NOOP", ErrorKind::kSyntax, std::nullopt},
      {"a1", ErrorKind::kSyntax, "a1"},
      {"a1 ", ErrorKind::kSyntax, "a1"},
      {"a1  NOOP", ErrorKind::kSyntax, "a1"},
      {"a1 FROB", ErrorKind::kUnknownCommand, "a1"},
      {"a1 UID FROB 1", ErrorKind::kUnknownCommand, "a1"},
      {"a1 NOOP ", ErrorKind::kSyntax, "a1"},
      {"a1 NOOP x", ErrorKind::kSyntax, "a1"},
      {"a1 CAPABILITY(", ErrorKind::kSyntax, "a1"},
      {"a1 LOGOUT\r\n", ErrorKind::kSyntax, "a1"},          // CRLF not after a literal
      {"a1 NOOP\nx", ErrorKind::kSyntax, "a1"},
      {"a1 NOOP\r", ErrorKind::kSyntax, "a1"},
      {"a1 UID", ErrorKind::kSyntax, "a1"},
      {"a1 UID EXPUNGE", ErrorKind::kSyntax, "a1"},
  };
  for (const auto& c : cases) {
    Error e = parse_error(c.frame);
    EXPECT_EQ(e.kind, c.kind) << testing::PrintToString(c.frame) << ": " << e.text;
    EXPECT_EQ(e.tag, c.tag) << testing::PrintToString(c.frame);
    EXPECT_FALSE(e.text.empty());
    EXPECT_EQ(e.text.find_first_of("\r\n"), std::string::npos);
  }
}

TEST(ImapCommand, Login) {
  struct Case {
    std::string frame;
    std::string user, password;
  };
  const std::vector<Case> cases = {
      {"a001 LOGIN SMITH SESAME", "SMITH", "SESAME"},
      {"a001 login \"fred foobar\" \"p\\\"a\\\\ss\"", "fred foobar", "p\"a\\ss"},
      {"a LOGIN {5}\r\nalice {6}\r\nsecret", "alice", "secret"},
      {"a LOGIN {5+}\r\nalice {6+}\r\nsecret", "alice", "secret"},
      {"a LOGIN {0}\r\n \"\"", "", ""},
      {"a LOGIN u}1 p]", "u}1", "p]"},  // "}" is an ATOM-CHAR, "]" an ASTRING-CHAR
      {"a LOGIN \"caf\xc3\xa9\" x", "caf\xc3\xa9", "x"},
      {"a LOGIN {4}\r\na\r\nb pw", "a\r\nb", "pw"},
  };
  for (const auto& c : cases) {
    Login l = parse_as<Login>(c.frame);
    EXPECT_EQ(l.user, c.user) << c.frame;
    EXPECT_EQ(l.password, c.password) << c.frame;
  }
}

TEST(ImapCommand, LoginMalformed) {
  for (std::string f : {"a LOGIN", "a LOGIN user", "a LOGIN user ", "a LOGIN user pass extra", "a LOGIN \"us\"er pass",
                        "a LOGIN \"user pass", "a LOGIN \"a\\x\" p", "a LOGIN (user) pass", "a LOGIN us%er pass", "a LOGIN u{1} p",
                        "a LOGIN \"caf\xe9\" x", "a LOGIN {5}\r\nabc", "a LOGIN {3}\r\na\0b pw",
                        "a LOGIN {3}x\r\nabc pw", "a LOGIN NIL\t x"}) {
    Error e = parse_error(f);
    EXPECT_EQ(e.kind, ErrorKind::kSyntax) << testing::PrintToString(f) << ": " << e.text;
    EXPECT_EQ(e.tag, "a");
  }
}

TEST(ImapCommand, Authenticate) {
  auto a = parse_as<Authenticate>("a AUTHENTICATE plain");
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response);
  a = parse_as<Authenticate>("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(a.initial_response, "AGFsaWNlAHNlY3JldA==");
  a = parse_as<Authenticate>("a authenticate SCRAM-SHA-256 =");
  EXPECT_EQ(a.mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(a.initial_response, "=");
  for (std::string f : {"a AUTHENTICATE", "a AUTHENTICATE PL+AIN", "a AUTHENTICATE PLAIN a=b=", "a AUTHENTICATE PLAIN ab!",
                        "a AUTHENTICATE PLAIN  abcd", "a AUTHENTICATE PLAIN abcd efgh",
                        "a AUTHENTICATE AVERYVERYLONGMECHANISMNAME"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

TEST(ImapCommand, Id) {
  auto id = parse_as<Id>("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)");
  ASSERT_TRUE(id.params);
  ASSERT_EQ(id.params->size(), 3u);
  EXPECT_EQ((*id.params)[1].first, "version");
  EXPECT_EQ((*id.params)[1].second, "19.34");
  EXPECT_FALSE((*id.params)[2].second);
  EXPECT_FALSE(parse_as<Id>("a ID NIL").params);
  EXPECT_TRUE(parse_as<Id>("a ID ()").params->empty());
  EXPECT_EQ(parse_error("a ID (\"name\")").kind, ErrorKind::kSyntax);
  EXPECT_EQ(parse_error("a ID name").kind, ErrorKind::kSyntax);
  std::string many = "a ID (";
  for (int i = 0; i < 31; ++i) many += (i ? " " : "") + std::string("\"k\" \"v\"");
  EXPECT_EQ(parse_error(many + ")").kind, ErrorKind::kTooMany);
  EXPECT_EQ(parse_error("a ID (\"" + std::string(31, 'k') + "\" NIL)").kind, ErrorKind::kTooLong);
}

TEST(ImapCommand, EnableAndQuota) {
  auto e = parse_as<Enable>("a ENABLE condstore UTF8=ACCEPT");
  EXPECT_EQ(e.capabilities, (std::vector<std::string>{"CONDSTORE", "UTF8=ACCEPT"}));
  EXPECT_EQ(parse_error("a ENABLE").kind, ErrorKind::kSyntax);
  EXPECT_EQ(parse_error("a ENABLE x  y").kind, ErrorKind::kSyntax);

  EXPECT_EQ(parse_as<GetQuota>("a GETQUOTA \"\"").root, "");
  EXPECT_EQ(parse_as<GetQuotaRoot>("a GETQUOTAROOT inbox").mailbox, "INBOX");
  auto q = parse_as<SetQuota>("a SETQUOTA \"\" (storage 512 MESSAGE 1000)");
  EXPECT_EQ(q.limits, (std::vector<std::pair<std::string, uint64_t>>{{"STORAGE", 512}, {"MESSAGE", 1000}}));
  EXPECT_TRUE(parse_as<SetQuota>("a SETQUOTA root ()").limits.empty());
  EXPECT_EQ(parse_error("a SETQUOTA root (STORAGE)").kind, ErrorKind::kSyntax);
  EXPECT_EQ(parse_error("a SETQUOTA root STORAGE 5").kind, ErrorKind::kSyntax);
}

TEST(ImapCommand, IdleDone) {
  EXPECT_TRUE(parse_idle_done("DONE"));
  EXPECT_TRUE(parse_idle_done("done"));
  EXPECT_FALSE(parse_idle_done("DONE "));
  EXPECT_FALSE(parse_idle_done("a DONE"));
  EXPECT_FALSE(parse_idle_done(""));
}

TEST(ImapCommand, Limits) {
  Limits small;
  small.max_line = 40;
  small.max_string = 8;
  small.max_tokens = 12;
  small.max_list_items = 3;
  small.max_literal = 10;
  small.max_frame = 80;
  EXPECT_EQ(parse_error("a LOGIN " + std::string(40, 'u') + " p", small).kind, ErrorKind::kTooLong);
  EXPECT_EQ(parse_error("a LOGIN 123456789 p", small).kind, ErrorKind::kTooLong);
  EXPECT_EQ(parse_error("a LOGIN \"123456789\" p", small).kind, ErrorKind::kTooLong);
  EXPECT_EQ(parse_error("a LOGIN {9}\r\n123456789 p", small).kind, ErrorKind::kTooLong);
  EXPECT_EQ(parse_error("a LOGIN {11}\r\n12345678901 p", small).kind, ErrorKind::kTooLong);
  EXPECT_EQ(parse_error("a STORE 1 FLAGS (a b c d)", small).kind, ErrorKind::kTooMany);
  EXPECT_EQ(parse_error("a SEARCH 1 2 3 4 5 6 7 8 9 10 11 12", small).kind, ErrorKind::kTooMany);
  std::string frame = "a LOGIN {8}\r\n12345678 {8}\r\n12345678";
  EXPECT_EQ(parse_as<Login>(frame, small).password, "12345678");
  small.max_frame = frame.size() - 1;
  Error e = parse_error(frame, small);
  EXPECT_EQ(e.kind, ErrorKind::kTooLong);
  EXPECT_EQ(e.tag, "a");
  // A literal announced over the 64-bit range.
  EXPECT_EQ(parse_error("a LOGIN {99999999999999999999999}\r\nx p").kind, ErrorKind::kTooLong);
  // Deep nesting never recurses without bound.
  std::string deep = "a SEARCH " + std::string(100000, '(') + "ALL" + std::string(100000, ')');
  EXPECT_EQ(parse_error(deep).kind, ErrorKind::kTooLong);
  Limits roomy;
  roomy.max_line = 1 << 20;
  EXPECT_EQ(parse_error(deep, roomy).kind, ErrorKind::kTooMany);
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  EXPECT_EQ(parse_error(nots + "ALL").kind, ErrorKind::kTooMany);
}

TEST(ImapCommand, VerbNameCoversUidForms) {
  EXPECT_EQ(verb_name(std::get<Command>(parse_command("a UID FETCH 1 FLAGS"))), "UID FETCH");
  EXPECT_EQ(verb_name(std::get<Command>(parse_command("a uid expunge 1:2"))), "UID EXPUNGE");
  EXPECT_EQ(verb_name(std::get<Command>(parse_command("a UID MOVE 1 x"))), "UID MOVE");
  EXPECT_EQ(verb_name(std::get<Command>(parse_command("a EXAMINE x"))), "EXAMINE");
}

}  // namespace

namespace {

TEST(ImapCommand, LiteralsInEveryStringPosition) {
  // Synchronizing and non-synchronizing literals are interchangeable
  // wherever a string may stand; literal8 only where the grammar allows it.
  for (std::string_view plus : {"", "+"}) {
    const std::string p(plus);
    EXPECT_EQ(parse_as<Select>("a SELECT {5" + p + "}\r\nDraft").mailbox, "Draft");
    EXPECT_EQ(parse_as<Select>("a SELECT {5" + p + "}\r\ninbox").mailbox, "INBOX");
    EXPECT_EQ(parse_as<Copy>("a COPY 1 {3" + p + "}\r\na b").mailbox, "a b");
    auto s = parse_as<Search>("a SEARCH CHARSET {5" + p + "}\r\nutf-8 SUBJECT {4" + p + "}\r\n\xc3\xa9t\xc3");
    EXPECT_EQ(s.charset, "UTF-8");
    EXPECT_EQ(describe(s.key), "(SUBJECT \"\\xC3\\xA9t\\xC3\")");  // literal octets are not checked for UTF-8
    auto f = parse_as<Fetch>("a FETCH 1 BODY[HEADER.FIELDS ({4" + p + "}\r\nDATE)]");
    EXPECT_EQ(std::get<FetchSection>(f.items[0]).section.fields, (std::vector<std::string>{"DATE"}));
    auto id = parse_as<Id>("a ID ({4" + p + "}\r\nname {0" + p + "}\r\n)");
    EXPECT_EQ((*id.params)[0].second, "");
  }
  for (std::string f : {"a LOGIN ~{3}\r\nabc p", "a SELECT ~{3}\r\nabc", "a SEARCH SUBJECT ~{1}\r\nx",
                        "a LOGIN {3}\r\nabcp", "a LOGIN {3}\r\nab", "a LOGIN { 3}\r\nabc p", "a LOGIN {3+ }\r\nabc p",
                        "a STORE 1 FLAGS ({5}\r\n\\Seen)", "a FETCH {1}\r\n1 FLAGS", "a LOGIN {1}\r\n\xff\r\n p"}) {
    Error e = parse_error(f);
    EXPECT_EQ(e.kind, ErrorKind::kSyntax) << testing::PrintToString(f) << ": " << e.text;
    EXPECT_EQ(e.tag, "a");
  }
}

TEST(ImapCommand, CountLimitsInEveryList) {
  Limits limits;
  limits.max_list_items = 2;
  limits.max_sequence_ranges = 2;
  for (std::string f : {"a FETCH 1 (FLAGS UID RFC822.SIZE)", "a FETCH 1 BODY[HEADER.FIELDS (A B C)]",
                        "a STATUS x (MESSAGES UNSEEN RECENT)", "a ENABLE A B C", "a LIST \"\" (a b c)",
                        "a SETQUOTA r (A 1 B 2 C 3)", "a FETCH 1,2,3 FLAGS", "a SEARCH UID 1,2,3",
                        "a SORT (DATE FROM SIZE) UTF-8 ALL", "a SEARCH RETURN (MIN MAX ALL) ALL",
                        "a SELECT x (CONDSTORE CONDSTORE CONDSTORE)", "a APPEND x (\\A \\B \\C) {0}\r\n"}) {
    Error e = parse_error(f, limits);
    EXPECT_EQ(e.kind, ErrorKind::kTooMany) << f << ": " << e.text;
    EXPECT_EQ(e.tag, "a");
  }
  EXPECT_EQ(parse_as<Fetch>("a FETCH 1,2 (FLAGS UID)", limits).items.size(), 2u);
}

}  // namespace
