// SPDX-License-Identifier: Apache-2.0
// Table-driven tests for the strict base64 codec (RFC 4648 test vectors plus
// the malformed inputs a SASL peer could send).
#include <gtest/gtest.h>

#include <random>

#include "mail/common/base64.h"

using mail::common::base64_decode;
using mail::common::base64_encode;

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, enc] : cases) {
    EXPECT_EQ(base64_encode(plain), enc);
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, plain);
  }
  EXPECT_EQ(base64_encode(std::string("\0user\0pass", 10)), "AHVzZXIAcGFzcw==");
  EXPECT_EQ(base64_encode("\xff\xfe\xfd"), "//79");
  EXPECT_EQ(*base64_decode("VXNlcm5hbWU6"), "Username:");
}

TEST(Base64, RejectsMalformed) {
  const std::string_view bad[] = {
      "Zg",          // missing padding
      "Zg=",         // short padding
      "Zm9",         // length not a multiple of 4
      "Z===",        // one sextet cannot make a byte
      "====",        // only padding
      "Zg==Zg==",    // padding in the middle
      "Zm=v",        // '=' before data in the last quantum
      "Zm9v YmFy",   // whitespace is not skipped
      "Zm9v\r\n",    // neither are line breaks
      "Zm9v!A==",    // bad character
      "Zh==",        // non-zero pad bits ('h' has low bits set)
      "Zm9=",        // non-zero pad bits in the two-byte form
      "Zm-v",        // URL-safe alphabet is not accepted
      "Zm_v",
      std::string_view("Zm\0v", 4),
  };
  for (auto b : bad) EXPECT_FALSE(base64_decode(b)) << b;
}

TEST(Base64, RandomRoundTrip) {
  std::mt19937 rng(42);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    auto enc = base64_encode(s);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec);
    EXPECT_EQ(*dec, s);
  }
}
