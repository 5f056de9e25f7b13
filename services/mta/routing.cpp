// SPDX-License-Identifier: Apache-2.0
// Routing: configured relays and MX lookups into an ordered list of hops.
#include "routing.h"

#include <boost/asio/ip/address.hpp>

#include "mail/dns/mx_plan.h"

namespace mail::mta {

std::string Hop::label() const {
  return host + "[" + address + "]:" + std::to_string(port);
}

Router::Router(dns::Resolver& resolver, const OutboundOptions& options)
    : resolver_(resolver), options_(options), rng_(std::random_device{}()) {}

namespace {
// "[192.0.2.1]" or "[IPv6:2001:db8::1]" -> the address; nullopt otherwise.
std::optional<std::string> address_literal(const std::string& domain) {
  if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return std::nullopt;
  std::string inner = domain.substr(1, domain.size() - 2);
  if (inner.size() > 5 && (inner.compare(0, 5, "ipv6:") == 0 || inner.compare(0, 5, "IPv6:") == 0)) inner = inner.substr(5);
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(inner, ec);
  if (ec) return std::nullopt;
  return a.to_string();
}
}  // namespace

net::awaitable<void> Router::add_host(Routes& out, const std::string& host, uint16_t port, smtpc::TlsPolicy tls,
                                      const std::optional<smtpc::Credentials>& auth, bool relay, std::string& error,
                                      bool& nxdomain) {
  boost::system::error_code ec;
  auto literal = boost::asio::ip::make_address(host, ec);
  std::vector<std::string> addresses;
  if (!ec) {
    addresses.push_back(literal.to_string());
  } else {
    auto answer = co_await resolver_.addresses(host);
    if (answer.status == dns::Status::ok) {
      for (const auto& a : answer.records) addresses.push_back(a.to_string());
    } else {
      if (answer.status == dns::Status::nxdomain) nxdomain = true;
      error = answer.error.empty() ? host + ": no address" : answer.error;
    }
  }
  for (const auto& a : addresses) {
    if (out.hops.size() >= options_.max_mx_addresses) break;
    out.hops.push_back(Hop{host, a, port, tls, auth, relay});
  }
}

net::awaitable<Routes> Router::by_mx(const std::string& domain, uint16_t port, smtpc::TlsPolicy tls,
                                     const std::optional<smtpc::Credentials>& auth, bool relay) {
  Routes out;
  auto answer = co_await resolver_.mx(domain);
  auto plan = dns::plan_mx(domain, answer, rng_);
  using Kind = dns::Plan::Kind;
  if (plan.kind == Kind::null_mx) {
    out.permanent = true;
    out.code = "5.1.10";
    out.error = "Domain " + domain + " does not accept mail (null MX)";
    co_return out;
  }
  if (plan.kind == Kind::nxdomain) {
    out.permanent = true;
    out.code = "5.1.2";
    out.error = "Host or domain name not found. Name service error for name=" + domain + " type=MX: Host not found";
    co_return out;
  }
  if (plan.kind == Kind::tempfail) {
    out.code = "4.4.3";
    out.error = "Host or domain name not found. Name service error for name=" + domain +
                " type=MX: Host not found, try again" + (plan.error.empty() ? "" : " (" + plan.error + ")");
    co_return out;
  }
  std::string error;
  bool nxdomain = false;
  bool implicit_only = true;
  for (const auto& t : plan.targets) {
    if (out.hops.size() >= options_.max_mx_addresses) break;
    if (!t.implicit) implicit_only = false;
    co_await add_host(out, t.host, port, tls, auth, relay, error, nxdomain);
  }
  if (out.hops.empty()) {
    // No MX and the domain has no address either: nothing will ever answer.
    out.permanent = implicit_only && nxdomain;
    out.code = out.permanent ? "5.1.2" : "4.4.3";
    out.error = "no address for the mail servers of " + domain + (error.empty() ? "" : ": " + error);
  }
  co_return out;
}

net::awaitable<Routes> Router::route(const std::string& domain) {
  if (auto literal = address_literal(domain)) {
    Routes out;
    out.hops.push_back(Hop{domain, *literal, options_.port, options_.tls, std::nullopt, false});
    co_return out;
  }
  const Relay* relay = nullptr;
  if (auto it = options_.routes.find(domain); it != options_.routes.end()) {
    relay = &it->second;
  } else if (options_.relayhost) {
    relay = &*options_.relayhost;
  }
  if (relay && !relay->host.empty()) {
    if (relay->mx_lookup) {
      Routes r = co_await by_mx(relay->host, relay->port, relay->tls, relay->auth, true);
      co_return r;
    }
    Routes out;
    std::string error;
    bool nxdomain = false;
    co_await add_host(out, relay->host, relay->port, relay->tls, relay->auth, true, error, nxdomain);
    if (out.hops.empty()) {
      out.code = "4.4.3";  // a configured relay that does not resolve is ours to fix: retried
      out.error = "relay host " + relay->host + " not found: " + error;
    }
    co_return out;
  }
  // A route with an empty relayhost sends this domain by MX under its own TLS policy.
  const smtpc::TlsPolicy tls = relay ? relay->tls : options_.tls;
  Routes r = co_await by_mx(domain, options_.port, tls, std::nullopt, false);
  co_return r;
}

}  // namespace mail::mta
