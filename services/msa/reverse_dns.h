// SPDX-License-Identifier: Apache-2.0
// reverse_dns: the client's forward-confirmed host name for the Received
// field, as Postfix reports it: the PTR name only when that name resolves
// back to the same address, else "" (written as "unknown").
// Blocking (getnameinfo / getaddrinfo through the system resolver): call it
// through net::offload. Trusts nothing from DNS: the name is checked for
// host-name characters before use.
#pragma once
#include <string>

namespace mail::msa {

/// "" when there is no PTR record, the name does not map back to `ip`, or
/// the name has characters that are not allowed in a host name.
std::string verified_reverse_name(const std::string& ip);

}  // namespace mail::msa
