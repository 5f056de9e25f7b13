// SPDX-License-Identifier: Apache-2.0
// resolve(): which mailboxes does a local envelope recipient deliver to?
// Used in-process by the mda inside its delivery transaction (it has SELECT on
// the directory schema), so it takes the caller's transaction and throws the
// caller's libpqxx exceptions; it never writes.
//
// Rules, in order, for an address (and again for every alias target):
//   1. an account with that address            -> that account
//   2. an alias with that address               -> its targets, expanded recursively
//   3. the same two for the address without its subaddress
//      ("user+tag@d" -> "user@d", separators configurable)
//   4. postmaster@ / abuse@ (RFC 2142) of a local domain with no account or
//      alias of that name -> the platform's postmaster (ResolveOptions,
//      resolved by these same rules); unknown when none is configured
//   5. otherwise unknown; a target outside our domains is listed in `remote`.
// Disabled accounts still receive mail (disabled only stops logins).
// An alias met again on its own expansion path, or nesting deeper than
// max_depth, makes the whole answer `loop` (a permanent failure, 5.4.6).
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::directory {

struct ResolveOptions {
  std::string subaddress_separators = "+";
  int max_depth = 10;
  size_t max_expansions = 1000;  ///< addresses looked up per call; beyond -> loop
  /// Where postmaster@ and abuse@ of a domain without their own alias go
  /// (directory.postmaster); empty: nowhere, they are unknown.
  std::string postmaster;
};

enum class ResolveStatus {
  ok,         ///< at least one account or remote target
  unknown,    ///< a local domain, but nothing delivers there
  loop,       ///< alias cycle or nesting too deep
  not_local,  ///< the address itself is not in one of our domains
  invalid,    ///< not an address
};

const char* to_string(ResolveStatus status);

struct ResolvedAccount {
  int64_t account_id = 0;
  std::string address;       ///< the account's address (the final mailbox)
  uint64_t quota_bytes = 0;  ///< 0 = unlimited
};

struct Resolution {
  ResolveStatus status = ResolveStatus::unknown;
  std::vector<ResolvedAccount> accounts;  ///< de-duplicated, in discovery order
  std::vector<std::string> remote;        ///< alias targets outside our domains (forwarding)
  std::vector<std::string> unknown;       ///< local alias targets that do not exist
};

/// Only status ok carries accounts/remote; any other status leaves them empty.
Resolution resolve(pqxx::transaction_base& tx, std::string_view address, const ResolveOptions& options = {});

}  // namespace mail::directory
