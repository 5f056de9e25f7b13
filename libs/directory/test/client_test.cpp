// SPDX-License-Identifier: Apache-2.0
// The edges' Directory client: TtlCache (expiry with an injected clock, the
// size bound, the disabled cache), auth_cache_key against known digests, and
// GrpcDirectoryClient against an in-process fake Directory server on port 0:
// the status mapping ("no" vs "unavailable"), what is cached and what never
// is, the recipient cache's own ttl and size rule, deadlines and ready().
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "fake_directory.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "mail/directory/client/grpc_directory_client.h"
#include "mail/directory/client/ttl_cache.h"
#include "mail/rpc/channel.h"

namespace mail::directory {
namespace {

using namespace std::chrono_literals;
namespace pb = v1;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  CacheClock fn() {
    return [this] { return now; };
  }
};

// ---- TtlCache -------------------------------------------------------------------

TEST(TtlCache, HitUntilExpiry) {
  FakeClock clock;
  TtlCache<std::string, int> cache(30s, 10, clock.fn());
  EXPECT_FALSE(cache.get("k"));
  cache.put("k", 7);
  clock.now += 29s;
  EXPECT_EQ(cache.get("k"), 7);
  EXPECT_FALSE(cache.get("other"));
  clock.now += 1s;
  EXPECT_FALSE(cache.get("k")) << "expired at exactly ttl";
  EXPECT_EQ(cache.size(), 0u) << "expired entry dropped on lookup";
}

TEST(TtlCache, BoundedSize) {
  FakeClock clock;
  TtlCache<std::string, int> cache(30s, 3, clock.fn());
  cache.put("a", 1);
  cache.put("b", 2);
  clock.now += 31s;  // a and b expire
  cache.put("c", 3);
  cache.put("d", 4);  // full (a, b, c): expired a and b are swept
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.get("c"), 3);
  cache.put("e", 5);
  cache.put("f", 6);  // full of live entries: cleared, then f
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.get("f"), 6);
  cache.put("g", 7);
  cache.put("h", 8);
  cache.put("f", 60);  // full, but replacing an entry never evicts
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.get("f"), 60);
  EXPECT_EQ(cache.get("g"), 7);
  cache.erase("g");
  EXPECT_FALSE(cache.get("g"));
}

TEST(TtlCache, ManyDistinctKeysStayBounded) {
  TtlCache<int64_t, int> cache(1h, 100);
  for (int64_t i = 0; i < 10000; ++i) {
    cache.put(i, 1);
    ASSERT_LE(cache.size(), 100u);
  }
  EXPECT_EQ(cache.get(9999), 1);
}

TEST(TtlCache, ZeroTtlDisables) {
  TtlCache<std::string, int> cache(0ms, 10);
  EXPECT_FALSE(cache.enabled());
  cache.put("k", 1);
  EXPECT_FALSE(cache.get("k"));
  EXPECT_EQ(cache.size(), 0u);
  TtlCache<int, int> negative(-5s, 10);
  negative.put(1, 1);
  EXPECT_FALSE(negative.get(1));
}

// ---- auth_cache_key ---------------------------------------------------------------

