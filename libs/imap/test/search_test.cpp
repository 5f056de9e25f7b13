// SPDX-License-Identifier: Apache-2.0
// Tests of SEARCH / UID SEARCH / SORT parsing into the AST, compared through
// describe(): every RFC 3501 key, nesting, OR / NOT, dates, CHARSET,
// ESEARCH RETURN options, MODSEQ; malformed programs and depth limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parse_util.h"

using namespace mail::imap;
using mail::imap::test::parse_as;
using mail::imap::test::parse_error;

namespace {

TEST(ImapSearch, Keys) {
  struct Case {
    std::string program;
    std::string ast;
  };
  const std::vector<Case> cases = {
      {"ALL", "(ALL)"},
      {"answered deleted draft flagged new old recent seen", "(ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN)"},
      {"UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN", "(UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN)"},
      {"FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "(FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\")"},
      {"BCC a BODY b CC c FROM d SUBJECT e TEXT f TO g",
       "(BCC \"a\" BODY \"b\" CC \"c\" FROM \"d\" SUBJECT \"e\" TEXT \"f\" TO \"g\")"},
      {"BEFORE \"30-Dec-2023\" ON 29-feb-2024 SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 03-Jan-2000",
       "(BEFORE 30-Dec-2023 ON 29-Feb-2024 SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000)"},
      {"HEADER X-Spam {3}\r\nyes", "(HEADER \"X-Spam\" \"yes\")"},
      {"HEADER \"Message-ID\" \"\"", "(HEADER \"Message-ID\" \"\")"},
      {"KEYWORD $Junk UNKEYWORD $NotJunk", "(KEYWORD $Junk UNKEYWORD $NotJunk)"},
      {"LARGER 1000 SMALLER 4294967295", "(LARGER 1000 SMALLER 4294967295)"},
      {"UID 1:100,200:* 2,4:7 $ *", "(UID 1:100,200:* 2,4:7 $ *)"},
      {"UID $", "(UID $)"},
      {"OR SEEN FLAGGED", "(OR SEEN FLAGGED)"},
      {"OR (SEEN UNDELETED) NOT OR 1 2", "(OR (SEEN UNDELETED) NOT OR 1 2)"},
      {"NOT NOT (((ALL)))", "(NOT NOT (((ALL))))"},
      {"MODSEQ 620162338", "(MODSEQ 620162338)"},
      {"MODSEQ \"/flags/\\\\draft\" all 620162338", "(MODSEQ \"/flags/\\\\draft\" all 620162338)"},
      {"OLDER 3600 YOUNGER 60", "(OLDER 3600 YOUNGER 60)"},
      {"SUBJECT \"caf\xc3\xa9\"", "(SUBJECT \"caf\\xC3\\xA9\")"},
  };
  for (const auto& c : cases) {
    auto s = parse_as<Search>("a SEARCH " + c.program);
    EXPECT_EQ(describe(s.key), c.ast) << c.program;
    EXPECT_FALSE(s.uid);
    EXPECT_FALSE(s.charset);
    EXPECT_FALSE(s.ret);
  }
}

TEST(ImapSearch, CharsetReturnAndUid) {
  auto s = parse_as<Search>("A282 UID SEARCH RETURN (MIN COUNT save) CHARSET utf-8 TEXT \"x\"");
  EXPECT_TRUE(s.uid);
  EXPECT_EQ(s.charset, "UTF-8");
  ASSERT_TRUE(s.ret);
  EXPECT_EQ(*s.ret, (SearchReturn{true, false, false, true, true}));
  auto all = parse_as<Search>("a SEARCH RETURN () ALL");
  ASSERT_TRUE(all.ret);
  EXPECT_TRUE(all.ret->all);
  // A date as a search value keeps its structure.
  auto d = parse_as<Search>("a SEARCH ON 5-Mar-2021");
  const auto& on = std::get<SearchDate>(std::get<SearchAnd>(d.key.node).children[0].node);
  EXPECT_EQ(on.date, (Date{2021, 3, 5}));
}

TEST(ImapSearch, Malformed) {
  for (std::string f : {
           "a SEARCH", "a SEARCH ", "a SEARCH FROB", "a SEARCH ALL ", "a SEARCH  ALL", "a SEARCH (ALL", "a SEARCH ALL)",
           "a SEARCH ()", "a SEARCH OR SEEN", "a SEARCH NOT", "a SEARCH FROM", "a SEARCH HEADER X",
           "a SEARCH SINCE 31-Feb-2020", "a SEARCH SINCE 1-Foo-2020", "a SEARCH SINCE 1-Jan-20", "a SEARCH SINCE 100-Jan-2020",
           "a SEARCH SINCE \"1-Jan-2020", "a SEARCH LARGER x", "a SEARCH LARGER 4294967296", "a SEARCH UID",
           "a SEARCH UID x", "a SEARCH 0", "a SEARCH 1,$", "a SEARCH CHARSET", "a SEARCH CHARSET UTF-8",
           "a SEARCH RETURN (FROB) ALL", "a SEARCH RETURN ALL", "a SEARCH MODSEQ", "a SEARCH MODSEQ \"/flags/\\\\seen\" 5",
           "a SEARCH MODSEQ \"/other\" all 5", "a SEARCH MODSEQ \"/flags/x\" every 5", "a SEARCH KEYWORD \\Seen",
           "a SEARCH OLDER 0", "a SEARCH CHARSET UTF-8 RETURN (ALL) ALL"}) {
    Error e = parse_error(f);
    EXPECT_EQ(e.kind, ErrorKind::kSyntax) << f << ": " << e.text;
    EXPECT_EQ(e.tag, "a");
  }
}

TEST(ImapSearch, DepthLimit) {
  Limits limits;
  limits.max_search_depth = 4;
  EXPECT_EQ(describe(parse_as<Search>("a SEARCH ((ALL))", limits).key), "(((ALL)))");
  EXPECT_EQ(parse_error("a SEARCH ((((ALL))))", limits).kind, ErrorKind::kTooMany);
  EXPECT_EQ(parse_error("a SEARCH NOT NOT NOT NOT ALL", limits).kind, ErrorKind::kTooMany);
  EXPECT_EQ(parse_error("a SEARCH OR OR OR OR 1 2 3 4 5", limits).kind, ErrorKind::kTooMany);
}

TEST(ImapSort, Criteria) {
  auto s = parse_as<Sort>("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL");
  EXPECT_FALSE(s.uid);
  EXPECT_EQ(s.criteria, (std::vector<SortCriterion>{{SortCriterion::kSubject, false}, {SortCriterion::kDate, true}}));
  EXPECT_EQ(s.charset, "UTF-8");
  EXPECT_EQ(describe(s.key), "(ALL)");
  auto u = parse_as<Sort>("A285 UID SORT (REVERSE ARRIVAL cc from SIZE to DISPLAYFROM DISPLAYTO) US-ASCII SINCE 1-Feb-1994 UNDELETED");
  EXPECT_TRUE(u.uid);
  EXPECT_EQ(u.criteria.size(), 7u);
  EXPECT_EQ(describe(u.key), "(SINCE 1-Feb-1994 UNDELETED)");
  for (std::string f : {"a SORT", "a SORT () UTF-8 ALL", "a SORT (DATE) ALL", "a SORT (DATE)", "a SORT (REVERSE) UTF-8 ALL",
                        "a SORT (FROB) UTF-8 ALL", "a SORT DATE UTF-8 ALL", "a SORT (DATE) UTF-8"})
    EXPECT_EQ(parse_error(f).kind, ErrorKind::kSyntax) << f;
}

}  // namespace
