// SPDX-License-Identifier: Apache-2.0
// AuthCache: expiry with an injected clock, the size bound, disabled cache.
#include <gtest/gtest.h>

#include "auth_cache.h"

using namespace mail::pop3d;
using namespace std::chrono_literals;

namespace {
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  AuthCache::Clock fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST(AuthCache, HitUntilExpiry) {
  FakeClock clock;
  AuthCache cache(30s, 10, clock.fn());
  EXPECT_FALSE(cache.get("k"));
  cache.put("k", {7, "u@example.test"});
  clock.now += 29s;
  auto hit = cache.get("k");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->account_id, 7);
  EXPECT_EQ(hit->address, "u@example.test");
  clock.now += 1s;
  EXPECT_FALSE(cache.get("k")) << "expired at exactly ttl";
  EXPECT_EQ(cache.size(), 0u) << "expired entry dropped on lookup";
}

TEST(AuthCache, BoundedSize) {
  FakeClock clock;
  AuthCache cache(30s, 3, clock.fn());
  cache.put("a", {1, "a"});
  cache.put("b", {2, "b"});
  clock.now += 31s;  // a and b expire
  cache.put("c", {3, "c"});
  cache.put("d", {4, "d"});  // full (a, b, c): expired a and b are dropped
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.get("c"));
  cache.put("e", {5, "e"});
  cache.put("f", {6, "f"});  // full of live entries: cleared, then f
  EXPECT_LE(cache.size(), 3u);
  EXPECT_TRUE(cache.get("f"));
  cache.put("f", {60, "f"});  // replacing an entry never evicts
  EXPECT_EQ(cache.get("f")->account_id, 60);
}

TEST(AuthCache, ZeroTtlDisables) {
  AuthCache cache(0ms, 10);
  cache.put("k", {1, "x"});
  EXPECT_FALSE(cache.get("k"));
  EXPECT_EQ(cache.size(), 0u);
}