TEST(AuthCacheKey, IsHexSha256OfUserNulPassword) {
  // printf 'a\0b' | sha256sum
  EXPECT_EQ(auth_cache_key("a", "b"), "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
  EXPECT_EQ(auth_cache_key("demo@example.test", "demo-password"),
            "0bc68b2ac25fc058ab646740879b0deaca7f5886dcc7ab25f04f75b282f6430d");
  // printf '\0' | sha256sum
  EXPECT_EQ(auth_cache_key("", ""), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_NE(auth_cache_key("ab", ""), auth_cache_key("a", "b")) << "the NUL separates user and password";
  EXPECT_NE(auth_cache_key("a", "b"), auth_cache_key("a", "c"));
  EXPECT_EQ(auth_cache_key("u", std::string(100000, 'p')).size(), 64u);
}

// ---- GrpcDirectoryClient -------------------------------------------------------------

/// demo@example.test / secret is account 1 (address "Demo@Example.TEST.");
/// nobody@example.test / x is "ok" without an account; NoAddr@Example.test /
/// x is account 3 with no address. Recipients: "bad" is malformed, raw@
/// comes back unnormalized, strange@ and unset@ carry statuses no client
/// should trust, quota@ has room for 1000 bytes, nobody@ is unknown, the
/// rest of @example.test exists and other domains are not local.
void fill(mail::test::FakeDirectory& f) {
  using R = mail::test::FakeDirectory::Recipient;
  f.add_account("demo@example.test",
                {"secret", 1, "Demo@Example.TEST.", {"demo@example.test", "Alias@Example.Test", "not an address"}});
  f.add_account("nobody@example.test", {"x", 0, "", {}});
  f.add_account("NoAddr@Example.test", {"x", 3, "", {}});
  f.add_recipient("bad", R{pb::LOCAL_OK, std::nullopt, grpc::StatusCode::INVALID_ARGUMENT});
  f.add_recipient("raw@example.test", R{pb::LOCAL_OK, std::string(), grpc::StatusCode::OK});
  f.add_recipient("strange@example.test", R{static_cast<pb::RecipientStatus>(99), std::nullopt, grpc::StatusCode::OK});
  f.add_recipient("unset@example.test", R{pb::RECIPIENT_STATUS_UNSPECIFIED, std::nullopt, grpc::StatusCode::OK});
  f.add_recipient("nobody@example.test", R{pb::LOCAL_UNKNOWN, std::nullopt, grpc::StatusCode::OK});
  f.set_recipient_rule([](const pb::CheckRecipientRequest& req) -> std::optional<R> {
    const std::string& a = req.address();
    if (a == "quota@example.test")
      return R{req.size() <= 1000 ? pb::LOCAL_OK : req.size() <= 5000 ? pb::LOCAL_OVER_QUOTA : pb::LOCAL_TOO_LARGE,
               std::nullopt, {}};
    if (a.ends_with("@example.test")) return R{pb::LOCAL_OK, std::nullopt, {}};
    return std::nullopt;
  });
}

/// `service` on a free loopback port (written to *port); null on failure.
std::unique_ptr<grpc::Server> serve_on_loopback(grpc::Service* service, int* port) {
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  b.RegisterService(service);
  auto server = b.BuildAndStart();
  return server && *port > 0 ? std::move(server) : nullptr;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fill(fake_);
    server_ = serve_on_loopback(&fake_, &port_);
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now() + 1s); }

  DirectoryClientOptions options() {
    DirectoryClientOptions o;
    o.protocol = "pop3";
    o.deadline = 2000ms;
    o.cache_ttl = 30s;
    o.recipient_cache_ttl = 10s;
    o.cache_entries = 100;
    o.clock = clock_.fn();
    return o;
  }
  std::unique_ptr<GrpcDirectoryClient> client(DirectoryClientOptions o) {
    return std::make_unique<GrpcDirectoryClient>(
        rpc::make_channel("127.0.0.1:" + std::to_string(port_), "client-token-0123456789"), std::move(o));
  }
  std::unique_ptr<GrpcDirectoryClient> client() { return client(options()); }

  mail::test::FakeDirectory fake_;
  FakeClock clock_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

using Status = AuthAnswer::Status;

TEST_F(ClientTest, AuthOkIsCachedForCacheTtl) {
  auto c = client();
  AuthAnswer a = c->authenticate("demo@example.test", "secret", "192.0.2.7");
  EXPECT_EQ(a.status, Status::kOk);
  EXPECT_EQ(a.account_id, 1);
  EXPECT_EQ(a.address, "demo@example.test") << "normalized";
  {
    auto last = fake_.last_auth();
    EXPECT_EQ(last.protocol(), "pop3");
    EXPECT_EQ(last.client_ip(), "192.0.2.7");
    EXPECT_EQ(last.username(), "demo@example.test");
  }
  clock_.now += 29s;
  a = c->authenticate("demo@example.test", "secret", "192.0.2.8");
  EXPECT_EQ(a.status, Status::kOk);
  EXPECT_EQ(a.account_id, 1);
  EXPECT_EQ(fake_.auth_calls.load(), 1) << "answered from the cache";
  // Another password for the same user is not a hit.
  EXPECT_EQ(c->authenticate("demo@example.test", "secret2", "192.0.2.8").status, Status::kDenied);
  EXPECT_EQ(fake_.auth_calls.load(), 2);
  clock_.now += 1s;
  EXPECT_EQ(c->authenticate("demo@example.test", "secret", "192.0.2.8").status, Status::kOk);
  EXPECT_EQ(fake_.auth_calls.load(), 3) << "expired after cache_ttl";
}

TEST_F(ClientTest, PasswordsTravelAsBytes) {
  auto c = client();
  const std::string latin1("gr\xfc\xdf-\xff\x80pw", 9);  // not UTF-8
  EXPECT_EQ(c->authenticate("demo@example.test", latin1, "").status, Status::kDenied) << "a plain wrong password";
  EXPECT_EQ(fake_.last_auth().password(), latin1) << "arrived byte for byte";
}

TEST_F(ClientTest, AccountNoticeForgetsItsLoginsAndSenders) {
  auto c = client();
  ASSERT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);
  ASSERT_EQ(c->authenticate("NoAddr@Example.test", "x", "").status, Status::kOk);  // account 3
  ASSERT_TRUE(c->sender_addresses(1));
  EXPECT_EQ(fake_.auth_calls.load(), 2);
  EXPECT_EQ(fake_.sender_calls.load(), 1);

  c->apply(ChangeNotice{.all = false, .account_id = 1, .address = "demo@example.test"});
  ASSERT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);
  EXPECT_EQ(fake_.auth_calls.load(), 3) << "account 1 asked again";
  ASSERT_EQ(c->authenticate("NoAddr@Example.test", "x", "").status, Status::kOk);
  EXPECT_EQ(fake_.auth_calls.load(), 3) << "account 3 still cached";
  ASSERT_TRUE(c->sender_addresses(1));
  EXPECT_EQ(fake_.sender_calls.load(), 2);
}

