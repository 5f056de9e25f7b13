// SPDX-License-Identifier: Apache-2.0
// mx_plan.h: the pure half of MX routing (RFC 5321 5.1, RFC 7505): turning
// the answer to an MX query into the ordered list of hosts the outbound MTA
// tries, one after the other. No I/O, no clock; randomness comes from the
// caller's generator so tests can fix the seed.
//
// Rules, in the order they are applied:
//   - tempfail -> Kind::tempfail, nxdomain -> Kind::nxdomain (the caller
//     retries the first and bounces the second);
//   - nodata (the domain exists, no MX) -> one implicit target, the domain
//     itself, to be resolved to A/AAAA;
//   - host names are lower-cased and lose their trailing dot; records whose
//     host is not a valid host name are dropped (when nothing usable is
//     left, Kind::tempfail: a broken MX set proves nothing either way);
//   - a null MX ("." as host) alone -> Kind::null_mx, a permanent failure;
//     "." among real hosts is ignored (so is any number of "." records, and
//     a set of nothing but "." is a null MX whatever its preferences);
//   - lowest preference first; hosts of equal preference in random order;
//     a host listed twice is tried once, at its lowest preference;
//   - at most `max_hosts` targets.
//
// Trusts: nothing in the answer; every host name is checked here again.
// Diagnostics: Plan::error, one line naming the domain, for logs and DSNs.
#pragma once
#include "mail/dns/answer.h"

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mail::dns {

/// Longest host name accepted, in its textual form without the trailing dot
/// (RFC 1035: 255 octets on the wire, 253 characters as text).
inline constexpr size_t kMaxHostName = 253;

/// One host to try.
struct Target {
  std::string host;         ///< normalized: lower-case, no trailing dot
  uint16_t preference = 0;  ///< the MX preference (0 for an implicit MX)
  bool implicit = false;    ///< no MX: the domain itself (RFC 5321 5.1)
  bool operator==(const Target&) const = default;
};

struct Plan {
  enum class Kind {
    hosts,     ///< try `targets` in order
    null_mx,   ///< the domain accepts no mail (RFC 7505): bounce, 5.1.10
    nxdomain,  ///< the domain does not exist: bounce
    tempfail,  ///< the DNS did not answer: retry later
  };
  Kind kind = Kind::tempfail;
  std::vector<Target> targets;  ///< not empty when kind is hosts
  std::string error;            ///< why not hosts (empty when kind is hosts)
};

const char* to_string(Plan::Kind kind);

/// The hosts to try for `domain` (the recipient domain, used for the
/// implicit MX and in messages) given the answer to its MX query.
/// A domain that is not a valid host name gives Kind::nxdomain.
Plan plan_mx(std::string_view domain, const Answer<MxRecord>& mx, std::mt19937_64& rng, size_t max_hosts = 10);

/// A host name as the resolver and the planner use it: ASCII letters,
/// digits, '-' and '_' in dot-separated labels of 1..63 characters, at most
/// kMaxHostName characters; lower-cased, one trailing dot removed. Empty
/// when `name` is not such a name (spaces, UTF-8, empty labels, too long;
/// internationalized names must be given in their A-label form).
std::string normalize_host_name(std::string_view name);

/// The address of an RFC 5321 address literal domain: "[192.0.2.1]" or
/// "[IPv6:2001:db8::1]" ("IPv6:" case-insensitive); nullopt for anything
/// else, including a bare address without brackets. Such domains are not
/// looked up in the DNS: the caller connects to the address itself.
std::optional<boost::asio::ip::address> parse_address_literal(std::string_view domain);

}  // namespace mail::dns
