// SPDX-License-Identifier: Apache-2.0
// The login throttle against a real redis-server of the test's own, started
// on a free loopback port (never the stack's): growing delays, refusal at the
// limits, expiry, the account count that only delays, the owner let in while
// an attacker is blocked, two throttles ("replicas") sharing counts, the
// in-process counts while Redis is stopped, lifting blocks; and the pure
// rules (address grouping, account hashing, delays) and the config parser.
// Windows and blocks are made short in the config so that every test takes a
// second or two at most.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "mail/directory/login_throttle.h"
#include "own_redis.h"
#include "throttle_rules.h"

namespace mail::directory {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

using test::OwnRedis;

class Throttle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new OwnRedis;
    started_ = redis_->start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(started_) << "redis-server could not start"; }

  // Short times; a key prefix of this test's own.
  ThrottleConfig config() const {
    ThrottleConfig c;
    c.window = 10s;
    c.delay_after = 2;
    c.delay_start = 100ms;
    c.delay_max = 400ms;
    c.max_failures_per_address = 6;
    c.max_failures_per_pair = 4;
    c.account_delay_after = 5;
    c.block_time = 1s;
    c.known_time = 10s;
    c.key_prefix = "mail:test:throttle:" + std::to_string(std::random_device{}()) + ":";
    c.redis_host = "127.0.0.1";
    c.redis_port = redis_->port();
    return c;
  }

  // The value of one series ("" when absent).
  std::string metric(const std::string& name, const std::vector<std::string>& labels) const {
    std::string text = registry_.serialize();
    size_t pos = 0;
    while ((pos = text.find(name + "{", pos)) != std::string::npos) {
      size_t end = text.find('\n', pos);
      std::string line = text.substr(pos, end - pos);
      bool all = true;
      for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
      if (all) return line.substr(line.rfind(' ') + 1);
      pos = end;
    }
    return "";
  }

  static OwnRedis* redis_;
  static bool started_;
  metrics::Registry registry_;
};

OwnRedis* Throttle::redis_ = nullptr;
bool Throttle::started_ = false;

