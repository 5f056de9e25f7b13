// SPDX-License-Identifier: Apache-2.0
// answer.h: what a DNS lookup comes back with, shared by the resolver
// (resolver.h, which fills it from the wire) and the pure MX planner
// (mx_plan.h, which turns it into hosts to try). No I/O here.
//
// The one distinction that matters to the caller is permanent against
// temporary: nxdomain and nodata are answers from the DNS and a bounce may
// follow from them; tempfail is everything that is not an answer (SERVFAIL,
// REFUSED, a timeout, no server reachable, a malformed reply, the resolver
// shutting down), after which the caller retries later.
//
// Trusts: nothing; these are plain values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mail::dns {

enum class Status {
  ok,        ///< records found (records is not empty)
  nxdomain,  ///< the name does not exist (NXDOMAIN), or is not a valid domain name
  nodata,    ///< the name exists but has no records of the type asked for
  tempfail,  ///< no answer: SERVFAIL, REFUSED, timeout, network error, malformed reply
};

/// "ok", "nxdomain", "nodata", "tempfail" (for logs).
const char* to_string(Status status);

/// One MX record as it came from the DNS. The resolver gives the host
/// lower-cased without the trailing dot, and the root (the host of a null
/// MX, RFC 7505) as "."; plan_mx() normalizes again whatever it is given.
struct MxRecord {
  uint16_t preference = 0;
  std::string host;
  bool operator==(const MxRecord&) const = default;
};

/// The outcome of one lookup. `records` is empty unless status is ok.
/// `error` is a short human-readable line for logs and DSNs, naming the
/// name and the query type ("example.test MX: SERVFAIL"); empty on success
/// unless something was ignored (records with unusable host names).
template <class T>
struct Answer {
  Status status = Status::tempfail;
  std::vector<T> records;
  std::string error;
};

}  // namespace mail::dns
