// SPDX-License-Identifier: Apache-2.0
// resolver.h: the asynchronous DNS resolver of the outbound MTA, on c-ares.
// MX lookups and A/AAAA lookups as awaitables; what to do with an MX answer
// (order, shuffling, null MX, implicit MX) is mx_plan.h's business.
//
// One c-ares channel per Resolver, driven from Asio: c-ares' sockets are
// watched with posix::stream_descriptor waits and its retransmissions by a
// steady_timer, all on one strand of the Resolver, so no thread ever blocks
// in the resolver and the channel is never used by two threads at once.
// Each lookup also has a deadline of its own (timeout x tries x servers),
// because c-ares doubles its per-try timeout on every round.
//
// Trusts: nothing from the network. Answers are parsed by c-ares; at most
// kMaxMxRecords MX records and kMaxAddresses addresses per family are kept;
// MX hosts that are not valid host names are dropped (Answer::error says
// so). Names that are not valid host names are not sent at all (nxdomain).
// Diagnostics: Answer::status, and Answer::error naming the name, the query
// type and the cause ("example.test MX: SERVFAIL", "... timed out after
// 10000 ms"). Never throws on the data path; the constructor throws
// common::ConfigError for a bad server address, std::runtime_error when
// c-ares cannot start.
//
// Threading: mx() and addresses() may be called from any coroutine on any
// thread; the result is delivered on the awaiting coroutine's executor.
// The Resolver must be destroyed before the io_context its executor belongs
// to. Destroying it while lookups are in flight completes them with
// tempfail ("resolver shut down").
#pragma once
#include "mail/dns/answer.h"
#include "mail/net/asio.h"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace mail::dns {

inline constexpr size_t kMaxMxRecords = 50;
inline constexpr size_t kMaxAddresses = 32;  ///< per family

struct ResolverOptions {
  /// DNS servers, tried in order: "127.0.0.1:5353", "[::1]:53",
  /// "192.0.2.1", "2001:db8::53" (port 53 when none is given). Empty: the
  /// system's (/etc/resolv.conf, as c-ares reads it).
  std::vector<std::string> servers;
  /// Per try of one server (c-ares' first round; see the deadline above).
  std::chrono::milliseconds timeout{5000};
  /// Rounds over the servers, at least 1.
  int tries = 2;
};

class Resolver {
 public:
  /// The resolver's own strand is made on `ex`.
  Resolver(net::Executor ex, ResolverOptions opts);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// The MX records of `domain` (IN MX, no search list), in the order the
  /// server gave them; the root host of a null MX is ".".
  net::awaitable<Answer<MxRecord>> mx(std::string domain);

  /// The addresses of `host`: A and AAAA, both queried at once; IPv4 first.
  /// ok when either gave addresses (error then notes a failed half);
  /// otherwise tempfail if either failed, nxdomain if both said NXDOMAIN,
  /// else nodata.
  net::awaitable<Answer<boost::asio::ip::address>> addresses(std::string host);

  /// How long a lookup may take at most before it is tempfail: timeout x
  /// tries x the number of servers.
  std::chrono::milliseconds deadline() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mail::dns
