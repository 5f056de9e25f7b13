// SPDX-License-Identifier: Apache-2.0
// Tests of common::Result: values, errors, Result<void>, move-only values.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "mail/common/result.h"

using namespace mail::common;

namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(ErrorCode::invalid, "not a digit");
  return c - '0';
}

Result<void> check_positive(int n) {
  if (n <= 0) return Error{ErrorCode::limit, "not positive"};
  return {};
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
  EXPECT_EQ(e.error().code, ErrorCode::invalid);
  EXPECT_EQ(e.error().text, "not a digit");
  EXPECT_EQ(e.error(), (Error{ErrorCode::invalid, "not a digit"}));
  EXPECT_EQ(e.value_or(-1), -1);
}

TEST(Result, Void) {
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
  EXPECT_EQ(error_code_name(ErrorCode::not_found), "not_found");
  EXPECT_EQ(error_code_name(ErrorCode::unavailable), "unavailable");
  EXPECT_EQ(error_code_name(ErrorCode::conflict), "conflict");
  EXPECT_EQ(error_code_name(ErrorCode::invalid), "invalid");
  EXPECT_EQ(error_code_name(ErrorCode::limit), "limit");
  EXPECT_EQ(error_code_name(ErrorCode::permission), "permission");
  EXPECT_EQ(error_code_name(ErrorCode::internal), "internal");
}

}  // namespace