TEST(ThrottleRules, AddressesAreGroupedAndAccountsHashed) {
  EXPECT_EQ(throttle_address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(throttle_address_key("::ffff:192.0.2.7"), "192.0.2.7") << "IPv4-mapped counts as IPv4";
  EXPECT_EQ(throttle_address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_address_key("[2001:db8:1:2:ffff:1:2:3]"), "2001:db8:1:2::/64") << "one /64, one count";
  EXPECT_NE(throttle_address_key("2001:db8:1:3::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_address_key("2001:db8:1:2:ffff::1", 48), "2001:db8:1::/48");
  EXPECT_EQ(throttle_address_key("fe80::1%eth0"), "fe80::/64");
  const std::string other = throttle_address_key("not an address *?[");
  EXPECT_EQ(other.rfind("other:", 0), 0u);
  EXPECT_EQ(other.find_first_of("*?[] "), std::string::npos) << "no glob characters in key names";
  EXPECT_EQ(throttle_address_key(std::string(5000, 'x')).size(), other.size()) << "bounded";

  EXPECT_EQ(throttle_account_key("Alice@Example.TEST"), throttle_account_key("alice@example.test"));
  EXPECT_NE(throttle_account_key("alice@example.test"), throttle_account_key("bob@example.test"));
  EXPECT_EQ(throttle_account_key(std::string(20000, 'a')).size(), 32u);
  EXPECT_EQ(throttle_account_key("alice@example.test").find("alice"), std::string::npos) << "no name in clear";
}

TEST(ThrottleRules, DelaysDoubleUpToTheCap) {
  using throttle::growing_delay;
  EXPECT_EQ(growing_delay(0, 2, 2000ms, 15000ms), 0ms);
  EXPECT_EQ(growing_delay(2, 2, 2000ms, 15000ms), 0ms);
  EXPECT_EQ(growing_delay(3, 2, 2000ms, 15000ms), 2000ms);
  EXPECT_EQ(growing_delay(4, 2, 2000ms, 15000ms), 4000ms);
  EXPECT_EQ(growing_delay(5, 2, 2000ms, 15000ms), 8000ms);
  EXPECT_EQ(growing_delay(6, 2, 2000ms, 15000ms), 15000ms);
  EXPECT_EQ(growing_delay(1000000, 2, 2000ms, 15000ms), 15000ms) << "no overflow";
  EXPECT_EQ(growing_delay(9, 2, 0ms, 15000ms), 0ms);
}

TEST(ThrottleConfigTest, DefaultsAndRanges) {
  auto c = load_throttle_config(common::Config::from_map({}));
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.window, 1h);
  EXPECT_EQ(c.delay_start, 2s);
  EXPECT_EQ(c.delay_max, 15s);
  EXPECT_EQ(c.max_failures_per_address, 20);
  EXPECT_EQ(c.block_time, 15min);
  EXPECT_TRUE(c.redis_host.empty());
  c = load_throttle_config(common::Config::from_map({{"auth_throttle.window", "5m"},
                                                    {"auth_throttle.max_failures_per_pair", "3"},
                                                    {"auth_throttle.enabled", "false"},
                                                    {"redis.host", "redis"},
                                                    {"redis.port", "6380"}}));
  EXPECT_EQ(c.window, 5min);
  EXPECT_EQ(c.max_failures_per_pair, 3);
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.redis_host, "redis");
  EXPECT_EQ(c.redis_port, 6380);
  EXPECT_THROW(load_throttle_config(common::Config::from_map({{"auth_throttle.max_failures_per_address", "0"}})),
               common::ConfigError);
  EXPECT_THROW(load_throttle_config(common::Config::from_map({{"auth_throttle.delay_max", "1s"}})),
               common::ConfigError)
      << "below delay_start";
  EXPECT_THROW(load_throttle_config(common::Config::from_map({{"redis.port", "70000"}})), common::ConfigError);
}

TEST_F(Throttle, DelaysGrowThenTheAddressIsRefused) {
  LoginThrottle t(config(), registry_, "smtp");
  const std::string ip = "198.51.100.1";
  std::vector<milliseconds> delays;
  for (int i = 0; i < 6; ++i) {
    Decision d = t.check(ip, "u" + std::to_string(i) + "@x.test");
    ASSERT_FALSE(d.refused) << i;
    delays.push_back(d.delay);
    t.failed(ip, "u" + std::to_string(i) + "@x.test");  // other accounts: only the address counts up
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{0ms, 0ms, 0ms, 100ms, 200ms, 400ms}));
  EXPECT_TRUE(t.shared());
  Decision d = t.check(ip, "anyone@x.test");
  EXPECT_TRUE(d.refused) << "six failures: the address is blocked";
  EXPECT_GT(d.retry_after, 0ms);
  EXPECT_LE(d.retry_after, 1s);
  EXPECT_FALSE(t.check("198.51.100.2", "anyone@x.test").refused) << "another address is not";
  EXPECT_EQ(metric("mail_login_throttle_total", {"protocol=\"smtp\"", "decision=\"refused\""}), "1");
  EXPECT_EQ(metric("mail_login_throttle_total", {"protocol=\"smtp\"", "decision=\"delayed\""}), "3");
  EXPECT_EQ(metric("mail_login_throttle_fallback", {"protocol=\"smtp\""}), "0");

  std::this_thread::sleep_for(d.retry_after + 100ms);
  d = t.check(ip, "anyone@x.test");
  EXPECT_FALSE(d.refused) << "the block ends after block_time";
  EXPECT_EQ(d.delay, 400ms) << "but the count is still there, within the window";
  t.failed(ip, "anyone@x.test");
  EXPECT_TRUE(t.check(ip, "anyone@x.test").refused) << "so one more failure blocks again";
}

