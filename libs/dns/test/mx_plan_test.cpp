// SPDX-License-Identifier: Apache-2.0
// mx_plan_test.cpp: plan_mx, normalize_host_name and parse_address_literal,
// table by table: preference order, equal preferences shuffled (differently
// across seeds, always the same set), duplicates, trailing dots and case,
// null MX, nodata as the implicit MX, nxdomain and tempfail passed through,
// malformed hosts, max_hosts.
#include "mail/dns/mx_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace mail::dns {
namespace {

Answer<MxRecord> ok(std::vector<MxRecord> records) {
  Answer<MxRecord> a;
  a.status = Status::ok;
  a.records = std::move(records);
  return a;
}

Answer<MxRecord> status(Status s, std::string error = {}) {
  Answer<MxRecord> a;
  a.status = s;
  a.error = std::move(error);
  return a;
}

std::vector<std::string> hosts(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& t : p.targets) out.push_back(t.host);
  return out;
}

Plan plan(const Answer<MxRecord>& mx, uint64_t seed = 1, size_t max_hosts = 10) {
  std::mt19937_64 rng(seed);
  return plan_mx("example.test", mx, rng, max_hosts);
}

TEST(PlanMx, OrdersByPreference) {
  Plan p = plan(ok({{30, "c.example.test"}, {10, "a.example.test"}, {20, "b.example.test"}}));
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  EXPECT_EQ(hosts(p), (std::vector<std::string>{"a.example.test", "b.example.test", "c.example.test"}));
  EXPECT_EQ(p.targets[0].preference, 10);
  EXPECT_EQ(p.targets[2].preference, 30);
  EXPECT_FALSE(p.targets[0].implicit);
  EXPECT_TRUE(p.error.empty());
}

TEST(PlanMx, EqualPreferencesAreShuffledAcrossSeedsAndKeepTheSet) {
  const std::vector<MxRecord> records = {{5, "first.test"},  {10, "a.test"}, {10, "b.test"}, {10, "c.test"},
                                         {10, "d.test"},     {10, "e.test"}, {20, "z.test"}, {20, "y.test"}};
  std::set<std::vector<std::string>> orders;
  std::set<std::string> firsts_of_ten;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Plan p = plan(ok(records), seed);
    ASSERT_EQ(p.kind, Plan::Kind::hosts);
    auto h = hosts(p);
    ASSERT_EQ(h.size(), 8u);
    EXPECT_EQ(h[0], "first.test");  // the lone best preference never moves
    std::vector<std::string> ten(h.begin() + 1, h.begin() + 6);
    std::vector<std::string> twenty(h.begin() + 6, h.end());
    std::sort(ten.begin(), ten.end());
    std::sort(twenty.begin(), twenty.end());
    EXPECT_EQ(ten, (std::vector<std::string>{"a.test", "b.test", "c.test", "d.test", "e.test"}));
    EXPECT_EQ(twenty, (std::vector<std::string>{"y.test", "z.test"}));
    for (size_t i = 1; i < 6; ++i) EXPECT_EQ(p.targets[i].preference, 10);
    orders.insert(h);
    firsts_of_ten.insert(h[1]);
  }
  // 5! * 2! = 240 possible orders; 200 seeds must give many of them, and
  // every one of the five equal hosts must come first at some point.
  EXPECT_GT(orders.size(), 50u);
  EXPECT_EQ(firsts_of_ten.size(), 5u);
}

TEST(PlanMx, SameSeedSameOrderWhateverTheAnswerOrder) {
  std::vector<MxRecord> records = {{10, "a.test"}, {10, "b.test"}, {10, "c.test"}, {10, "d.test"}};
  Plan first = plan(ok(records), 42);
  std::reverse(records.begin(), records.end());
  Plan second = plan(ok(records), 42);
  EXPECT_EQ(hosts(first), hosts(second));
}

TEST(PlanMx, DuplicatesAreTriedOnceAtTheirBestPreference) {
  Plan p = plan(ok({{20, "mx.example.test"}, {10, "MX.Example.Test."}, {10, "mx.example.test"}, {30, "b.test"}}));
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  ASSERT_EQ(p.targets.size(), 2u);
  EXPECT_EQ(p.targets[0], (Target{"mx.example.test", 10, false}));
  EXPECT_EQ(p.targets[1], (Target{"b.test", 30, false}));
}

TEST(PlanMx, TrailingDotsAndCaseAreNormalized) {
  Plan p = plan(ok({{10, "MX1.Example.TEST."}, {20, "mx2.example.test"}}));
  EXPECT_EQ(hosts(p), (std::vector<std::string>{"mx1.example.test", "mx2.example.test"}));
}

TEST(PlanMx, NullMxIsPermanent) {
  for (const char* root : {".", ""}) {
    Plan p = plan(ok({{0, root}}));
    EXPECT_EQ(p.kind, Plan::Kind::null_mx) << "host \"" << root << "\"";
    EXPECT_TRUE(p.targets.empty());
    EXPECT_NE(p.error.find("example.test"), std::string::npos) << p.error;
    EXPECT_NE(p.error.find("null MX"), std::string::npos) << p.error;
  }
  // Only roots, whatever the preference: there is nowhere to go, and the
  // implicit MX must not be used when MX records exist.
  EXPECT_EQ(plan(ok({{10, "."}})).kind, Plan::Kind::null_mx);
  EXPECT_EQ(plan(ok({{0, "."}, {5, "."}})).kind, Plan::Kind::null_mx);
}

