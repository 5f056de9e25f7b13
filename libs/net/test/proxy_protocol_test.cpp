// SPDX-License-Identifier: Apache-2.0
// proxy_protocol_test.cpp: the PROXY v2 parser on raw header bytes: TCP over
// IPv4 and IPv6, LOCAL, the UNSPEC fallbacks, TLVs, every refusal, and a
// header fed one octet at a time (it never asks for more than it holds).
#include "mail/net/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy_header.h"

namespace mail::net::proxy {
namespace {

using test::v2_header;
using test::v2_inet;
using test::v2_inet6;

const Header& header_of(const Result& r) {
  static const Header none;
  if (auto* h = std::get_if<Header>(&r)) return *h;
  ADD_FAILURE() << "not a header: "
                << (std::holds_alternative<Error>(r) ? to_string(std::get<Error>(r)) : "need more");
  return none;
}

TEST(ProxyV2, TcpOverIpv4) {
  std::string h = v2_inet("192.0.2.7", 4242, "198.51.100.1", 25);
  ASSERT_EQ(h.size(), 28u);
  const Header& p = header_of(parse_v2(h + "EHLO x\r\n"));
  EXPECT_FALSE(p.local);
  EXPECT_TRUE(p.has_source);
  EXPECT_FALSE(p.v6);
  EXPECT_EQ(p.source_ip, "192.0.2.7");
  EXPECT_EQ(p.source_port, 4242);
  EXPECT_EQ(p.destination_ip, "198.51.100.1");
  EXPECT_EQ(p.destination_port, 25);
  EXPECT_EQ(p.length, 28u);  // the client's bytes after it are not consumed
}

TEST(ProxyV2, TcpOverIpv6AndMappedIpv4) {
  const Header& p = header_of(parse_v2(v2_inet6("2001:db8::25", 65535, "2001:db8::1", 587)));
  EXPECT_TRUE(p.has_source);
  EXPECT_TRUE(p.v6);
  EXPECT_EQ(p.source_ip, "2001:db8::25");
  EXPECT_EQ(p.source_port, 65535);
  EXPECT_EQ(p.destination_port, 587);
  EXPECT_EQ(p.length, 16u + 36u);

  const Header& m = header_of(parse_v2(v2_inet6("::ffff:203.0.113.5", 1, "::1", 2)));
  EXPECT_EQ(m.source_ip, "203.0.113.5");  // shown as Connection::peer_ip() shows it
}

TEST(ProxyV2, LocalAndUnspecKeepTheRealPeer) {
  struct Case {
    const char* what;
    uint8_t ver_cmd, fam;
    std::string body;
  };
  const Case cases[] = {
      {"LOCAL, no address", 0x20, 0x00, ""},
      {"LOCAL with an address block it must skip", 0x20, 0x11, std::string(12, '\x7f')},
      {"PROXY, UNSPEC family", 0x21, 0x00, ""},
      {"PROXY, UDP over IPv4", 0x21, 0x12, std::string(12, '\1')},
      {"PROXY, UDP over IPv6", 0x21, 0x22, std::string(36, '\1')},
      {"PROXY, AF_UNIX stream", 0x21, 0x31, std::string(216, '\0')},
      {"PROXY, UNSPEC family with the STREAM transport", 0x21, 0x01, ""},
  };
  for (const auto& c : cases) {
    std::string h = v2_header(c.ver_cmd, c.fam, c.body);
    auto r = parse_v2(h);
    ASSERT_TRUE(std::holds_alternative<Header>(r))
        << c.what << ": " << (std::holds_alternative<Error>(r) ? to_string(std::get<Error>(r)) : "need more");
    const Header& p = std::get<Header>(r);
    EXPECT_FALSE(p.has_source) << c.what;
    EXPECT_EQ(p.local, (c.ver_cmd & 0x0f) == 0) << c.what;
    EXPECT_EQ(p.length, h.size()) << c.what;
  }
}

TEST(ProxyV2, TlvsAreSkippedWhenWellFormed) {
  std::string addr = v2_inet("192.0.2.7", 1, "192.0.2.1", 2).substr(16);
  std::string tlvs = std::string("\x01\x00\x02h2", 5) + std::string("\x04\x00\x00", 3);  // ALPN, NOOP
  const Header& p = header_of(parse_v2(v2_header(0x21, 0x11, addr + tlvs)));
  EXPECT_EQ(p.source_ip, "192.0.2.7");
  EXPECT_EQ(p.length, 16u + 12u + 8u);

  for (const std::string& bad : {std::string("\x01\x00\x05h2", 5), std::string("\x01\x00", 2), std::string("\x04", 1)})
    EXPECT_EQ(std::get<Error>(parse_v2(v2_header(0x21, 0x11, addr + bad))), Error::bad_tlv);
}

TEST(ProxyV2, Refusals) {
  struct Case {
    const char* what;
    std::string data;
    Error error;
  };
  std::string ok = v2_inet("192.0.2.7", 1, "192.0.2.1", 2);
  auto with = [&](size_t i, char c) {
    std::string s = ok;
    s[i] = c;
    return s;
  };
  const Case cases[] = {
      {"a client speaking SMTP", "EHLO client.example\r\n", Error::bad_signature},
      {"a TLS ClientHello", std::string("\x16\x03\x01\x02\x00", 5), Error::bad_signature},
      {"one wrong octet in the signature", with(6, 'X'), Error::bad_signature},
      {"the text form", "PROXY TCP4 192.0.2.7 192.0.2.1 1 2\r\n", Error::version1},
      {"the text form, first octets only", "PROX", Error::version1},
      {"version 1 nibble", with(12, '\x11'), Error::bad_version},
      {"version 3 nibble", with(12, '\x31'), Error::bad_version},
      {"command 2", with(12, '\x22'), Error::bad_command},
      {"command 15", with(12, '\x2f'), Error::bad_command},
      {"family 4", with(13, '\x41'), Error::bad_family},
      {"transport 3", with(13, '\x13'), Error::bad_family},
      {"IPv4 block too short", v2_header(0x21, 0x11, std::string(11, '\0')), Error::short_address},
      {"IPv6 block too short", v2_header(0x21, 0x21, std::string(12, '\0')), Error::short_address},
      {"AF_UNIX block too short", v2_header(0x21, 0x31, std::string(36, '\0')), Error::short_address},
      {"longer than the limit", v2_header(0x21, 0x11, std::string(1024 - 16 + 1, '\0')), Error::too_long},
      {"length field near 64 KiB, before any of it arrived", std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xf0", 16),
       Error::too_long},
  };
  for (const auto& c : cases) {
    auto r = parse_v2(c.data);
    ASSERT_TRUE(std::holds_alternative<Error>(r)) << c.what;
    EXPECT_EQ(std::get<Error>(r), c.error) << c.what << ": " << to_string(std::get<Error>(r));
  }
  // A tighter limit: the 52-octet IPv6 header no longer fits in 48.
  EXPECT_EQ(std::get<Error>(parse_v2(v2_inet6("::1", 1, "::1", 2), Limits{.max_length = 48})), Error::too_long);
  EXPECT_TRUE(std::holds_alternative<Header>(parse_v2(v2_inet6("::1", 1, "::1", 2), Limits{.max_length = 52})));
}

TEST(ProxyV2, NeedsMoreUpToTheHeaderEndAndNoFurther) {
  for (const std::string& h :
       {v2_inet("192.0.2.7", 4242, "198.51.100.1", 25), v2_inet6("2001:db8::25", 2, "::1", 3), v2_header(0x20, 0, "")}) {
    for (size_t n = 0; n < h.size(); ++n) {
      auto r = parse_v2(std::string_view(h).substr(0, n));
      ASSERT_TRUE(std::holds_alternative<NeedMore>(r)) << "at " << n;
      size_t total = std::get<NeedMore>(r).total;
      EXPECT_GT(total, n);
      EXPECT_LE(total, h.size()) << "asks for bytes past the header at " << n;
    }
    EXPECT_TRUE(std::holds_alternative<Header>(parse_v2(h)));
  }
  // Refused as soon as a signature octet is wrong, without waiting for 16.
  EXPECT_EQ(std::get<Error>(parse_v2(std::string_view("\r\n\r\nX", 5))), Error::bad_signature);
  EXPECT_EQ(std::get<Error>(parse_v2("E")), Error::bad_signature);
}

}  // namespace
}  // namespace mail::net::proxy
