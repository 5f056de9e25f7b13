// SPDX-License-Identifier: Apache-2.0
// cidr_test.cpp: address, network and list parsing and matching, as tables
// of text (IPv4, IPv6, IPv4-mapped, malformed, host bits set).
#include "mail/net/cidr.h"

#include <gtest/gtest.h>

namespace mail::net {
namespace {

TEST(IpAddress, ParsesAndFoldsMappedAddresses) {
  struct Case {
    const char* text;
    bool ok;
    const char* canonical;
    bool v6;
  };
  const Case cases[] = {
      {"192.0.2.1", true, "192.0.2.1", false},
      {"0.0.0.0", true, "0.0.0.0", false},
      {"255.255.255.255", true, "255.255.255.255", false},
      {"2001:db8::1", true, "2001:db8::1", true},
      {"[2001:db8::1]", true, "2001:db8::1", true},
      {"2001:DB8:0:0:0:0:0:1", true, "2001:db8::1", true},
      {"::1", true, "::1", true},
      {"::ffff:192.0.2.1", true, "192.0.2.1", false},
      {"::ffff:c000:201", true, "192.0.2.1", false},
      {"", false, "", false},
      {"192.0.2", false, "", false},
      {"192.0.2.256", false, "", false},
      {"192.0.2.1 ", false, "", false},
      {"mail.example.com", false, "", false},
      {"fe80::1%eth0", false, "", false},
      {"2001:db8::1::2", false, "", false},
      {"[192.0.2.1", false, "", false},
      {"1.2.3.4.5", false, "", false},
  };
  for (const auto& c : cases) {
    auto a = IpAddress::parse(c.text);
    ASSERT_EQ(a.has_value(), c.ok) << c.text;
    if (!a) continue;
    EXPECT_EQ(a->to_string(), c.canonical) << c.text;
    EXPECT_EQ(a->v6, c.v6) << c.text;
  }
}

TEST(Network, ParsesPrefixesStrictly) {
  struct Case {
    const char* text;
    const char* canonical;  // nullptr: refused
  };
  const Case cases[] = {
      {"127.0.0.0/8", "127.0.0.0/8"},
      {" 10.0.0.0/8 ", "10.0.0.0/8"},
      {"192.0.2.7", "192.0.2.7/32"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"2001:db8::/32", "2001:db8::/32"},
      {"[2001:db8::]/32", "2001:db8::/32"},
      {"::/0", "::/0"},
      {"::1", "::1/128"},
      {"::ffff:10.0.0.0/104", "10.0.0.0/8"},
      {"192.0.2.128/25", "192.0.2.128/25"},
      {"10.1.2.3/8", nullptr},  // host bits set: a typo for 10.0.0.0/8?
      {"2001:db8::1/32", nullptr},
      {"10.0.0.0/33", nullptr},
      {"2001:db8::/129", nullptr},
      {"10.0.0.0/", nullptr},
      {"10.0.0.0/-1", nullptr},
      {"10.0.0.0/+8", nullptr},
      {"10.0.0.0/8x", nullptr},
      {"10.0.0.0/0008", nullptr},
      {"/8", nullptr},
      {"::ffff:10.0.0.0/64", nullptr},
      {"example.com/24", nullptr},
      {"", nullptr},
  };
  for (const auto& c : cases) {
    auto n = Network::parse(c.text);
    if (!c.canonical) {
      EXPECT_FALSE(n.has_value()) << c.text;
      continue;
    }
    ASSERT_TRUE(n.has_value()) << c.text;
    EXPECT_EQ(n->to_string(), c.canonical) << c.text;
  }
}

TEST(Network, MatchesByPrefix) {
  struct Case {
    const char* network;
    const char* address;
    bool inside;
  };
  const Case cases[] = {
      {"127.0.0.0/8", "127.0.0.1", true},
      {"127.0.0.0/8", "127.255.255.255", true},
      {"127.0.0.0/8", "128.0.0.1", false},
      {"127.0.0.0/8", "::ffff:127.0.0.1", true},  // dual-stack listener
      {"127.0.0.0/8", "::1", false},              // families never mix
      {"192.0.2.128/25", "192.0.2.128", true},
      {"192.0.2.128/25", "192.0.2.255", true},
      {"192.0.2.128/25", "192.0.2.127", false},
      {"192.0.2.7", "192.0.2.7", true},
      {"192.0.2.7", "192.0.2.8", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "2001:db8::1", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1", true},
      {"2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1", false},
      {"::/0", "::1", true},
      {"::1", "::1", true},
      {"10.0.0.0/8", "not an address", false},
      {"10.0.0.0/8", "", false},
  };
  for (const auto& c : cases) {
    auto n = Network::parse(c.network);
    ASSERT_TRUE(n.has_value()) << c.network;
    EXPECT_EQ(n->contains(std::string_view(c.address)), c.inside) << c.network << " " << c.address;
  }
}

TEST(NetworkList, ParsesCommaAndSpaceSeparatedLists) {
  auto l = NetworkList::parse("127.0.0.0/8, 10.0.0.0/8  2001:db8::/32,,192.0.2.7");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->to_string(), "127.0.0.0/8, 10.0.0.0/8, 2001:db8::/32, 192.0.2.7/32");
  EXPECT_TRUE(l->contains("127.0.0.1"));
  EXPECT_TRUE(l->contains("10.9.8.7"));
  EXPECT_TRUE(l->contains("2001:db8::25"));
  EXPECT_TRUE(l->contains("192.0.2.7"));
  EXPECT_FALSE(l->contains("192.0.2.8"));
  EXPECT_FALSE(l->contains("::1"));

  auto empty = NetworkList::parse("  ");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(empty->contains("127.0.0.1"));
  EXPECT_FALSE(NetworkList().contains("127.0.0.1"));

  std::string bad;
  EXPECT_FALSE(NetworkList::parse("127.0.0.0/8, 10.1.0.0/8, ::1", &bad).has_value());
  EXPECT_EQ(bad, "10.1.0.0/8");
  EXPECT_FALSE(NetworkList::parse("localhost", &bad).has_value());
  EXPECT_EQ(bad, "localhost");
}

}  // namespace
}  // namespace mail::net