TEST_F(ClientTest, AllNoticeForgetsEverything) {
  auto c = client();
  ASSERT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);
  ASSERT_EQ(c->check_recipient("someone@example.test", 0).verdict, RecipientVerdict::kLocalOk);
  c->apply(ChangeNotice{});
  ASSERT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);
  ASSERT_EQ(c->check_recipient("someone@example.test", 0).verdict, RecipientVerdict::kLocalOk);
  EXPECT_EQ(fake_.auth_calls.load(), 2);
  EXPECT_EQ(fake_.rcpt_calls.load(), 2);
}

TEST_F(ClientTest, FailuresAreNeverCached) {
  auto c = client();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c->authenticate("demo@example.test", "wrong", "").status, Status::kDenied);
  EXPECT_EQ(fake_.auth_calls.load(), 3) << "every wrong password reaches the directory's lockout";
  fake_.fail = grpc::StatusCode::UNAVAILABLE;
  for (int i = 0; i < 2; ++i) EXPECT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kUnavailable);
  EXPECT_EQ(fake_.auth_calls.load(), 5);
  fake_.fail = grpc::StatusCode::OK;
  EXPECT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);
  EXPECT_EQ(fake_.auth_calls.load(), 6);
}

TEST_F(ClientTest, AuthStatusMapping) {
  struct Case {
    grpc::StatusCode code;
    Status want;
  };
  const Case cases[] = {
      {grpc::StatusCode::INVALID_ARGUMENT, Status::kDenied},
      {grpc::StatusCode::NOT_FOUND, Status::kDenied},
      // Our own service token refused: a configuration fault, not the user's.
      {grpc::StatusCode::UNAUTHENTICATED, Status::kUnavailable},
      {grpc::StatusCode::PERMISSION_DENIED, Status::kUnavailable},
      {grpc::StatusCode::UNAVAILABLE, Status::kUnavailable},
      {grpc::StatusCode::INTERNAL, Status::kUnavailable},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, Status::kUnavailable},
      {grpc::StatusCode::DEADLINE_EXCEEDED, Status::kUnavailable},
      {grpc::StatusCode::UNKNOWN, Status::kUnavailable},
  };
  auto c = client();
  for (const Case& k : cases) {
    fake_.fail = k.code;
    AuthAnswer a = c->authenticate("demo@example.test", "secret", "");
    EXPECT_EQ(a.status, k.want) << static_cast<int>(k.code);
    EXPECT_EQ(a.account_id, 0);
  }
  EXPECT_EQ(fake_.auth_calls.load(), static_cast<int>(std::size(cases)));
}

