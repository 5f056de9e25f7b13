// SPDX-License-Identifier: Apache-2.0
// AUTH argument parsing tests. The SASL mechanisms (PLAIN, LOGIN, response
// lines) are tested in libs/sasl/test/sasl_test.cpp.
#include <gtest/gtest.h>

#include "mail/smtp/auth.h"

using namespace mail::smtp;

TEST(Auth, ParseArgs) {
  auto r = parse_auth_args("plain AHVAZABw");
  ASSERT_TRUE(std::holds_alternative<AuthRequest>(r));
  EXPECT_EQ(std::get<AuthRequest>(r).mechanism, "PLAIN");
  EXPECT_EQ(std::get<AuthRequest>(r).initial_response, "AHVAZABw");
  r = parse_auth_args("LOGIN");
  EXPECT_FALSE(std::get<AuthRequest>(r).initial_response);
  r = parse_auth_args("PLAIN =");
  EXPECT_EQ(std::get<AuthRequest>(r).initial_response, "");
  r = parse_auth_args("  CRAM-MD5  ");
  EXPECT_EQ(std::get<AuthRequest>(r).mechanism, "CRAM-MD5");
  for (std::string_view bad : {"", "   ", "PLAIN x y", "PLAIN *", "PLAIN a!b", "P.LAIN", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse_auth_args(bad))) << bad;
}
