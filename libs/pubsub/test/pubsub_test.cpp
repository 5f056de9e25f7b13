// SPDX-License-Identifier: Apache-2.0
// Publisher and Subscriber through a real redis-server of the test's own:
// payloads arrive in order, on_subscribed comes first and again after Redis
// restarts, a publish with Redis down is false (not an exception), and
// stop() is prompt.
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "mail/pubsub/pubsub.h"
#include "own_redis.h"

using namespace mail;
using namespace std::chrono_literals;

namespace {

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 300; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST(PubSub, PayloadsArriveAndResubscribeIsAnnounced) {
  test::OwnRedis redis;
  if (!redis.start()) GTEST_SKIP() << "redis-server is not installed";
  pubsub::Endpoint e;
  e.host = "127.0.0.1";
  e.port = redis.port();
  e.channel = "test:pubsub";
  std::mutex mu;
  std::vector<std::string> got;
  int subscribed = 0;
  pubsub::Subscriber sub(
      e,
      [&](std::string_view p) {
        std::lock_guard lock(mu);
        got.emplace_back(p);
      },
      [&] {
        std::lock_guard lock(mu);
        ++subscribed;
      },
      100ms);
  sub.start();
  ASSERT_TRUE(eventually([&] { return sub.subscribed(); }));
  pubsub::Publisher pub(e);
  EXPECT_TRUE(pub.publish("one"));
  EXPECT_TRUE(pub.publish("two"));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return got.size() == 2;
  }));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(subscribed, 1);
  }
  redis.stop();
  ASSERT_TRUE(eventually([&] { return !sub.subscribed(); }));
  EXPECT_FALSE(pub.publish("lost")) << "Redis down: false, not a throw";
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(eventually([&] { return sub.subscribed(); }));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(subscribed, 2) << "a resubscription is announced: the subscriber may have missed notices";
  }
  EXPECT_TRUE(pub.publish("three"));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return got.size() == 3 && got.back() == "three";
  }));
  const auto t0 = std::chrono::steady_clock::now();
  sub.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "stop is prompt";
  redis.stop();
}

TEST(PubSub, OffWithoutAHost) {
  pubsub::Publisher pub(pubsub::Endpoint{});
  EXPECT_FALSE(pub.enabled());
  EXPECT_FALSE(pub.publish("x"));
  pubsub::Subscriber sub(pubsub::Endpoint{}, [](std::string_view) {}, {});
  sub.start();  // no thread
  EXPECT_FALSE(sub.subscribed());
}
