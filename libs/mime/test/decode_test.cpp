// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the decoding steps of decode.h: charset conversion
// (glibc iconv: single-byte, CJK, stateful ISO-2022-JP, UTF-16/32, unknown
// names), base64 and quoted-printable bodies, and RFC 2047 encoded words
// in header values (RFC 2047 §8's own examples, Q and B, RFC 2231
// languages, mixed charsets, split characters, broken words).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "mail/common/strings.h"
#include "mail/mime/decode.h"

using namespace mail::mime;

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

struct CharsetCase {
  std::string bytes;
  std::string charset;
  std::optional<std::string> want;
};

TEST(MimeDecodeCharset, ToUtf8) {
  const std::vector<CharsetCase> cases = {
      // US-ASCII, no charset and UTF-8: valid UTF-8 kept, other bytes U+FFFD.
      {"hello", "us-ascii", "hello"},
      {"caf\xC3\xA9", "US-ASCII", "café"},  // mislabelled UTF-8
      {"caf\xE9", "us-ascii", "caf" + kFFFD},
      {"caf\xE9", "", "caf" + kFFFD},
      {"caf\xE9", "ansi_x3.4-1968", "caf" + kFFFD},
      {"caf\xC3\xA9", "utf-8", "café"},
      {"caf\xC3\xA9", "UTF8", "café"},
      {"a\xC3(b", "utf-8", "a" + kFFFD + "(b"},                      // bad continuation
      {"\xE2\x82", "utf-8", kFFFD + kFFFD},                          // truncated: one per byte
      {"\xC0\xAF", "utf-8", kFFFD + kFFFD},                          // overlong
      {"\xED\xA0\x80", "utf-8", kFFFD + kFFFD + kFFFD},              // surrogate
      {"\xF4\x90\x80\x80", "utf-8", kFFFD + kFFFD + kFFFD + kFFFD},  // above U+10FFFF
      {"\xF0\x9F\x98\x80", "utf-8", "\xF0\x9F\x98\x80"},
      // Single-byte charsets through iconv; names in any case, spaces trimmed.
      {"caf\xE9", "ISO-8859-1", "café"},
      {"caf\xE9", " Latin1 ", "café"},
      {"\xB1\xB6", "iso-8859-2", "ąś"},
      {"\xE1\xE2", "ISO-8859-7", "αβ"},
      {"\xA4", "iso-8859-15", "€"},
      {"\xE0", "iso-8859-8-i", "א"},  // RFC 1556 logical Hebrew: same bytes
      {"\xA1", "iso-8859-16", "Ą"},
      {"\x80", "windows-1252", "€"},
      {"a\201b", "windows-1252", "a" + kFFFD + "b"},  // undefined in CP1252
      {"\x8A", "windows-1250", "Š"},
      {"\xCF\xF0\xE8\xE2\xE5\xF2", "windows-1251", "Привет"},
      {"\xF0\xD2\xC9\xD7\xC5\xD4", "KOI8-R", "Привет"},
      {"\xA4", "koi8-u", "є"},
      {"\x8E", "x-mac-roman", "é"},
      // Multi-byte and stateful charsets.
      {"\xC4\xE3\xBA\xC3", "gb2312", "你好"},
      {"\xC4\xE3\xBA\xC3", "GBK", "你好"},
      {"\xC4\xE3\xBA\xC3", "gb18030", "你好"},
      {"\xA7\x41\xA6\x6E", "big5", "你好"},
      {"\x82\xA0\x5C", "Shift_JIS", "あ\\"},  // read as CP932: 0x5C is a backslash, not ¥
      {"\xA4\xA2", "euc-jp", "あ"},
      {"\x1B$B$9$_$^$;$s!#\x1B(B", "iso-2022-jp", "すみません。"},
      {"a\x1B$B$9\x1B(Bb", "ISO-2022-JP", "aすb"},
      {"\xC7\xD1\xB1\xDB", "euc-kr", "한글"},
      {"\xBD\xBA\xC6\xBC\xC7\xD8", "ks_c_5601-1987", "스티해"},
      {"+AOk-", "utf-7", "é"},
      {std::string("\xFE\xFF\0h\0i", 6), "utf-16", "hi"},  // BOM
      {std::string("h\0i\0", 4), "UTF-16LE", "hi"},
      {std::string("\0h\0i", 4), "utf-16be", "hi"},
      {std::string("h\0i", 3), "utf-16le", "h" + kFFFD},       // truncated unit
      {std::string("\0\xD8h\0", 4), "utf-16le", kFFFD + "h"},  // lone surrogate: one unit skipped
      {std::string("h\0\0\0\xE9\0\0\0", 8), "utf-32le", "hé"},
      {std::string("\0\0\xFE\xFF\0\0\0h", 8), "UTF-32", "h"},
      {"\x82", "shift_jis", kFFFD},  // truncated at the end
      // Unknown to iconv: the bytes when they are UTF-8, else nullopt.
      {"abc", "x-unknown", "abc"},
      {"caf\xC3\xA9", "x-unknown", "café"},
      {"caf\xE9", "x-unknown", std::nullopt},
      {"caf\xE9", "iso-8859-1//TRANSLIT", std::nullopt},  // suffixes never reach iconv
      {"caf\xE9", "utf-8 ; x", std::nullopt},
      {"caf\xE9", std::string(100, 'a'), std::nullopt},
      {"", "x-unknown", ""},
  };
  for (const auto& c : cases) {
    auto got = to_utf8(c.bytes, c.charset);
    EXPECT_EQ(got, c.want) << c.charset << " " << testing::PrintToString(c.bytes);
    if (got) {
      EXPECT_TRUE(mail::common::utf8_valid(*got)) << c.charset;
    }
  }
}

