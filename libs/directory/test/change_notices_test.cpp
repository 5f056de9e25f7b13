// SPDX-License-Identifier: Apache-2.0
// Change notices through a real Redis (MAIL_TEST_REDIS=host:port, started by
// scripts/test): what the publisher sends, the subscriber hands over; a
// subscriber forgets everything when it (re)subscribes; payload parsing.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "mail/directory/client/change_notices.h"
#include "own_redis.h"

namespace mail::directory {
namespace {

using namespace std::chrono_literals;

RedisEndpoint test_redis() {
  RedisEndpoint e;
  const char* env = std::getenv("MAIL_TEST_REDIS");
  std::string v = env && *env ? env : "127.0.0.1:26380";
  auto colon = v.rfind(':');
  e.host = v.substr(0, colon);
  e.port = std::stoi(v.substr(colon + 1));
  // A channel of this test's own, so parallel runs do not see each other.
  e.channel = "mail:test:changes:" + std::to_string(std::random_device{}());
  return e;
}

class Inbox {
 public:
  void push(const ChangeNotice& n) {
    std::lock_guard lock(mu_);
    got_.push_back(n);
    cv_.notify_all();
  }
  std::optional<ChangeNotice> pop(std::chrono::milliseconds within = 5s) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, within, [&] { return !got_.empty(); })) return std::nullopt;
    auto n = got_.front();
    got_.pop_front();
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ChangeNotice> got_;
};

TEST(ChangeNotice, ParseAndFormat) {
  auto n = parse_change_notice("account 42 a@b.test");
  EXPECT_FALSE(n.all);
  EXPECT_EQ(n.account_id, 42);
  EXPECT_EQ(n.address, "a@b.test");
  EXPECT_EQ(format_change_notice(n), "account 42 a@b.test");
  EXPECT_EQ(parse_change_notice("account 7").account_id, 7);
  EXPECT_EQ(format_change_notice(ChangeNotice{}), "all");
  for (const char* bad : {"all", "", "account", "account x", "account -3 a@b", "account 5x", "accounts 5", "junk"})
    EXPECT_TRUE(parse_change_notice(bad).all) << bad;
}

TEST(ChangeNotices, PublishedNoticesReachTheSubscriber) {
  const RedisEndpoint e = test_redis();
  Inbox inbox;
  ChangeSubscriber sub(e, [&](const ChangeNotice& n) { inbox.push(n); });
  sub.start();
  auto first = inbox.pop();
  ASSERT_TRUE(first) << "no subscription to Redis at " << e.host << ":" << e.port;
  EXPECT_TRUE(first->all) << "subscribing forgets everything first";
  EXPECT_TRUE(sub.subscribed());

  ChangePublisher pub(e);
  ASSERT_TRUE(pub.publish(ChangeNotice{.all = false, .account_id = 9, .address = "x@y.test"}));
  auto got = inbox.pop();
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->all);
  EXPECT_EQ(got->account_id, 9);
  EXPECT_EQ(got->address, "x@y.test");
  ASSERT_TRUE(pub.publish(ChangeNotice{}));
  got = inbox.pop();
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->all);

  const auto t0 = std::chrono::steady_clock::now();
  sub.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "stop() wakes the blocked reader";
  EXPECT_FALSE(sub.subscribed());
}

// A Redis of the test's own, that can be stopped and started again.
class OwnRedis : public test::OwnRedis {
 public:
  RedisEndpoint endpoint() const {
    RedisEndpoint e;
    e.host = "127.0.0.1";
    e.port = port();
    return e;
  }
};

TEST(ChangeNotices, SubscriberComesBackAfterRedisRestartsAndForgetsEverything) {
  OwnRedis redis;
  ASSERT_TRUE(redis.start()) << "redis-server could not start";
  Inbox inbox;
  ChangeSubscriber sub(redis.endpoint(), [&](const ChangeNotice& n) { inbox.push(n); }, 100ms);
  sub.start();
  auto first = inbox.pop();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->all);

  redis.stop();  // notices published now are lost: the resubscribe must forget everything
  ASSERT_TRUE(redis.start());
  auto again = inbox.pop(10s);
  ASSERT_TRUE(again) << "no resubscription after Redis came back";
  EXPECT_TRUE(again->all);
  ChangePublisher pub(redis.endpoint());
  ASSERT_TRUE(pub.publish(ChangeNotice{.all = false, .account_id = 5, .address = "r@y.test"}));
  auto got = inbox.pop();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->account_id, 5);
  sub.stop();
}

TEST(ChangeNotices, UnreachableRedisIsReportedNotThrown) {
  RedisEndpoint e = test_redis();
  e.port = 1;  // nothing listens there
  e.timeout = 300ms;
  ChangePublisher pub(e);
  EXPECT_FALSE(pub.publish(ChangeNotice{}));
  Inbox inbox;
  ChangeSubscriber sub(e, [&](const ChangeNotice& n) { inbox.push(n); }, 100ms);
  sub.start();
  EXPECT_FALSE(inbox.pop(500ms));
  EXPECT_FALSE(sub.subscribed());
  sub.stop();
  EXPECT_FALSE(ChangePublisher(RedisEndpoint{}).publish(ChangeNotice{})) << "off without a host";
}

}  // namespace
}  // namespace mail::directory
