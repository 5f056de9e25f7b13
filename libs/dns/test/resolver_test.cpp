// SPDX-License-Identifier: Apache-2.0
// resolver_test.cpp: mail::dns::Resolver against a real dnsmasq on
// 127.0.0.1 (dnsmasq.h): MX records and their preferences, the MX plan on
// top of them, A and AAAA, NXDOMAIN, NODATA (and the implicit MX), null MX,
// REFUSED, SERVFAIL, a server that never answers (tempfail within the
// deadline), a closed port, falling over to the second server, an answer
// too large for UDP (TCP, and the record bound), 200 concurrent lookups,
// results on the caller's strand, and destruction idle and busy.
// Skips when dnsmasq is not installed (scripts/packages.txt lists it).
#include "mail/dns/resolver.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "dnsmasq.h"
#include "mail/common/config.h"
#include "mail/dns/mx_plan.h"

namespace mail::dns::test {
namespace {

namespace asio = boost::asio;
using Address = asio::ip::address;

// What c-ares 1.18 reports when every server answered SERVFAIL or REFUSED
// (it retries elsewhere and then does not say which).
const std::string kNoUsableAnswer = "no usable answer from any server (SERVFAIL, REFUSED or unreachable)";

// An io_context run by two threads for the test's lifetime.
using IoThreads = net::test::IoThread;

// Runs `make()` on `ex` and waits up to `wait` for its result.
template <class T, class F>
std::optional<T> run(net::Executor ex, F make, std::chrono::milliseconds wait = 20s) {
  auto done = std::make_shared<std::promise<T>>();
  auto result = done->get_future();
  asio::co_spawn(ex, make(), [done](std::exception_ptr e, T value) {
    if (e) return done->set_exception(e);
    done->set_value(std::move(value));
  });
  if (result.wait_for(wait) != std::future_status::ready) return std::nullopt;
  return result.get();
}

std::vector<std::string> dnsmasq_records() {
  std::vector<std::string> r = {
      "--local=/test/",  // authoritative for .test: NXDOMAIN and NODATA, never forwarded
      "--mx-host=example.test,mx1.example.test,10",
      "--mx-host=example.test,MX2.Example.Test,20",
      "--mx-host=example.test,mx0.example.test,5",
      "--host-record=mx1.example.test,192.0.2.1,2001:db8::1",
      "--host-record=mx0.example.test,192.0.2.5",
      "--mx-host=equal.test,a.equal.test,10",
      "--mx-host=equal.test,b.equal.test,10",
      "--mx-host=equal.test,c.equal.test,10",
      "--mx-host=nullmx.test,.,0",
      "--host-record=nodata.test,192.0.2.9",
      "--host-record=v6only.test,2001:db8::6",
  };
  // 60 MX records: far more than 512 bytes, so the answer comes over TCP,
  // and more than kMaxMxRecords.
  for (int i = 0; i < 60; ++i)
    r.push_back("--mx-host=big.test,mail-exchanger-number-" + std::to_string(i) + ".big.test," + std::to_string(i));
  return r;
}

class ResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string binary = find_dnsmasq();
    if (binary.empty()) return;
    // A port picked free can be taken before dnsmasq binds it: try again.
    for (int attempt = 0; attempt < 3 && !server_; ++attempt) {
      auto d = std::make_unique<Dnsmasq>(binary, dnsmasq_records());
      if (wait_until_answering(*d)) server_ = std::move(d);
      else last_log_ = d->log();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (find_dnsmasq().empty()) GTEST_SKIP() << "dnsmasq is not installed (apt-get install dnsmasq-base)";
    ASSERT_TRUE(server_) << "dnsmasq did not start; its log:\n" << last_log_;
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "dnsmasq log:\n" << server_->log();
  }