TEST_F(ClientTest, AuthReplyShapes) {
  auto c = client();
  EXPECT_EQ(c->authenticate("nobody@example.test", "x", "").status, Status::kDenied) << "ok without an account";
  AuthAnswer a = c->authenticate("NoAddr@Example.test", "x", "");
  EXPECT_EQ(a.status, Status::kOk);
  EXPECT_EQ(a.address, "noaddr@example.test") << "the user name, normalized, when the directory sends none";
}

TEST_F(ClientTest, ZeroCacheTtlAsksEveryTime) {
  auto o = options();
  o.cache_ttl = 0ms;
  auto c = client(o);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);
  EXPECT_EQ(fake_.auth_calls.load(), 3);
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(c->sender_addresses(1));
  EXPECT_EQ(fake_.sender_calls.load(), 2);
}

TEST_F(ClientTest, DeadlineBoundsEveryCall) {
  auto o = options();
  o.deadline = 100ms;
  auto c = client(o);
  fake_.delay = 600ms;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kUnavailable);
  EXPECT_FALSE(c->sender_addresses(1));
  EXPECT_EQ(c->check_recipient("demo@example.test", 0).verdict, RecipientVerdict::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms) << "three calls, each cut at 100 ms";
  fake_.delay = 0ms;
  EXPECT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk) << "the slow failure was not cached";
}

TEST_F(ClientTest, SenderAddressesAreNormalizedAndCached) {
  auto c = client();
  auto got = c->sender_addresses(1);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, (std::vector<std::string>{"demo@example.test", "alias@example.test"})) << "invalid ones dropped";
  clock_.now += 29s;
  EXPECT_TRUE(c->sender_addresses(1));
  EXPECT_EQ(fake_.sender_calls.load(), 1);
  auto none = c->sender_addresses(2);
  ASSERT_TRUE(none) << "no addresses is an answer, not a failure";
  EXPECT_TRUE(none->empty());
  clock_.now += 1s;
  EXPECT_TRUE(c->sender_addresses(1));
  EXPECT_EQ(fake_.sender_calls.load(), 3);
}

TEST_F(ClientTest, SenderAddressesUnavailableIsNullopt) {
  auto c = client();
  fake_.fail = grpc::StatusCode::UNAVAILABLE;
  EXPECT_FALSE(c->sender_addresses(1));
  fake_.fail = grpc::StatusCode::OK;
  EXPECT_TRUE(c->sender_addresses(1));
  EXPECT_EQ(fake_.sender_calls.load(), 2);
}

TEST_F(ClientTest, RecipientVerdicts) {
  struct Case {
    std::string address;
    RecipientVerdict want;
    std::string normalized;
  };
  const Case cases[] = {
      {"demo@example.test", RecipientVerdict::kLocalOk, "demo@example.test"},
      {"nobody@example.test", RecipientVerdict::kLocalUnknown, "nobody@example.test"},
      {"someone@elsewhere.test", RecipientVerdict::kNotLocal, "someone@elsewhere.test"},
      {"raw@example.test", RecipientVerdict::kLocalOk, "raw@example.test"},  // no normalized form sent
      {"bad", RecipientVerdict::kBadAddress, ""},
      {"strange@example.test", RecipientVerdict::kUnavailable, ""},
      {"unset@example.test", RecipientVerdict::kUnavailable, ""},
  };
  auto c = client();
  for (const Case& k : cases) {
    RecipientAnswer a = c->check_recipient(k.address, 0);
    EXPECT_EQ(a.verdict, k.want) << k.address;
    EXPECT_EQ(a.normalized, k.normalized) << k.address;
  }
  fake_.fail = grpc::StatusCode::UNAVAILABLE;
  EXPECT_EQ(c->check_recipient("other@example.test", 0).verdict, RecipientVerdict::kUnavailable);
  EXPECT_EQ(c->check_recipient("demo@example.test", 0).verdict, RecipientVerdict::kLocalOk) << "cached before";
  // Neither failures nor unknown statuses are cached.
  fake_.fail = grpc::StatusCode::OK;
  const int before = fake_.rcpt_calls.load();
  c->check_recipient("bad", 0);
  c->check_recipient("strange@example.test", 0);
  c->check_recipient("other@example.test", 0);
  EXPECT_EQ(fake_.rcpt_calls.load(), before + 3);
}

