// SPDX-License-Identifier: Apache-2.0
// cidr.cpp: address and network parsing with inet_pton (strict dotted quads,
// RFC 4291 text for IPv6) and prefix matching on octets. See cidr.h.
#include "mail/net/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace mail::net {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_mapped(const std::array<uint8_t, 16>& o) { return std::memcmp(o.data(), kMappedPrefix.data(), 12) == 0; }

// The first `bits` bits of a and b agree.
bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, size_t bits) {
  size_t whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  size_t rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Every bit from `bits` on is zero.
bool host_bits_clear(const IpAddress& a, size_t bits) {
  for (size_t i = bits; i < a.bits(); ++i)
    if (a.octets[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.octets.data()) != 1) return std::nullopt;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.octets.data()) != 1) return std::nullopt;
  if (is_mapped(a.octets)) {
    std::array<uint8_t, 16> v4{};
    std::memcpy(v4.data(), a.octets.data() + 12, 4);
    a.octets = v4;
    return a;
  }
  a.v6 = true;
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, octets.data(), buf, sizeof buf)) return {};
  return buf;
}

std::optional<Network> Network::parse(std::string_view text) {
  text = trim(text);
  std::string_view addr = text, len;
  bool has_prefix = false;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    len = text.substr(slash + 1);
    has_prefix = true;
  }
  // A mapped network is written in IPv6 form; remember that before parse()
  // folds it to IPv4, since its prefix counts 96 bits more.
  const bool written_v6 = addr.find(':') != std::string_view::npos;
  auto a = IpAddress::parse(addr);
  if (!a) return std::nullopt;
  size_t prefix = written_v6 ? 128 : 32;
  if (has_prefix) {
    if (len.empty() || len.size() > 3) return std::nullopt;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
    if (ec != std::errc() || end != len.data() + len.size()) return std::nullopt;
    if (prefix > (written_v6 ? 128u : 32u)) return std::nullopt;
  }
  if (written_v6 && !a->v6) {  // ::ffff:a.b.c.d/p
    if (prefix < 96) return std::nullopt;
    prefix -= 96;
  }
  if (!host_bits_clear(*a, prefix)) return std::nullopt;
  Network n;
  n.address_ = *a;
  n.prefix_ = prefix;
  return n;
}

bool Network::contains(const IpAddress& a) const {
  return a.v6 == address_.v6 && same_prefix(a.octets, address_.octets, prefix_);
}

bool Network::contains(std::string_view address) const {
  auto a = IpAddress::parse(address);
  return a && contains(*a);
}

std::string Network::to_string() const { return address_.to_string() + "/" + std::to_string(prefix_); }

std::optional<NetworkList> NetworkList::parse(std::string_view text, std::string* bad) {
  std::vector<Network> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find_first_of(", \t", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(i, end - i);
    i = end + 1;
    if (item.empty()) continue;
    auto n = Network::parse(item);
    if (!n) {
      if (bad) *bad = std::string(item);
      return std::nullopt;
    }
    out.push_back(*n);
  }
  return NetworkList(std::move(out));
}

bool NetworkList::contains(const IpAddress& a) const {
  for (const auto& n : networks_)
    if (n.contains(a)) return true;
  return false;
}

bool NetworkList::contains(std::string_view address) const {
  if (networks_.empty()) return false;
  auto a = IpAddress::parse(address);
  return a && contains(*a);
}

std::string NetworkList::to_string() const {
  std::string s;
  for (const auto& n : networks_) {
    if (!s.empty()) s += ", ";
    s += n.to_string();
  }
  return s;
}

}  // namespace mail::net