TEST_F(Throttle, CountsEndAfterTheWindowWithoutFailures) {
  ThrottleConfig c = config();
  c.window = 400ms;
  LoginThrottle t(c, registry_, "pop3");
  for (int i = 0; i < 4; ++i) t.failed("198.51.100.3", "w@x.test");
  EXPECT_TRUE(t.check("198.51.100.3", "w@x.test").refused) << "the pair's limit";
  EXPECT_EQ(t.check("198.51.100.3", "other@x.test").delay, 200ms);
  std::this_thread::sleep_for(250ms);
  t.failed("198.51.100.3", "v@x.test");  // a failure keeps the address's count alive
  std::this_thread::sleep_for(250ms);
  ThrottleState s = t.state("198.51.100.3", "w@x.test");
  EXPECT_EQ(s.address_failures, 5) << "the window slides with each failure";
  EXPECT_EQ(s.pair_failures, 0) << "the pair had none for longer than the window";
  std::this_thread::sleep_for(450ms);
  s = t.state("198.51.100.3", "v@x.test");
  EXPECT_EQ(s.address_failures, 0);
  EXPECT_EQ(s.account_failures, 0);
  EXPECT_EQ(t.check("198.51.100.3", "other@x.test").delay, 0ms);
}

TEST_F(Throttle, TheAccountCountDelaysButNeverRefuses) {
  LoginThrottle t(config(), registry_, "smtp");
  // A distributed guess: 40 addresses, 3 failures each, all on one account
  // (below the pair's limit of 4 and the address's of 6).
  for (int a = 0; a < 40; ++a)
    for (int i = 0; i < 3; ++i) t.failed("203.0.113." + std::to_string(a), "victim@x.test");
  EXPECT_EQ(t.state("", "victim@x.test").account_failures, 120);
  Decision d = t.check("192.0.2.200", "victim@x.test");
  EXPECT_FALSE(d.refused) << "the owner from a new address is never refused for others' failures";
  EXPECT_EQ(d.delay, 400ms) << "only delayed";
  EXPECT_EQ(t.check("192.0.2.200", "other@x.test").delay, 0ms) << "other accounts are not";
  t.succeeded("192.0.2.200", "victim@x.test");
  d = t.check("192.0.2.200", "victim@x.test");
  EXPECT_FALSE(d.refused);
  EXPECT_EQ(d.delay, 0ms) << "a known address is not delayed for the account's count";
}

TEST_F(Throttle, TheOwnerGetsInWhileAnAttackerIsBlocked) {
  LoginThrottle t(config(), registry_, "imap");
  const std::string nat = "198.51.100.9";  // the owner's office, shared with a guesser
  t.succeeded(nat, "owner@x.test");        // the owner logged in from there before
  for (int i = 0; i < 6; ++i) t.failed(nat, "guess" + std::to_string(i) + "@x.test");
  for (int i = 0; i < 4; ++i) t.failed("192.0.2.66", "owner@x.test");  // and someone elsewhere guesses the owner's
  EXPECT_TRUE(t.check(nat, "newcomer@x.test").refused) << "the guessing address is blocked";
  EXPECT_TRUE(t.check("192.0.2.66", "owner@x.test").refused) << "the guesser's pair is blocked";
  Decision d = t.check(nat, "owner@x.test");
  EXPECT_FALSE(d.refused) << "a known pair is not refused for its address's failures";
  EXPECT_EQ(d.delay, 0ms);
  d = t.check("192.0.2.77", "owner@x.test");
  EXPECT_FALSE(d.refused) << "nor is the owner from another address";
  // The owner's own mistakes still count, on the pair.
  for (int i = 0; i < 4; ++i) t.failed(nat, "owner@x.test");
  EXPECT_TRUE(t.check(nat, "owner@x.test").refused);
}

