// SPDX-License-Identifier: Apache-2.0
// Tests of modified UTF-7 (RFC 3501 §5.1.3): the RFC's example, round
// trips, and the non-canonical and invalid encodings a strict decoder
// must refuse; and is_inbox().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/imap/mutf7.h"

using namespace mail::imap;

namespace {

TEST(ImapMutf7, RfcExample) {
  const std::string utf8 = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
  EXPECT_EQ(mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), utf8);
  EXPECT_EQ(mutf7_encode(utf8), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
}

TEST(ImapMutf7, RoundTrips) {
  struct Case {
    std::string utf8, mutf7;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"INBOX", "INBOX"},
      {"Tom & Jerry", "Tom &- Jerry"},
      {"&&", "&-&-"},
      {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
      {"\xc3\xa9t\xc3\xa9", "&AOk-t&AOk-"},
      {"\xf0\x9f\x98\x80", "&2D3eAA-"},  // U+1F600, a surrogate pair
      {"a\x7f" "b", "a&AH8-b"},
      {"\t", "&AAk-"},
      {"~/\xd0\x9f\xd1\x80\xd0\xb8", "~/&BB8EQAQ4-"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(mutf7_encode(c.utf8), c.mutf7) << c.utf8;
    EXPECT_EQ(mutf7_decode(c.mutf7), c.utf8) << c.mutf7;
  }
  EXPECT_EQ(mutf7_encode("a\xff" "b"), "a&,,0-b");  // invalid UTF-8 becomes U+FFFD
}

TEST(ImapMutf7, RejectsInvalid) {
  for (std::string_view bad : {
           "&",           // unterminated
           "&U,BTFw",     // no '-'
           "&-&",         //
           "&AGE-",       // "a" must be direct
           "&ACA-",       // SP must be direct
           "&AAA-",       // NUL
           "&AOk-&AOk-",  // adjacent runs should be one
           "&AO-",        // leftover bits
           "&AOkA-",      // a partial unit / non-zero leftover
           "&AOl-",       // non-zero padding bits
           "&2D0-",       // lone high surrogate
           "&3gA-",       // lone low surrogate
           "&2D3YPQ-",    // high surrogate then another high
           "&U/BTFw-",    // '/' is not in the modified alphabet
           "&U,BTFw=-",   // no padding
           "\xc3\xa9",    // 8-bit octets must be encoded
           "a\tb",        // control octets too
           "&-&a",
       }) {
    EXPECT_FALSE(mutf7_decode(bad)) << bad;
  }
}

TEST(ImapMutf7, IsInbox) {
  EXPECT_TRUE(is_inbox("INBOX"));
  EXPECT_TRUE(is_inbox("inbox"));
  EXPECT_TRUE(is_inbox("InBoX"));
  EXPECT_FALSE(is_inbox("INBOX/x"));
  EXPECT_FALSE(is_inbox("INBOX "));
  EXPECT_FALSE(is_inbox(""));
}

}  // namespace
