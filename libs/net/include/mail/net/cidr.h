// SPDX-License-Identifier: Apache-2.0
// cidr.h: IP addresses and networks in CIDR notation ("192.0.2.0/24",
// "2001:db8::/32", a bare address meaning one host), and lists of them, for
// the Server's client_limit_exceptions (the role of Postfix's
// smtpd_client_event_limit_exceptions) and proxy_protocol_from.
//
// Pure: text in, a value or nullopt out; no I/O, no DNS, no logging. An
// IPv4-mapped IPv6 address (::ffff:192.0.2.1) is treated as the IPv4
// address, so a dual-stack listener matches "192.0.2.0/24" as expected.
//
// Trusts: nothing; the text comes from configuration (parse errors are
// reported to the caller, which turns them into a ConfigError) and the
// address to match from the socket or a PROXY header.
//
// Diagnostics: none here. A network with host bits set ("10.1.2.3/8") is
// refused rather than silently widened, as it is most likely a typo.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::net {

/// An IPv4 or IPv6 address as octets in network order (IPv4 uses the first 4).
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> octets{};

  /// "192.0.2.1", "2001:db8::1", "[2001:db8::1]"; IPv4-mapped IPv6 becomes
  /// IPv4. nullopt for anything else (no host names, no zone ids).
  static std::optional<IpAddress> parse(std::string_view text);
  size_t bits() const { return v6 ? 128 : 32; }
  /// Canonical text (inet_ntop form).
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// An address with a prefix length: the addresses sharing its first
/// `prefix` bits.
class Network {
 public:
  /// "10.0.0.0/8", "2001:db8::/32", "[2001:db8::]/32", "192.0.2.7" (a /32),
  /// "::ffff:10.0.0.0/104" (= 10.0.0.0/8). nullopt on a malformed address, a
  /// prefix out of range, or host bits set beyond the prefix.
  static std::optional<Network> parse(std::string_view text);

  bool contains(const IpAddress& a) const;
  /// Parses `address` first; false when it is not an IP address.
  bool contains(std::string_view address) const;
  const IpAddress& address() const { return address_; }
  size_t prefix() const { return prefix_; }
  std::string to_string() const;  ///< "10.0.0.0/8"

 private:
  IpAddress address_;
  size_t prefix_ = 0;
};

/// A set of networks; empty matches nothing.
class NetworkList {
 public:
  NetworkList() = default;
  explicit NetworkList(std::vector<Network> networks) : networks_(std::move(networks)) {}

  /// "127.0.0.0/8, 10.0.0.0/8 2001:db8::/32": entries separated by commas
  /// and/or white space; an empty text is an empty list. On error returns
  /// nullopt and, when `bad` is given, stores the offending entry there.
  static std::optional<NetworkList> parse(std::string_view text, std::string* bad = nullptr);

  bool contains(const IpAddress& a) const;
  bool contains(std::string_view address) const;
  bool empty() const { return networks_.empty(); }
  const std::vector<Network>& networks() const { return networks_; }
  std::string to_string() const;  ///< "127.0.0.0/8, 10.0.0.0/8"

 private:
  std::vector<Network> networks_;
};

}  // namespace mail::net