  static bool wait_until_answering(Dnsmasq& d) {
    IoThreads t;
    Resolver r(t.io.get_executor(), {{d.address()}, 200ms, 1});
    for (int i = 0; i < 50 && d.running(); ++i) {
      auto a = run<Answer<MxRecord>>(t.io.get_executor(), [&] { return r.mx("example.test"); });
      if (a && a->status == Status::ok) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  ResolverOptions options(std::chrono::milliseconds timeout = 2000ms, int tries = 2) const {
    return {{server_->address()}, timeout, tries};
  }

  Answer<MxRecord> mx(Resolver& r, const std::string& domain) {
    auto a = run<Answer<MxRecord>>(io_.io.get_executor(), [&] { return r.mx(domain); });
    if (!a) {
      ADD_FAILURE() << "mx(" << domain << ") hung";
      return {};
    }
    return *a;
  }
  Answer<Address> addresses(Resolver& r, const std::string& host) {
    auto a = run<Answer<Address>>(io_.io.get_executor(), [&] { return r.addresses(host); });
    if (!a) {
      ADD_FAILURE() << "addresses(" << host << ") hung";
      return {};
    }
    return *a;
  }

  static std::vector<MxRecord> sorted(std::vector<MxRecord> v) {
    std::sort(v.begin(), v.end(), [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
    return v;
  }
  static std::vector<std::string> strings(const std::vector<Address>& v) {
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(a.to_string());
    return out;
  }

  static inline std::unique_ptr<Dnsmasq> server_;
  static inline std::string last_log_;
  IoThreads io_;
};

TEST_F(ResolverTest, MxRecordsWithPreferences) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "Example.Test.");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  EXPECT_TRUE(a.error.empty()) << a.error;
  EXPECT_EQ(sorted(a.records), (std::vector<MxRecord>{{5, "mx0.example.test"}, {10, "mx1.example.test"},
                                                       {20, "mx2.example.test"}}));
  std::mt19937_64 rng(7);
  Plan p = plan_mx("example.test", a, rng);
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  ASSERT_EQ(p.targets.size(), 3u);
  EXPECT_EQ(p.targets[0].host, "mx0.example.test");
  EXPECT_EQ(p.targets[1].host, "mx1.example.test");
  EXPECT_EQ(p.targets[2].host, "mx2.example.test");
}

TEST_F(ResolverTest, EqualPreferencesComeBackAsASet) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "equal.test");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  std::set<std::string> hosts;
  for (const auto& m : a.records) {
    EXPECT_EQ(m.preference, 10);
    hosts.insert(m.host);
  }
  EXPECT_EQ(hosts, (std::set<std::string>{"a.equal.test", "b.equal.test", "c.equal.test"}));
  std::set<std::string> firsts;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    firsts.insert(plan_mx("equal.test", a, rng).targets.at(0).host);
  }
  EXPECT_EQ(firsts.size(), 3u);
}

TEST_F(ResolverTest, AddressesIPv4First) {
  Resolver r(io_.io.get_executor(), options());
  auto a = addresses(r, "mx1.example.test");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  EXPECT_EQ(strings(a.records), (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  EXPECT_TRUE(a.error.empty()) << a.error;

  auto v4 = addresses(r, "mx0.example.test");  // AAAA is NODATA: still ok
  ASSERT_EQ(v4.status, Status::ok) << v4.error;
  EXPECT_EQ(strings(v4.records), (std::vector<std::string>{"192.0.2.5"}));

  auto v6 = addresses(r, "v6only.test");
  ASSERT_EQ(v6.status, Status::ok) << v6.error;
  EXPECT_EQ(strings(v6.records), (std::vector<std::string>{"2001:db8::6"}));
}

TEST_F(ResolverTest, Nxdomain) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "nx.test");
  EXPECT_EQ(a.status, Status::nxdomain);
  EXPECT_EQ(a.error, "nx.test: no such domain (NXDOMAIN)");
  EXPECT_TRUE(a.records.empty());
  std::mt19937_64 rng(1);
  EXPECT_EQ(plan_mx("nx.test", a, rng).kind, Plan::Kind::nxdomain);

  auto h = addresses(r, "mx2.example.test");  // an MX host without addresses
  EXPECT_EQ(h.status, Status::nxdomain) << h.error;
}

TEST_F(ResolverTest, NodataIsTheImplicitMx) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "nodata.test");
  EXPECT_EQ(a.status, Status::nodata) << a.error;
  EXPECT_EQ(a.error, "nodata.test MX: no MX records");
  std::mt19937_64 rng(1);
  Plan p = plan_mx("nodata.test", a, rng);
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  ASSERT_EQ(p.targets.size(), 1u);
  EXPECT_EQ(p.targets[0], (Target{"nodata.test", 0, true}));
  auto h = addresses(r, p.targets[0].host);
  ASSERT_EQ(h.status, Status::ok) << h.error;
  EXPECT_EQ(strings(h.records), (std::vector<std::string>{"192.0.2.9"}));

  auto none = addresses(r, "example.test");  // has MX, no A or AAAA
  EXPECT_EQ(none.status, Status::nodata) << none.error;
  EXPECT_EQ(none.error, "example.test: no A or AAAA records");
}

TEST_F(ResolverTest, NullMx) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "nullmx.test");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  EXPECT_EQ(a.records, (std::vector<MxRecord>{{0, "."}}));
  std::mt19937_64 rng(1);
  Plan p = plan_mx("nullmx.test", a, rng);
  EXPECT_EQ(p.kind, Plan::Kind::null_mx);
  EXPECT_TRUE(p.targets.empty());
}

