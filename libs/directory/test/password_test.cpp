// SPDX-License-Identifier: Apache-2.0
// Argon2id hashing: round trip, salts differ, malformed stored strings, limits.
#include "mail/directory/password.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mail::directory {
namespace {

Argon2Params fast() { return Argon2Params{1, 64, 1}; }

TEST(Password, DefaultParamsRoundTrip) {
  PasswordHasher h;  // t=2, m=19456, p=1
  std::string enc = h.hash("correct horse");
  EXPECT_EQ(enc.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << enc;
  EXPECT_TRUE(h.verify(enc, "correct horse"));
  EXPECT_FALSE(h.verify(enc, "correct horse "));
  EXPECT_FALSE(h.verify(enc, ""));
  EXPECT_FALSE(h.needs_rehash(enc));
}

TEST(Password, SaltsDiffer) {
  PasswordHasher h(fast());
  std::string a = h.hash("pw"), b = h.hash("pw");
  EXPECT_NE(a, b);
  EXPECT_TRUE(h.verify(a, "pw"));
  EXPECT_TRUE(h.verify(b, "pw"));
}

TEST(Password, BinaryAndLongPasswords) {
  PasswordHasher h(fast());
  std::string nul("a\0b", 3);
  std::string enc = h.hash(nul);
  EXPECT_TRUE(h.verify(enc, nul));
  EXPECT_FALSE(h.verify(enc, "a"));
  std::string max(kMaxPasswordBytes, 'x');
  EXPECT_TRUE(h.verify(h.hash(max), max));
  EXPECT_THROW(h.hash(max + "x"), std::invalid_argument);
  EXPECT_FALSE(h.verify(enc, max + "x"));
}

TEST(Password, MalformedStoredHashes) {
  PasswordHasher h(fast());
  std::string good = h.hash("pw");
  const std::string bad[] = {
      "",
      "pw",
      "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$",
      "$argon2id$v=19$m=64,t=1,p=1$",
      "$argon2id$v=19$m=64,t=1,p=1$!!!$!!!",
      good.substr(0, good.size() - 4),
      good + "AAAA",
      "$1$salt$md5cryptlooking",
  };
  for (const auto& s : bad) EXPECT_FALSE(h.verify(s, "pw")) << s;
}

TEST(Password, NeedsRehashWhenParamsDiffer) {
  PasswordHasher a(fast());
  PasswordHasher b(Argon2Params{2, 64, 1});
  std::string enc = a.hash("pw");
  EXPECT_FALSE(a.needs_rehash(enc));
  EXPECT_TRUE(b.needs_rehash(enc));
  EXPECT_TRUE(b.verify(enc, "pw"));  // old parameters still verify
  EXPECT_TRUE(a.needs_rehash("garbage"));
}

TEST(Password, RejectsBadParams) {
  EXPECT_THROW(PasswordHasher(Argon2Params{0, 64, 1}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(Argon2Params{1, 4, 1}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(Argon2Params{1, 64, 0}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(Argon2Params{1, 64, 9}), std::invalid_argument);  // m < 8*p
}

TEST(Password, DummyVerifyDoesNotThrow) {
  PasswordHasher h(fast());
  h.verify_dummy("anything");
  h.verify_dummy("");
  h.verify_dummy(std::string(5000, 'x'));
}

}  // namespace
}  // namespace mail::directory
