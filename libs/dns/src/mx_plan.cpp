// SPDX-License-Identifier: Apache-2.0
// mx_plan.cpp: plan_mx and the host-name rules it shares with the resolver
// (see mx_plan.h for the rules). Pure: no I/O, randomness from the caller.
// Trusts nothing in the answer: every host name is normalized and checked.
#include "mail/dns/mx_plan.h"

#include <algorithm>
#include <unordered_set>

namespace mail::dns {

const char* to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::nxdomain:
      return "nxdomain";
    case Status::nodata:
      return "nodata";
    case Status::tempfail:
      return "tempfail";
  }
  return "?";
}

const char* to_string(Plan::Kind kind) {
  switch (kind) {
    case Plan::Kind::hosts:
      return "hosts";
    case Plan::Kind::null_mx:
      return "null_mx";
    case Plan::Kind::nxdomain:
      return "nxdomain";
    case Plan::Kind::tempfail:
      return "tempfail";
  }
  return "?";
}

std::string normalize_host_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxHostName) return {};
  std::string out;
  out.reserve(name.size());
  size_t label = 0;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label == 0) return {};
      label = 0;
      out.push_back('.');
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '_') return {};
    if (++label > 63) return {};
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
  }
  if (label == 0) return {};  // "a.b.." ends in an empty label
  return out;
}

std::optional<boost::asio::ip::address> parse_address_literal(std::string_view domain) {
  if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return std::nullopt;
  std::string_view inner = domain.substr(1, domain.size() - 2);
  boost::system::error_code ec;
  constexpr std::string_view kTag = "ipv6:";
  bool tagged = inner.size() > kTag.size();
  for (size_t i = 0; tagged && i < kTag.size(); ++i) {
    char c = inner[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    tagged = c == kTag[i];
  }
  if (tagged) {
    auto v6 = boost::asio::ip::make_address_v6(std::string(inner.substr(kTag.size())), ec);
    if (ec) return std::nullopt;
    return boost::asio::ip::address(v6);
  }
  // Only dotted-quad IPv4 without a tag (RFC 5321 4.1.3); make_address_v4
  // takes nothing else (no "1", no hex forms, no scope ids).
  auto v4 = boost::asio::ip::make_address_v4(std::string(inner), ec);
  if (ec) return std::nullopt;
  return boost::asio::ip::address(v4);
}

namespace {

// The ok case of plan_mx: `records` is not empty.
Plan plan_hosts(const std::string& name, const std::vector<MxRecord>& records, std::mt19937_64& rng,
                size_t max_hosts) {
  Plan plan;
  std::vector<Target> hosts;
  bool root = false;
  size_t invalid = 0;
  for (const auto& r : records) {
    if (r.host.empty() || r.host == ".") {
      root = true;
      continue;
    }
    std::string host = normalize_host_name(r.host);
    if (host.empty()) {
      ++invalid;
      continue;
    }
    hosts.push_back({std::move(host), r.preference, false});
  }
  if (hosts.empty()) {
    if (root && invalid == 0) {
      plan.kind = Plan::Kind::null_mx;
      plan.error = name + ": the domain accepts no mail (null MX, RFC 7505)";
    } else {
      // MX records exist but none names a usable host: not an answer we
      // can act on, and no proof that the domain takes no mail.
      plan.kind = Plan::Kind::tempfail;
      plan.error = name + " MX: no usable host name in the MX records";
    }
    return plan;
  }
  // A deterministic order first (the DNS hands records out in any order),
  // so the outcome depends only on the set and the generator.
  std::sort(hosts.begin(), hosts.end(), [](const Target& a, const Target& b) {
    return a.preference != b.preference ? a.preference < b.preference : a.host < b.host;
  });
  std::unordered_set<std::string> seen;  // the first of a host is at its best preference
  std::erase_if(hosts, [&seen](const Target& t) { return !seen.insert(t.host).second; });
  for (auto first = hosts.begin(); first != hosts.end();) {
    const uint16_t preference = first->preference;
    auto last = std::find_if(first, hosts.end(), [preference](const Target& t) { return t.preference != preference; });
    std::shuffle(first, last, rng);
    first = last;
  }
  if (hosts.size() > max_hosts) hosts.resize(max_hosts);
  if (hosts.empty()) {
    plan.kind = Plan::Kind::tempfail;
    plan.error = name + " MX: no host to try (max_hosts is 0)";
    return plan;
  }
  plan.kind = Plan::Kind::hosts;
  plan.targets = std::move(hosts);
  return plan;
}

}  // namespace

Plan plan_mx(std::string_view domain, const Answer<MxRecord>& mx, std::mt19937_64& rng, size_t max_hosts) {
  Plan plan;
  const std::string name = normalize_host_name(domain);
  if (name.empty()) {
    plan.kind = Plan::Kind::nxdomain;
    plan.error = std::string(domain.substr(0, kMaxHostName)) + ": not a valid domain name";
    return plan;
  }
  switch (mx.status) {
    case Status::tempfail:
      plan.kind = Plan::Kind::tempfail;
      plan.error = mx.error.empty() ? name + " MX: temporary DNS failure" : mx.error;
      return plan;
    case Status::nxdomain:
      plan.kind = Plan::Kind::nxdomain;
      plan.error = mx.error.empty() ? name + ": no such domain (NXDOMAIN)" : mx.error;
      return plan;
    case Status::ok:
      if (!mx.records.empty()) return plan_hosts(name, mx.records, rng, max_hosts);
      break;  // ok without records: as nodata
    case Status::nodata:
      break;
  }
  // No MX: the domain itself is the implicit MX (RFC 5321 5.1).
  plan.kind = Plan::Kind::hosts;
  plan.targets.push_back({name, 0, true});
  return plan;
}

}  // namespace mail::dns
