// SPDX-License-Identifier: Apache-2.0
// Tests of common::Result: values, errors, Status (Result<Done>), move-only values.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "mail/common/result.h"

using namespace mail::common;

namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error{ErrorCode::invalid_argument, "not a digit"};
  return c - '0';
}

Status check_positive(int n) {
  if (n <= 0) return Error{ErrorCode::limit, "not positive"};
  return Done{};
}

TEST(Result, ValueOrError) {
  auto r = parse_digit('7');
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 7);
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(r.value_or(-1), 7);

  auto e = parse_digit('x');
  ASSERT_FALSE(e.ok());
  EXPECT_FALSE(static_cast<bool>(e));
  EXPECT_EQ(e.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(e.error().message, "not a digit");
  EXPECT_EQ(e.error(), (Error{ErrorCode::invalid_argument, "not a digit"}));
  EXPECT_EQ(e.value_or(-1), -1);
}

TEST(Result, StatusOfACallWithNothingToReturn) {
  auto ok = check_positive(3);
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  ok.value();
  auto bad = check_positive(0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::limit);
}

TEST(Result, StringAndMoveOnlyValues) {
  Result<std::string> s = std::string("hello");
  EXPECT_EQ(s->size(), 5u);
  std::string moved = std::move(s).value();
  EXPECT_EQ(moved, "hello");

  Result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p);
  std::unique_ptr<int> owned = std::move(p).value();
  EXPECT_EQ(*owned, 5);

  Result<std::unique_ptr<int>> none = Error{ErrorCode::not_found, "gone"};
  EXPECT_EQ(none.error().code, ErrorCode::not_found);
}

TEST(Result, CodeNames) {
  EXPECT_STREQ(to_string(ErrorCode::already_exists), "already_exists");
  EXPECT_STREQ(to_string(ErrorCode::not_found), "not_found");
  EXPECT_STREQ(to_string(ErrorCode::invalid_argument), "invalid_argument");
  EXPECT_STREQ(to_string(ErrorCode::failed_precondition), "failed_precondition");
  EXPECT_STREQ(to_string(ErrorCode::unavailable), "unavailable");
  EXPECT_STREQ(to_string(ErrorCode::limit), "limit");
  EXPECT_STREQ(to_string(ErrorCode::internal), "internal");
}

}  // namespace