TEST_F(ClientTest, RecipientCacheDependsOnSize) {
  auto c = client();
  EXPECT_EQ(c->check_recipient("quota@example.test", 500).verdict, RecipientVerdict::kLocalOk);
  EXPECT_EQ(c->check_recipient("quota@example.test", 100).verdict, RecipientVerdict::kLocalOk);
  EXPECT_EQ(fake_.rcpt_calls.load(), 1) << "room for 500 is room for 100";
  EXPECT_EQ(c->check_recipient("quota@example.test", 2000).verdict, RecipientVerdict::kLocalOverQuota);
  EXPECT_EQ(fake_.rcpt_calls.load(), 2) << "room for 500 says nothing about 2000";
  EXPECT_EQ(c->check_recipient("quota@example.test", 3000).verdict, RecipientVerdict::kLocalOverQuota);
  EXPECT_EQ(fake_.rcpt_calls.load(), 2) << "full for 2000 is full for 3000";
  EXPECT_EQ(c->check_recipient("quota@example.test", 900).verdict, RecipientVerdict::kLocalOk);
  EXPECT_EQ(fake_.rcpt_calls.load(), 3) << "full for 2000 says nothing about 900";
  EXPECT_EQ(c->check_recipient("quota@example.test", 9000).verdict, RecipientVerdict::kLocalTooLarge);
  EXPECT_EQ(c->check_recipient("quota@example.test", 9999).verdict, RecipientVerdict::kLocalTooLarge);
  EXPECT_EQ(fake_.rcpt_calls.load(), 4) << "too large for 9000 is too large for 9999";
  EXPECT_EQ(c->check_recipient("nobody@example.test", 5).verdict, RecipientVerdict::kLocalUnknown);
  EXPECT_EQ(c->check_recipient("nobody@example.test", 5000).verdict, RecipientVerdict::kLocalUnknown);
  EXPECT_EQ(fake_.rcpt_calls.load(), 5) << "existence does not depend on the size";
}

TEST_F(ClientTest, RecipientCacheHasItsOwnTtl) {
  auto c = client();
  c->check_recipient("demo@example.test", 0);
  c->sender_addresses(1);
  clock_.now += 9s;
  c->check_recipient("demo@example.test", 0);
  EXPECT_EQ(fake_.rcpt_calls.load(), 1);
  clock_.now += 1s;
  c->check_recipient("demo@example.test", 0);
  c->sender_addresses(1);
  EXPECT_EQ(fake_.rcpt_calls.load(), 2) << "recipient_cache_ttl (10 s) is over";
  EXPECT_EQ(fake_.sender_calls.load(), 1) << "cache_ttl (30 s) is not";
}

TEST_F(ClientTest, ConcurrentCallersShareTheCache) {
  auto c = client();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (c->authenticate("demo@example.test", "secret", "").status == Status::kOk) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(fake_.auth_calls.load(), 4) << "at most one miss per thread before the first answer is cached";
}

/// Polls ready() until it says `want` or `limit` passes.
bool ready_becomes(GrpcDirectoryClient& c, bool want, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (c.ready() == want) return true;
    std::this_thread::sleep_for(20ms);
  }
  return c.ready() == want;
}

TEST_F(ClientTest, ReadyFollowsTheChannel) {
  auto c = client();
  EXPECT_TRUE(ready_becomes(*c, true, 5s));
  EXPECT_EQ(c->authenticate("demo@example.test", "secret", "").status, Status::kOk);

  // Nothing listens on the port of a server that was shut down.
  mail::test::FakeDirectory gone;
  int dead_port = 0;
  auto dead = serve_on_loopback(&gone, &dead_port);
  ASSERT_TRUE(dead);
  dead->Shutdown();
  dead->Wait();
  dead.reset();
  GrpcDirectoryClient down(rpc::make_channel("127.0.0.1:" + std::to_string(dead_port), ""), options());
  EXPECT_TRUE(ready_becomes(down, false, 10s));
  EXPECT_EQ(down.authenticate("demo@example.test", "secret", "").status, Status::kUnavailable);
  EXPECT_EQ(down.check_recipient("demo@example.test", 0).verdict, RecipientVerdict::kUnavailable);
}

}  // namespace
}  // namespace mail::directory
