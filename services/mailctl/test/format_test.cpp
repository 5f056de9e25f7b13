// SPDX-License-Identifier: Apache-2.0
// mailctl output formatting.
#include "format.h"

#include <gtest/gtest.h>

namespace mail::mailctl {
namespace {

TEST(Format, Sizes) {
  const std::pair<uint64_t, const char*> cases[] = {
      {0, "0"},           {1, "1"},           {1023, "1023"},        {1024, "1K"},
      {1536, "1.5K"},     {1048575, "1.0M"},  {1048576, "1M"},       {500ULL << 20, "500M"},
      {1ULL << 30, "1G"}, {(3ULL << 30) / 2, "1.5G"}, {1ULL << 40, "1T"}, {UINT64_MAX, "16.0E"},
  };
  for (auto [n, want] : cases) EXPECT_EQ(format_size(n), want) << n;
  EXPECT_EQ(format_quota(0), "unlimited");
  EXPECT_EQ(format_quota(1ULL << 30), "1G");
}

TEST(Format, Table) {
  EXPECT_EQ(render_table({"DOMAIN", "ACCOUNTS"}, {{"a.test", "1"}, {"longer.example", "12"}}),
            "DOMAIN          ACCOUNTS\n"
            "a.test          1\n"
            "longer.example  12\n");
  EXPECT_EQ(render_table({"A", "B"}, {}), "A  B\n");
  EXPECT_EQ(render_table({"A", "B"}, {{"x\ny", ""}}), "A    B\nx?y\n");
}

}  // namespace
}  // namespace mail::mailctl
