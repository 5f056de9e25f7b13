// SPDX-License-Identifier: Apache-2.0
// host_port.h: the one "host:port" parser for listen and connect addresses in
// configuration: "host:port", "[v6-address]:port", and ":port" (every IPv4
// address, 0.0.0.0).
//
// Trusts: the operator's configuration, but checks it, so that a typo stops
// start-up with a message instead of listening somewhere unexpected. It does
// not resolve names or check that the host is an address.
// Diagnostics: common::ConfigError naming the text and what is wrong with it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mail::common {

struct HostPort {
  std::string host;  ///< without brackets; "0.0.0.0" when the text had none
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

/// Parses "host:port", "[v6]:port" or ":port". The port is 0..65535 in
/// decimal digits (0 asks the kernel for any free port). Throws ConfigError
/// for a missing colon or port, a bad or out-of-range port, an unbracketed
/// IPv6 address ("::1:25" is ambiguous), unbalanced brackets, an empty
/// bracketed host, or a control character or space in the host.
HostPort parse_host_port(std::string_view text);

/// "host:port", with brackets around a host that contains ':'.
std::string format_host_port(const HostPort& hp);

}  // namespace mail::common