TEST_F(ResolverTest, RefusedIsTempfail) {
  // Outside --local=/test/ and without upstream servers, dnsmasq refuses.
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "elsewhere.example");
  EXPECT_EQ(a.status, Status::tempfail);
  EXPECT_EQ(a.error, "elsewhere.example MX: " + kNoUsableAnswer);
  std::mt19937_64 rng(1);
  EXPECT_EQ(plan_mx("elsewhere.example", a, rng).kind, Plan::Kind::tempfail);
}

TEST_F(ResolverTest, ServfailIsTempfail) {
  ServfailServer servfail;
  Resolver r(io_.io.get_executor(), {{servfail.address()}, 2000ms, 2});
  auto a = mx(r, "example.test");
  EXPECT_EQ(a.status, Status::tempfail);
  EXPECT_EQ(a.error, "example.test MX: " + kNoUsableAnswer);
  EXPECT_EQ(servfail.queries(), 2);  // one server, two tries
  auto h = addresses(r, "mx1.example.test");
  EXPECT_EQ(h.status, Status::tempfail);
  EXPECT_EQ(h.error, "mx1.example.test A: " + kNoUsableAnswer);
}

TEST_F(ResolverTest, SecondServerAnswersAfterServfail) {
  ServfailServer servfail;
  Resolver r(io_.io.get_executor(), {{servfail.address(), server_->address()}, 2000ms, 2});
  auto a = mx(r, "example.test");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  EXPECT_EQ(a.records.size(), 3u);
  EXPECT_EQ(servfail.queries(), 1);
}

TEST_F(ResolverTest, NoAnswerIsTempfailWithinTheDeadline) {
  SilentServer silent;
  Resolver r(io_.io.get_executor(), {{silent.address()}, 300ms, 2});
  EXPECT_EQ(r.deadline(), 600ms);
  const auto start = std::chrono::steady_clock::now();
  auto a = mx(r, "example.test");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.status, Status::tempfail);
  EXPECT_EQ(a.error, "example.test MX: timed out (no answer within 600 ms)");
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 1500ms);
}

TEST_F(ResolverTest, ClosedPortIsTempfail) {
  uint16_t port;
  {
    SilentServer s;  // bound, then closed: nothing listens there now
    port = static_cast<uint16_t>(std::stoi(s.address().substr(s.address().rfind(':') + 1)));
  }
  Resolver r(io_.io.get_executor(), {{"127.0.0.1:" + std::to_string(port)}, 1000ms, 2});
  const auto start = std::chrono::steady_clock::now();
  auto a = mx(r, "example.test");
  EXPECT_EQ(a.status, Status::tempfail) << a.error;
  EXPECT_EQ(a.error, "example.test MX: " + kNoUsableAnswer);
  // The ICMP port-unreachable ends it at once, long before the deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
}

TEST_F(ResolverTest, SecondServerAnswersWhenTheFirstIsSilent) {
  SilentServer silent;
  Resolver r(io_.io.get_executor(), {{silent.address(), server_->address()}, 300ms, 2});
  EXPECT_EQ(r.deadline(), 1200ms);
  auto a = mx(r, "example.test");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  EXPECT_EQ(a.records.size(), 3u);
}

TEST_F(ResolverTest, LargeAnswerOverTcpIsBounded) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "big.test");
  ASSERT_EQ(a.status, Status::ok) << a.error;
  EXPECT_EQ(a.records.size(), kMaxMxRecords);
  EXPECT_EQ(a.error, "big.test MX: kept the first 50 of 60 records");
  std::mt19937_64 rng(1);
  Plan p = plan_mx("big.test", a, rng);
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  EXPECT_EQ(p.targets.size(), 10u);
  EXPECT_TRUE(std::is_sorted(p.targets.begin(), p.targets.end(),
                             [](const Target& x, const Target& y) { return x.preference < y.preference; }));
}