TEST_F(Throttle, ASuccessClearsThePairNotTheAddress) {
  LoginThrottle t(config(), registry_, "smtp");
  for (int i = 0; i < 3; ++i) t.failed("198.51.100.4", "me@x.test");
  t.failed("198.51.100.4", "them@x.test");
  t.succeeded("198.51.100.4", "me@x.test");
  ThrottleState s = t.state("198.51.100.4", "me@x.test");
  EXPECT_EQ(s.pair_failures, 0);
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.address_failures, 4) << "one valid account of one's own does not reset the address";
  EXPECT_EQ(s.account_failures, 3);
  EXPECT_EQ(t.check("198.51.100.4", "them@x.test").delay, 200ms);
}

TEST_F(Throttle, TwoReplicasShareTheirCounts) {
  const ThrottleConfig c = config();
  metrics::Registry other_registry;
  LoginThrottle a(c, registry_, "smtp");
  LoginThrottle b(c, other_registry, "pop3");
  for (int i = 0; i < 3; ++i) {
    a.failed("198.51.100.5", "x" + std::to_string(i) + "@x.test");
    b.failed("198.51.100.5", "y" + std::to_string(i) + "@x.test");
  }
  EXPECT_TRUE(a.check("198.51.100.5", "z@x.test").refused) << "3 + 3 failures reach the limit of 6";
  EXPECT_TRUE(b.check("198.51.100.5", "z@x.test").refused);
  EXPECT_EQ(b.state("198.51.100.5", "").address_failures, 6);
}

TEST_F(Throttle, BlocksAreLiftedByAddressOrAccount) {
  const ThrottleConfig c = config();  // one key_prefix for both
  LoginThrottle t(c, registry_, "smtp");
  LoginThrottle admin(c, registry_, "admin");
  for (int i = 0; i < 6; ++i) t.failed("198.51.100.6", "a@x.test");
  t.succeeded("198.51.100.7", "a@x.test");
  for (int i = 0; i < 4; ++i) t.failed("198.51.100.7", "a@x.test");
  ASSERT_TRUE(t.check("198.51.100.6", "b@x.test").refused);
  ASSERT_TRUE(t.check("198.51.100.7", "a@x.test").refused);

  EXPECT_EQ(admin.clear_address("198.51.100.6"), 4) << "address count and block, pair count and block";
  EXPECT_FALSE(t.check("198.51.100.6", "b@x.test").refused);
  EXPECT_EQ(t.check("198.51.100.6", "b@x.test").delay, 0ms);
  EXPECT_TRUE(t.check("198.51.100.7", "a@x.test").refused) << "another address is untouched";

  EXPECT_EQ(admin.clear_account("A@X.test"), 3) << "account count, the pair's count and block";
  Decision d = t.check("198.51.100.7", "a@x.test");
  EXPECT_FALSE(d.refused);
  EXPECT_EQ(d.delay, 0ms);
  EXPECT_TRUE(t.state("198.51.100.7", "a@x.test").known) << "a known pair stays known";
  EXPECT_EQ(admin.clear_account("a@x.test"), 0);
}

TEST_F(Throttle, DisabledNeverDelaysNorRefuses) {
  ThrottleConfig c = config();
  c.enabled = false;
  LoginThrottle t(c, registry_, "smtp");
  for (int i = 0; i < 20; ++i) t.failed("198.51.100.8", "a@x.test");
  Decision d = t.check("198.51.100.8", "a@x.test");
  EXPECT_FALSE(d.refused);
  EXPECT_EQ(d.delay, 0ms);
}

