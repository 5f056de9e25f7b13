// SPDX-License-Identifier: Apache-2.0
// Tests of search_text.h's folding and subject pieces: fold_case on Latin,
// Greek and Cyrillic (and its invariants over every code point),
// contains_folded, the RFC 5256 base subject on the RFC's cases, and the
// search fields a stored message keeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "mail/common/strings.h"
#include "mail/mime/search_text.h"

using namespace mail::mime;

namespace {

std::string encode(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return s;
}

struct FoldCase {
  std::string in;
  std::string want;
};

TEST(MimeSearchFold, Table) {
  const std::vector<FoldCase> cases = {
      {"Hello WORLD 123 @[]", "hello world 123 @[]"},
      // Latin-1 Supplement
      {"ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ", "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþ"},
      {"×÷ß", "×÷ß"},  // not letters; ß has no simple folding
      {"µ", "μ"},
      // Latin Extended-A
      {"ĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮĲĴĶ", "āăąćĉċčďđēĕėęěĝğġģĥħĩīĭįĳĵķ"},
      {"ĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ", "ĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷÿźżž"},
      {"āĸŉſ", "āĸŉs"},
      {"İı", "iı"},
      // Latin Extended-B and Additional
      {"ȘȚǍǛƠƯƏ", "șțǎǜơưə"},
      {"Ǆǅǆ ǇǈǊǋ Ǳǲ", "ǆǆǆ ǉǉǌǌ ǳǳ"},
      {"ẠẾỸḂẞ", "ạếỹḃß"},
      // Greek
      {"ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", "αβγδεζηθικλμνξοπρστυφχψω"},
      {"ΆΈΉΊΌΎΏΪΫ", "άέήίόύώϊϋ"},
      {"ΐΰ", "ΐΰ"},
      {"ς", "σ"},
      {"ϐϑϕϖϰϱϵϴ", "βθφπκρεθ"},
      {"ϘϚϜϞϠϢϮ", "ϙϛϝϟϡϣϯ"},
      {"ὈΔΥΣΣΕΎΣ", "ὀδυσσεύσ"},
      {"ἈᾈῺῼ", "ἀᾀὼῳ"},
      // Cyrillic
      {"ПРИВЕТ, МИР", "привет, мир"},
      {"АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ", "абвгдежзийклмнопрстуфхцчшщъыьэюя"},
      {"ЀЁЂЃЄЅІЇЈЉЊЋЌЍЎЏ", "ѐёђѓєѕіїјљњћќѝўџ"},
      {"ѢѲҐҒӀӁӃӐӘӨԀ", "ѣѳґғӏӂӄӑәөԁ"},
      // Elsewhere
      {"ԱԲ", "աբ"},
      {"K Å Ω", "k å ω"},  // Kelvin, Ångström and Ohm signs
      {"ⅫⒶＡＺ", "ⅻⓐａｚ"},
      {"日本語 한국어 😀", "日本語 한국어 😀"},
      // Not UTF-8: bytes pass through.
      {"A\xFF"
       "B\xC3",
       "a\xFF"
       "b\xC3"},
      {"\xC0\xC1\xED\xA0\x80", "\xC0\xC1\xED\xA0\x80"},
      {"\xC3\x89\xC3", "\xC3\xA9\xC3"},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(fold_case(c.in), c.want) << c.in;
}

TEST(MimeSearchFold, EveryCodePoint) {
  // Idempotent, never longer, a valid character out for a valid one in;
  // and the lowercase letters of the tested blocks are left alone.
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s = encode(cp);
    std::string f = fold_case(s);
    ASSERT_TRUE(mail::common::utf8_valid(f)) << std::hex << static_cast<uint32_t>(cp);
    ASSERT_LE(f.size(), s.size()) << std::hex << static_cast<uint32_t>(cp);
    ASSERT_EQ(fold_case(f), f) << std::hex << static_cast<uint32_t>(cp);
  }
  for (std::string lower : {"abcxyz", "àéîõüÿ", "āăąćčďđşšž", "αβγσςω", "абвгяёђџ"}) {
    // ς folds to σ; everything else here is already folded.
    std::string want = lower == "αβγσςω" ? "αβγσσω" : lower;
    EXPECT_EQ(fold_case(lower), want);
  }
}

TEST(MimeSearchFold, ContainsFolded) {
  struct Case {
    std::string haystack, needle;
    bool want;
  };
  const std::vector<Case> cases = {
      {"Hello World", "world", true},
      {"Hello World", "o w", true},
      {"Hello World", "worlds", false},
      {"Hello", "", true},
      {"", "", true},
      {"", "a", false},
      {"abc", "abcd", false},
      {"ПРИВЕТ мир", "привет", true},
      {"ΟΔΥΣΣΕΥΣ", "οδυσσευσ", true},
      {"Οδυσσεύς", "οδυσσεύσ", true},  // final sigma
      {"ÉCOLE", "école", true},
      {"Straße", "strasse", false},  // no full folding
      {"STRASSE", "straße", false},
      {"The Kelvin sign: 5K", "5k", true},
      {"caf\xE9", "caf\xE9", true},  // invalid bytes match themselves
  };
  for (const auto& c : cases)
    EXPECT_EQ(contains_folded(c.haystack, c.needle), c.want) << c.haystack << " / " << c.needle;
  EXPECT_TRUE(contains_folded("Größe", fold_case("GRÖSSE").substr(0, 4)));  // "grö"
}

struct SubjectCase {
  std::string in;
  std::string want;
};

TEST(MimeSearchSubject, BaseSubject) {
  const std::vector<SubjectCase> cases = {
      // The brief's and RFC 5256 §2.1's shapes.
      {"Re: Fwd: [list] Hello (fwd)", "hello"},
      {"[Fwd: Re: x]", "x"},
      {"Hello", "hello"},
      {"Re: hello", "hello"},
      {"RE: hello", "hello"},
      {"re:hello", "hello"},
      {"Re:Re: hello", "hello"},
      {"Re: re: RE: Fw: FW: fwd: hello", "hello"},
      {"Fw: hello", "hello"},
      {"FWD: hello", "hello"},
      {"Fwd:hello", "hello"},
      {"Re : hello", "hello"},        // *WSP before the colon
      {"Re [list]: hello", "hello"},  // subj-refwd with its blob
      {"Re[2]: hello", "hello"},
      {"Re [2] : hello", "hello"},
      {"[list] Re: hello", "hello"},  // *subj-blob subj-refwd
      {"[a] [b] Re: hello", "hello"},
      {"[a][b]Re: hello", "hello"},
      {"Re: [list] Re: hello", "hello"},
      {"[list] hello", "hello"},  // (4): a blob with something after it
      {"[a] [b] hello", "hello"},
      {"[list]", "[list]"},  // ... but not the whole subject
      {"Re: [list]", "[list]"},
      {"[a] [b]", "[b]"},
      {"[a] [b] (fwd)", "[b]"},
      {"hello (fwd)", "hello"},  // (2) trailers
      {"hello (fwd) (fwd)", "hello"},
      {"hello(fwd)", "hello"},
      {"hello (FWD)  ", "hello"},
      {"(fwd) hello", "(fwd) hello"},
      {"Re: hello (fwd)", "hello"},
      {"[Fwd: hello]", "hello"},  // (6) subj-fwd
      {"[fwd: [Fwd: hello]]", "hello"},
      {"Re: [Fwd: Re: hello] (fwd)", "hello"},
      {"Fwd: [Fwd: Re: x] (fwd)", "x"},
      {"[Fwd: x] y", "y"},  // a blob, not a wrapper
      {"[fwd: ]", ""},
      {"[Fwd: Re: [list] x (fwd)]", "x"},
      {"  Hello   World  ", "hello world"},  // (1) whitespace
      {"Hello\tWorld", "hello world"},
      {"Hello\r\n World", "hello world"},
      {"", ""},
      {"   ", ""},
      {"Re:", ""},
      {"Re: ", ""},
      {"Re: (fwd)", ""},
      {"Reply: hello", "reply: hello"},  // not a refwd
      {"Fwd hello", "fwd hello"},
      {"Refwd: x", "refwd: x"},
      {"Re: [unclosed hello", "[unclosed hello"},
      {"Re: hello]", "hello]"},
      {"Re: ΠΡΟΣΦΟΡΑ", "προσφορα"},
      {"[Ünïcode list] Hello", "hello"},  // blobs of any bytes but brackets
      {"Re: Привет", "привет"},
  };
  for (const auto& c : cases) {
    std::string got = base_subject(c.in);
    EXPECT_EQ(got, c.want) << c.in;
    EXPECT_EQ(base_subject(got), got) << "not idempotent: " << c.in;
  }
}

TEST(MimeSearchSubject, Bounded) {
  // Shapes that would make a naive implementation quadratic.
  std::vector<std::string> inputs(5);
  for (int i = 0; i < 50000; ++i) inputs[0] += "[a]";
  for (int i = 0; i < 50000; ++i) inputs[1] += "[fwd:";
  for (int i = 0; i < 50000; ++i) inputs[2] += "re: ";
  for (int i = 0; i < 30000; ++i) inputs[3] += "[Fwd: ";
  inputs[3] += "x" + std::string(30000, ']');
  for (int i = 0; i < 50000; ++i) inputs[4] += "[[a] ";
  for (const auto& in : inputs) {
    std::string got = base_subject(in);
    EXPECT_EQ(base_subject(got), got);
  }
  EXPECT_EQ(base_subject(inputs[0]), "[a]");
  EXPECT_EQ(base_subject(inputs[2]), "");
  EXPECT_EQ(base_subject(inputs[3]), "x");
}

TEST(MimeSearchFields, KeepsTheSearchedFieldsDecodedAndFolded) {
  const std::string header =
      "Received: from x by y\r\n"
      "From: =?ISO-8859-1?Q?J=F6rg?= Sch\xC3\x96N <JOERG@Example.COM>\r\n"
      "To: a@b.test,\r\n c@d.test\r\n"
      "to: second@e.test\r\n"
      "Subject: =?UTF-8?B?w5xCRVI=?= Report\r\n"
      "Date: Wed, 15 Nov 2023\r\n 03:13:55 +0000\r\n"
      "X-Other: not kept\r\n"
      "Bad field without colon\r\n"
      "\r\n";
  const std::string f = search_fields(header);
  EXPECT_EQ(f,
            "from\tj\xC3\xB6rg sch\xC3\xB6n <joerg@example.com>\n"
            "to\ta@b.test, c@d.test\n"
            "to\tsecond@e.test\n"
            "subject\t\xC3\xBC" "ber report\n"
            "date\tWed, 15 Nov 2023   03:13:55 +0000\n");
  EXPECT_TRUE(search_field_holds(f, "FROM", "j\xC3\xB6rg"));
  EXPECT_TRUE(search_field_holds(f, "To", "second@"));
  EXPECT_TRUE(search_field_holds(f, "to", "")) << "an empty needle asks whether the field is there";
  EXPECT_FALSE(search_field_holds(f, "cc", ""));
  EXPECT_FALSE(search_field_holds(f, "from", "report")) << "a needle matches within its own field only";
  EXPECT_FALSE(search_field_holds(f, "subject", "report\nd")) << "nor across lines";
  EXPECT_EQ(search_field(f, "Date"), "Wed, 15 Nov 2023   03:13:55 +0000");
  EXPECT_EQ(search_field(f, "bcc"), std::nullopt);
  EXPECT_TRUE(is_search_field("BCC"));
  EXPECT_FALSE(is_search_field("X-Other"));
}

TEST(MimeSearchFields, AreCleanUtf8) {
  // Raw Latin-1, a NUL and an encoded LF: none may reach a text column.
  const std::string header = std::string("Subject: caf\xE9 a") + '\0' + "b =?UTF-8?Q?x=0Ay?=\r\n\r\n";
  const std::string f = search_fields(header);
  EXPECT_TRUE(mail::common::utf8_valid(f));
  EXPECT_EQ(f.find('\0'), std::string::npos);
  EXPECT_EQ(std::count(f.begin(), f.end(), '\n'), 1);
  EXPECT_TRUE(search_field_holds(f, "subject", "x y"));
}

}  // namespace