TEST(MimeDecodeCharset, Bounded) {
  // Garbage in charsets where every byte is an error: one U+FFFD per unit.
  std::string junk(3000, '\xFF');
  for (const char* cs : {"utf-8", "us-ascii", "euc-jp", "iso-2022-jp", "gb18030", "big5", "utf-16le", "utf-7"}) {
    auto got = to_utf8(junk, cs);
    ASSERT_TRUE(got) << cs;
    EXPECT_TRUE(mail::common::utf8_valid(*got)) << cs;
    EXPECT_LE(got->size(), 4 * junk.size() + 16) << cs;
  }
  EXPECT_EQ(*to_utf8(junk, "utf-8"), [] {
    std::string s;
    for (int i = 0; i < 3000; ++i) s += "\xEF\xBF\xBD";
    return s;
  }());
}

TEST(MimeDecodeCharset, Known) {
  for (const char* cs : {"utf-8", "UTF8", "us-ascii", "ASCII", "iso-8859-1", "ISO-8859-15", "windows-1252", "koi8-r",
                         "gb2312", "big5", "shift_jis", "iso-2022-jp", "ks_c_5601-1987", "utf-16"})
    EXPECT_TRUE(charset_known(cs)) << cs;
  for (const char* cs : {"", " ", "x-unknown", "utf-8//TRANSLIT", "iso-8859-1//IGNORE", "default", "../etc"})
    EXPECT_FALSE(charset_known(cs)) << cs;
  EXPECT_FALSE(charset_known(std::string(65, 'a')));
}

TEST(MimeDecodeCharset, Utf8OrLatin1) {
  EXPECT_EQ(utf8_or_latin1("caf\xE9"), "café");
  EXPECT_EQ(utf8_or_latin1("caf\xC3\xA9"), "café");
  EXPECT_EQ(utf8_or_latin1("\xC3\xA9\xE9!"), "éé!");  // per character: a stray byte spoils nothing else
  EXPECT_EQ(utf8_or_latin1("\x80\xFF"), "\xC2\x80\xC3\xBF");
  EXPECT_EQ(utf8_or_latin1(""), "");
}

struct TransferCase {
  std::string body;
  std::optional<std::string> encoding;
  std::string want;
};

TEST(MimeDecodeTransfer, Base64) {
  const std::vector<TransferCase> cases = {
      {"SGVsbG8=", "base64", "Hello"},
      {"SGVsbG8", "base64", "Hello"},  // padding missing
      {"SGVs\r\nbG8=\r\n", "base64", "Hello"},
      {"SGVsbA==", "base64", "Hell"},
      {"SGVsbA", "base64", "Hell"},
      {"SGVsbA=", "base64", "Hell"},
      {"S", "base64", ""},                          // a lone sextet is no byte
      {"SGVsbG8=IGlnbm9yZWQ=", "base64", "Hello"},  // stops at padding
      {"SG!!Vs*bG8 =", "base64", "Hello"},          // junk skipped
      {" \t\r\n", "base64", ""},
      {"", "base64", ""},
      {"44GL44GN", "BASE64", "かき"},  // compared case-insensitively
      {"/+/+", "base64", "\xFF\xEF\xFE"},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_transfer(c.body, c.encoding), c.want) << c.body;
  EXPECT_EQ(decode_base64("SGk="), "Hi");
}