TEST_F(Throttle, EachProcessCountsOnItsOwnWhileRedisIsDown) {
  OwnRedis own;
  ASSERT_TRUE(own.start());
  ThrottleConfig c = config();
  c.redis_port = own.port();
  LoginThrottle t(c, registry_, "smtp");
  t.failed("198.51.100.10", "a@x.test");
  t.failed("198.51.100.10", "b@x.test");
  ASSERT_TRUE(t.shared());
  own.stop();

  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) t.failed("198.51.100.10", "c" + std::to_string(i) + "@x.test");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "an unreachable Redis costs one timeout per retry";
  EXPECT_FALSE(t.shared());
  EXPECT_EQ(metric("mail_login_throttle_fallback", {"protocol=\"smtp\""}), "1");
  EXPECT_NE(metric("mail_login_throttle_redis_errors_total", {"protocol=\"smtp\""}), "0");
  Decision d = t.check("198.51.100.10", "d@x.test");
  EXPECT_TRUE(d.refused) << "the same rules on this process's own counts";
  EXPECT_FALSE(t.check("198.51.100.11", "d@x.test").refused);

  ASSERT_TRUE(own.start());  // an empty Redis: what it held is gone
  // Retries back off (200 ms, doubling): poll until one reaches Redis.
  for (int i = 0; i < 60 && !t.shared(); ++i) {
    std::this_thread::sleep_for(100ms);
    d = t.check("198.51.100.10", "d@x.test");
  }
  EXPECT_TRUE(t.shared()) << "back on the shared counts";
  EXPECT_FALSE(d.refused) << "and the in-process counts are dropped";
  EXPECT_EQ(metric("mail_login_throttle_fallback", {"protocol=\"smtp\""}), "0");
}

TEST(ThrottleLocal, WithoutRedisTheCountsAreBoundedAndExpire) {
  metrics::Registry registry;
  auto now = std::chrono::steady_clock::now();
  ThrottleConfig c;
  c.fallback_max_entries = 16;
  c.window = 60s;
  c.delay_after = 0;
  c.delay_start = 1s;
  c.delay_max = 1s;
  c.block_time = 30s;
  c.max_failures_per_address = 3;
  LoginThrottle t(c, registry, "pop3", [&] { return now; });
  EXPECT_FALSE(t.shared()) << "no redis.host";
  for (int i = 0; i < 3; ++i) t.failed("192.0.2.1", "a@x.test");
  EXPECT_TRUE(t.check("192.0.2.1", "a@x.test").refused);
  now += 31s;
  Decision d = t.check("192.0.2.1", "a@x.test");
  EXPECT_FALSE(d.refused) << "block_time on the injected clock";
  EXPECT_EQ(d.delay, 1s);
  now += 61s;
  EXPECT_EQ(t.check("192.0.2.1", "a@x.test").delay, 0s) << "window on the injected clock";

  for (int i = 0; i < 3; ++i) t.failed("192.0.2.2", "a@x.test");
  for (int i = 0; i < 100; ++i) t.failed("10.0.0." + std::to_string(i), "spray" + std::to_string(i) + "@x.test");
  EXPECT_FALSE(t.check("192.0.2.2", "a@x.test").refused) << "16 entries: the oldest were evicted";
  EXPECT_EQ(t.state("10.0.0.99", "spray99@x.test").address_failures, 1) << "the newest are kept";
  EXPECT_EQ(t.clear_address("10.0.0.99"), 2) << "clearing works on the in-process counts too";
}

TEST(ThrottleLocal, AnUnreachableRedisFallsBackAtOnce) {
  metrics::Registry registry;
  ThrottleConfig c;
  c.redis_host = "127.0.0.1";
  c.redis_port = 1;  // nothing listens there
  c.max_failures_per_address = 2;
  LoginThrottle t(c, registry, "smtp");
  t.failed("192.0.2.3", "a@x.test");
  t.failed("192.0.2.3", "a@x.test");
  EXPECT_TRUE(t.check("192.0.2.3", "a@x.test").refused);
  EXPECT_FALSE(t.shared());
  EXPECT_EQ(t.clear_address("192.0.2.3"), -1) << "Redis could not be cleared";
  EXPECT_FALSE(t.check("192.0.2.3", "a@x.test").refused) << "the in-process counts were";
}

}  // namespace
}  // namespace mail::directory