TEST(PlanMx, RootAmongRealHostsIsIgnored) {
  Plan p = plan(ok({{0, "."}, {10, "mx.example.test"}}));
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  EXPECT_EQ(hosts(p), (std::vector<std::string>{"mx.example.test"}));
}

TEST(PlanMx, NodataMeansTheDomainItselfImplicitly) {
  std::mt19937_64 rng(1);
  Plan p = plan_mx("Example.TEST.", status(Status::nodata, "example.test MX: no MX records"), rng);
  ASSERT_EQ(p.kind, Plan::Kind::hosts);
  ASSERT_EQ(p.targets.size(), 1u);
  EXPECT_EQ(p.targets[0], (Target{"example.test", 0, true}));
  // ok without records is treated the same.
  Plan q = plan(ok({}));
  ASSERT_EQ(q.targets.size(), 1u);
  EXPECT_TRUE(q.targets[0].implicit);
}

TEST(PlanMx, NxdomainAndTempfailPassThroughWithTheirErrors) {
  Plan nx = plan(status(Status::nxdomain, "example.test: no such domain (NXDOMAIN)"));
  EXPECT_EQ(nx.kind, Plan::Kind::nxdomain);
  EXPECT_EQ(nx.error, "example.test: no such domain (NXDOMAIN)");
  EXPECT_TRUE(nx.targets.empty());
  Plan temp = plan(status(Status::tempfail, "example.test MX: SERVFAIL"));
  EXPECT_EQ(temp.kind, Plan::Kind::tempfail);
  EXPECT_EQ(temp.error, "example.test MX: SERVFAIL");
  EXPECT_EQ(plan(status(Status::tempfail)).error, "example.test MX: temporary DNS failure");
}

TEST(PlanMx, MalformedHostsAreDroppedAndNothingUsableIsTempfail) {
  const std::string long_label(64, 'a');
  Plan p = plan(ok({{10, "bad host.test"}, {20, long_label + ".test"}, {30, "good.test"}, {40, "a..b"}}));
  EXPECT_EQ(hosts(p), (std::vector<std::string>{"good.test"}));
  Plan none = plan(ok({{10, "bad host.test"}, {20, "x@y"}}));
  EXPECT_EQ(none.kind, Plan::Kind::tempfail);
  EXPECT_NE(none.error.find("no usable host"), std::string::npos) << none.error;
  // A root beside malformed hosts proves nothing either.
  EXPECT_EQ(plan(ok({{0, "."}, {10, "bad host"}})).kind, Plan::Kind::tempfail);
}

TEST(PlanMx, AtMostMaxHosts) {
  std::vector<MxRecord> many;
  for (int i = 0; i < 30; ++i) many.push_back({static_cast<uint16_t>(i), "mx" + std::to_string(i) + ".test"});
  Plan p = plan(ok(many), 1, 10);
  ASSERT_EQ(p.targets.size(), 10u);
  EXPECT_EQ(p.targets.front().host, "mx0.test");
  EXPECT_EQ(p.targets.back().host, "mx9.test");
}

TEST(PlanMx, InvalidDomainIsNxdomain) {
  std::mt19937_64 rng(1);
  Plan p = plan_mx("not a domain", status(Status::nodata), rng);
  EXPECT_EQ(p.kind, Plan::Kind::nxdomain);
  EXPECT_NE(p.error.find("not a valid domain name"), std::string::npos);
}

TEST(NormalizeHostName, AcceptsHostNamesOnly) {
  EXPECT_EQ(normalize_host_name("MX.Example.Test."), "mx.example.test");
  EXPECT_EQ(normalize_host_name("a-b_c.test"), "a-b_c.test");
  EXPECT_EQ(normalize_host_name("localhost"), "localhost");
  EXPECT_EQ(normalize_host_name(std::string(63, 'a') + ".test"), std::string(63, 'a') + ".test");
  for (std::string bad : {"", ".", "..", "a..b", ".a", "a b", "a\tb", "a\\.b", "caf\xc3\xa9.test", "[192.0.2.1]",
                          "a.b..", "x@y.test"})
    EXPECT_EQ(normalize_host_name(bad), "") << bad;
  EXPECT_EQ(normalize_host_name(std::string(64, 'a') + ".test"), "");
  // 253 characters is the longest; with a trailing dot 254 is fine too.
  const std::string l63(63, 'a');
  const std::string name = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_EQ(normalize_host_name(name), name);
  EXPECT_EQ(normalize_host_name(name + "."), name);
  EXPECT_EQ(normalize_host_name(name + "a"), "");
}

TEST(AddressLiteral, Rfc5321Forms) {
  auto v4 = parse_address_literal("[192.0.2.1]");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "192.0.2.1");
  auto v6 = parse_address_literal("[IPv6:2001:db8::1]");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_TRUE(parse_address_literal("[ipv6:::1]"));
  for (const char* bad : {"192.0.2.1", "[192.0.2]", "[2001:db8::1]", "[IPv6:192.0.2.1]", "[]", "[IPv6:]",
                          "example.test", "[192.0.2.1", "[ 192.0.2.1]"})
    EXPECT_FALSE(parse_address_literal(bad)) << bad;
}

}  // namespace
}  // namespace mail::dns
