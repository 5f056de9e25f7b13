// SPDX-License-Identifier: Apache-2.0
// UidMap against a plain vector of the same UIDs, through random appends
// and expunges, and the edge cases of each lookup.
#include "mail/store/uid_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace mail::store {
namespace {

void expect_same(const UidMap& m, const std::vector<int64_t>& v) {
  ASSERT_EQ(m.size(), v.size());
  EXPECT_EQ(m.to_vector(), v);
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(m[i], v[i]) << i;
    ASSERT_EQ(m.find(v[i]), i);
  }
  // Lookups of UIDs between, below and above those present.
  const int64_t top = v.empty() ? 3 : v.back() + 3;
  for (int64_t u = 0; u <= top; ++u) {
    const auto lb = static_cast<size_t>(std::lower_bound(v.begin(), v.end(), u) - v.begin());
    ASSERT_EQ(m.lower_bound(u), lb) << u;
    ASSERT_EQ(m.contains(u), std::binary_search(v.begin(), v.end(), u)) << u;
  }
}

TEST(UidMap, ConsecutiveUidsAreOneRun) {
  UidMap m;
  for (int64_t u = 1; u <= 1000; ++u) ASSERT_TRUE(m.push_back(u));
  EXPECT_EQ(m.runs(), 1u);
  EXPECT_EQ(m.size(), 1000u);
  EXPECT_EQ(m[999], 1000);
  EXPECT_EQ(m.back(), 1000);
}

TEST(UidMap, RefusesUidsNotAboveTheLast) {
  UidMap m{5, 7};
  EXPECT_FALSE(m.push_back(7));
  EXPECT_FALSE(m.push_back(3));
  EXPECT_FALSE(m.push_back(0));
  EXPECT_FALSE(m.push_back(int64_t(UINT32_MAX) + 1));
  EXPECT_TRUE(m.push_back(int64_t(UINT32_MAX)));
  expect_same(m, {5, 7, int64_t(UINT32_MAX)});
}

TEST(UidMap, EraseSplitsAndShiftsPositions) {
  UidMap m{1, 2, 3, 4, 5, 10, 11, 12};
  m.erase_positions({0, 2, 4, 5});  // UIDs 1, 3, 5, 10
  expect_same(m, {2, 4, 11, 12});
  EXPECT_EQ(m.runs(), 3u);
  m.erase_positions({0, 0, 1});  // a repeated position counts once
  expect_same(m, {11, 12});
  m.erase_positions({0, 1});
  expect_same(m, {});
  EXPECT_TRUE(m.push_back(13));
  expect_same(m, {13});
}

TEST(UidMap, MatchesAVectorThroughRandomChanges) {
  std::mt19937 rng(7);
  UidMap m;
  std::vector<int64_t> v;
  int64_t next = 1;
  for (int round = 0; round < 300; ++round) {
    const int appends = static_cast<int>(rng() % 8);
    for (int i = 0; i < appends; ++i) {
      next += 1 + static_cast<int64_t>(rng() % 3 == 0 ? rng() % 5 : 0);
      ASSERT_TRUE(m.push_back(next));
      v.push_back(next);
    }
    std::vector<size_t> gone;
    for (size_t i = 0; i < v.size(); ++i)
      if (rng() % 11 == 0) gone.push_back(i);
    m.erase_positions(gone);
    for (auto it = gone.rbegin(); it != gone.rend(); ++it) v.erase(v.begin() + static_cast<std::ptrdiff_t>(*it));
    expect_same(m, v);
  }
}

}  // namespace
}  // namespace mail::store