TEST(MimeDecodeTransfer, QuotedPrintable) {
  const std::vector<TransferCase> cases = {
      {"a=3Db", "quoted-printable", "a=b"},
      {"a=3db", "quoted-printable", "a=b"},  // lowercase hex accepted
      {"caf=E9", "quoted-printable", "caf\xE9"},
      {"soft=\r\nbreak", "quoted-printable", "softbreak"},
      {"soft=\nbreak", "quoted-printable", "softbreak"},
      {"soft= \t\r\nbreak", "quoted-printable", "softbreak"},  // transport padding after "="
      {"end=", "quoted-printable", "end"},
      {"end=  ", "quoted-printable", "end"},
      {"a=ZZb", "quoted-printable", "a=ZZb"},  // invalid escapes kept
      {"a=4", "quoted-printable", "a=4"},
      {"a=\rb", "quoted-printable", "a=\rb"},
      {"a = b", "quoted-printable", "a = b"},
      {"trail  \t\r\nx", "quoted-printable", "trail\r\nx"},  // trailing whitespace dropped
      {"trail \nx", "quoted-printable", "trail\nx"},
      {"in  side\r\n", "quoted-printable", "in  side\r\n"},
      {"last  ", "quoted-printable", "last"},
      {"==3D", "quoted-printable", "=="},
      {"", "quoted-printable", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_transfer(c.body, c.encoding), c.want) << c.body;
  EXPECT_EQ(decode_quoted_printable("x=41"), "xA");
}

TEST(MimeDecodeTransfer, OthersUnchanged) {
  const std::string body = "SGVsbG8= a=3Db\r\n";
  for (std::optional<std::string> enc :
       {std::optional<std::string>{}, std::optional<std::string>{"7bit"}, std::optional<std::string>{"8bit"},
        std::optional<std::string>{"binary"}, std::optional<std::string>{"x-uuencode"}, std::optional<std::string>{""},
        std::optional<std::string>{"base64x"}})
    EXPECT_EQ(decode_transfer(body, enc), body) << enc.value_or("nullopt");
}

struct HeaderCase {
  std::string raw;
  std::string want;
};

TEST(MimeDecodeHeader, Rfc2047Examples) {
  // RFC 2047 §8, the examples as given there.
  const std::vector<HeaderCase> cases = {
      {"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"},
      {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld Jørn Simonsen <keld@dkuug.dk>"},
      {"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "André Pirard <PIRARD@vm1.ulg.ac.be>"},
      {" =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
       "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
       "If you can read this you understand the example."},
      {"Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
       "Nathaniel Borenstein <nsb@thumper.bellcore.com>    (םולש ןב ילטפנ)"},
      {"=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>", "Olle Järnefors <ojarnef@admin.kth.se>"},
      {"=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>", "Patrik Fältström <paf@nada.kth.se>"},
      {"(=?ISO-8859-1?Q?a?=)", "(a)"},
      {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"},
      // RFC 2231 §5: a language in the charset field.
      {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},
      {"=?utf-8*de-CH?q?Gr=C3=BCezi?=", "Grüezi"},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_header_value(c.raw), c.want) << c.raw;
}

TEST(MimeDecodeHeader, Words) {
  const std::vector<HeaderCase> cases = {
      // Q: underscores are spaces, =5F an underscore, lowercase hex, case of B/Q.
      {"=?utf-8?q?a_b=5Fc?=", "a b_c"},
      {"=?UTF-8?Q?caf=c3=a9?=", "café"},
      {"=?utf-8?Q?100=?=", "100="},  // a bare "=" is kept
      {"=?utf-8?q?\?=", ""},         // empty text ("\?": no trigraph)
      // B with and without padding.
      {"=?utf-8?b?w6k=?=", "é"},
      {"=?utf-8?B?w6k?=", "é"},
      {"=?UTF-8?B?44G+44G/44KA44KB44KC?=", "まみむめも"},
      {"=?utf-8?b?/w==?=", kFFFD},  // not UTF-8 after all
      // Adjacent words of one charset are joined before conversion.
      {"=?utf-8?B?ww==?= =?utf-8?B?qQ==?=", "é"},
      {"=?utf-8?q?=C3?=\r\n =?UTF-8?q?=A9?=", "é"},
      {"=?ISO-2022-JP?B?GyRCJDkkXyReJDskcyEjGyhC?=", "すみません。"},
      // Mixed charsets.
      {"=?iso-8859-1?q?caf=E9?= =?koi8-r?b?8NLJ18XU?=", "caféПривет"},
      {"=?iso-8859-1?q?caf=E9?= et =?koi8-r?b?8NLJ18XU?=", "café et Привет"},
      {"Re: =?utf-8?q?caf=C3=A9?= time", "Re: café time"},
      {"=?windows-1251?B?z/Do4uXy?=", "Привет"},
      {"=?gb2312?B?xOO6ww==?=", "你好"},
      // Lenient: words next to other text are decoded too.
      {"foo=?utf-8?q?bar?=baz", "foobarbaz"},
      {"\"=?utf-8?q?Jos=C3=A9?=\" <j@x>", "\"José\" <j@x>"},
      {"=?=?utf-8?q?x?=", "=?x"},
      // Broken words are left as written.
      {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
      {"=?utf-8?q?abc", "=?utf-8?q?abc"},
      {"=?utf-8?q?a b?=", "=?utf-8?q?a b?="},
      {"=?\?q?abc?=", "=?\?q?abc?="},
      {"=?*en?q?abc?=", "=?*en?q?abc?="},
      {"=?utf-8?qq?abc?=", "=?utf-8?qq?abc?="},
      {"=?utf-8?q", "=?utf-8?q"},
      {"=?", "=?"},
      {"=?x-unknown?q?caf=E9?=", "=?x-unknown?q?caf=E9?="},
      {"=?x-unknown?q?cafe?=", "cafe"},                                  // to_utf8: unknown charset, but UTF-8 bytes
      {"=?utf-8?q?ok?= =?x-unknown?q?=E9?=", "ok =?x-unknown?q?=E9?="},  // whitespace kept beside it
      {"=?x-unknown?q?=E9?= =?utf-8?q?ok?=", "=?x-unknown?q?=E9?= ok"},
      {"=?utf-8?q?a?= =?x-unknown?q?=E9?= =?x-unknown?q?=E8?=", "a =?x-unknown?q?=E9?= =?x-unknown?q?=E8?="},
      {"=?" + std::string(120, 'a') + "?q?x?=", "=?" + std::string(120, 'a') + "?q?x?="},
      // Raw 8-bit text: UTF-8 when valid, else ISO-8859-1.
      {"caf\xC3\xA9", "café"},
      {"caf\xE9", "café"},
      {"\xE9 =?utf-8?q?=C3=A9?=", "é é"},
      // Unfolding and trimming.
      {"Hello\r\n World", "Hello World"},
      {"Hello\n\tWorld", "Hello\tWorld"},
      {"  x  ", "x"},
      {" \r\n ", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    std::string got = decode_header_value(c.raw);
    EXPECT_EQ(got, c.want) << c.raw;
    EXPECT_TRUE(mail::common::utf8_valid(got)) << c.raw;
  }
}

TEST(MimeDecodeHeader, Bounded) {
  // Many openers and no end, many words, long runs: linear and at most 4x.
  std::vector<std::string> inputs = {std::string(200000, '='), "", "", "", std::string(100000, '\xE9')};
  for (int i = 0; i < 40000; ++i) inputs[1] += "=?a?q?x";
  for (int i = 0; i < 20000; ++i) inputs[2] += "=?utf-8?q?=C3=A9?= ";
  for (int i = 0; i < 20000; ++i) inputs[3] += "=?utf-8?b?" + std::string(i % 7, 'w') + "?=";
  for (const auto& in : inputs) {
    std::string got = decode_header_value(in);
    EXPECT_LE(got.size(), 4 * in.size());
    EXPECT_TRUE(mail::common::utf8_valid(got));
  }
  EXPECT_TRUE(decode_header_value(inputs[1]) == inputs[1]);      // (no dump of 280 kB on failure)
  EXPECT_EQ(decode_header_value(inputs[2]).size(), 2u * 20000);  // é each, spaces dropped
}

}  // namespace
