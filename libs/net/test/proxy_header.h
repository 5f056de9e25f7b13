// SPDX-License-Identifier: Apache-2.0
// proxy_header.h: builds PROXY protocol v2 headers for the tests, as a load
// balancer would send them (test code only; addresses must be valid text).
#pragma once
#include <arpa/inet.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "mail/net/proxy_protocol.h"

namespace mail::net::proxy::test {

/// Signature, the two command/family octets, the length, then `body`.
inline std::string v2_header(uint8_t ver_cmd, uint8_t fam, const std::string& body) {
  std::string h(kSignature);
  h.push_back(static_cast<char>(ver_cmd));
  h.push_back(static_cast<char>(fam));
  h.push_back(static_cast<char>(body.size() >> 8));
  h.push_back(static_cast<char>(body.size() & 0xff));
  return h + body;
}

inline std::string port_octets(uint16_t p) { return {static_cast<char>(p >> 8), static_cast<char>(p & 0xff)}; }

inline std::string address_octets(int family, const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(family, text.c_str(), buf) != 1) throw std::invalid_argument("bad test address " + text);
  return std::string(reinterpret_cast<const char*>(buf), family == AF_INET ? 4 : 16);
}

/// PROXY, TCP over IPv4.
inline std::string v2_inet(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport) {
  return v2_header(0x21, 0x11,
                   address_octets(AF_INET, src) + address_octets(AF_INET, dst) + port_octets(sport) + port_octets(dport));
}

/// PROXY, TCP over IPv6.
inline std::string v2_inet6(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport) {
  return v2_header(0x21, 0x21,
                   address_octets(AF_INET6, src) + address_octets(AF_INET6, dst) + port_octets(sport) + port_octets(dport));
}

}  // namespace mail::net::proxy::test