TEST_F(ResolverTest, TwoHundredConcurrentLookups) {
  Resolver r(io_.io.get_executor(), options());
  constexpr int kLookups = 200;
  std::atomic<int> good{0};
  std::atomic<int> finished{0};
  std::promise<void> all;
  for (int i = 0; i < kLookups; ++i) {
    asio::co_spawn(
        io_.io,
        [&r, &good, i]() -> net::awaitable<void> {
          switch (i % 4) {
            case 0: {
              auto a = co_await r.mx("example.test");
              if (a.status == Status::ok && a.records.size() == 3) ++good;
              break;
            }
            case 1: {
              auto a = co_await r.addresses("mx1.example.test");
              if (a.status == Status::ok && a.records.size() == 2) ++good;
              break;
            }
            case 2: {
              auto a = co_await r.mx("nx" + std::to_string(i) + ".test");
              if (a.status == Status::nxdomain) ++good;
              break;
            }
            default: {
              auto a = co_await r.mx("nodata.test");
              if (a.status == Status::nodata) ++good;
              break;
            }
          }
        },
        [&](std::exception_ptr) {
          if (++finished == kLookups) all.set_value();
        });
  }
  ASSERT_EQ(all.get_future().wait_for(20s), std::future_status::ready) << finished << " of " << kLookups << " done";
  EXPECT_EQ(good, kLookups);
}

TEST_F(ResolverTest, ResultArrivesOnTheCallersStrand) {
  Resolver r(io_.io.get_executor(), options());
  auto strand = asio::make_strand(io_.io.get_executor());
  auto on_strand = run<bool>(strand, [&]() -> net::awaitable<bool> {
    bool all = true;
    for (int i = 0; i < 5; ++i) {
      auto a = co_await r.mx("example.test");
      all = all && a.status == Status::ok && strand.running_in_this_thread();
      auto h = co_await r.addresses("mx1.example.test");
      all = all && h.status == Status::ok && strand.running_in_this_thread();
    }
    co_return all;
  });
  ASSERT_TRUE(on_strand);
  EXPECT_TRUE(*on_strand);
}

TEST_F(ResolverTest, DestroyedIdleAndBusy) {
  {
    Resolver unused(io_.io.get_executor(), options());
  }
  {
    Resolver r(io_.io.get_executor(), options());
    EXPECT_EQ(mx(r, "example.test").status, Status::ok);
  }  // idle, after a lookup: its sockets are released, nothing runs on
  // Busy: lookups to a server that never answers, then the resolver goes.
  SilentServer silent;
  auto r = std::make_unique<Resolver>(io_.io.get_executor(), ResolverOptions{{silent.address()}, 5000ms, 2});
  std::vector<std::future<Answer<MxRecord>>> pending;
  for (int i = 0; i < 10; ++i) {
    auto p = std::make_shared<std::promise<Answer<MxRecord>>>();
    pending.push_back(p->get_future());
    asio::co_spawn(io_.io, r->mx("example.test"), [p](std::exception_ptr, Answer<MxRecord> a) { p->set_value(a); });
  }
  std::this_thread::sleep_for(100ms);  // the queries are on the wire
  r.reset();
  for (auto& f : pending) {
    ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
    auto a = f.get();
    EXPECT_EQ(a.status, Status::tempfail);
    EXPECT_EQ(a.error, "example.test MX: resolver shut down");
  }
}

TEST_F(ResolverTest, InvalidNamesAreNotSent) {
  Resolver r(io_.io.get_executor(), options());
  auto a = mx(r, "not a domain");
  EXPECT_EQ(a.status, Status::nxdomain);
  EXPECT_EQ(a.error, "not a domain: not a valid domain name");
  EXPECT_EQ(addresses(r, "a..b").status, Status::nxdomain);
  EXPECT_EQ(mx(r, std::string(300, 'a')).status, Status::nxdomain);
}

TEST(ResolverOptionsTest, BadServersAreConfigErrors) {
  asio::io_context io;
  for (const char* bad : {"dns.example", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:x", "[::1",
                          "[::1]53", "[]:53", ""}) {
    EXPECT_THROW(Resolver(io.get_executor(), {{bad}, 1000ms, 2}), common::ConfigError) << bad;
  }
  EXPECT_THROW(Resolver(io.get_executor(), {{"127.0.0.1"}, 0ms, 2}), common::ConfigError);
  EXPECT_THROW(Resolver(io.get_executor(), {{"127.0.0.1"}, 1000ms, 0}), common::ConfigError);
  for (const char* good : {"192.0.2.1", "192.0.2.1:5353", "[::1]:53", "[::1]", "2001:db8::53"}) {
    EXPECT_NO_THROW(Resolver(io.get_executor(), {{good}, 1000ms, 2})) << good;
  }
  Resolver two(io.get_executor(), {{"192.0.2.1", "192.0.2.2:5353"}, 1000ms, 3});
  EXPECT_EQ(two.deadline(), 6000ms);
  EXPECT_NO_THROW(Resolver(io.get_executor(), ResolverOptions{}));  // the system's servers
}

}  // namespace
}  // namespace mail::dns::test
