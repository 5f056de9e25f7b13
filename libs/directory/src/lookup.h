// SPDX-License-Identifier: Apache-2.0
// lookup(): what one normalized address is in the directory (internal; shared by
// resolve() and PgDirectory::check_recipient so both apply the same rules).
// Trusts: the caller to pass a normalized address; the transaction to be open.
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::directory::detail {

struct Entry {
  enum class Kind {
    not_local,  ///< domain is not one of ours
    none,       ///< local domain, nothing by that name
    account,    ///< an account (possibly after subaddress removal)
    alias,      ///< an alias; `address` is the alias key to expand
    role,       ///< postmaster/abuse with no account or alias of that name (RFC 2142)
  };
  Kind kind = Kind::none;
  std::string address;  ///< the matched key (account or alias address)
  int64_t account_id = 0;
  uint64_t quota_bytes = 0;
  bool disabled = false;
};

Entry lookup(pqxx::transaction_base& tx, const std::string& normalized, std::string_view separators);

std::vector<std::string> alias_targets(pqxx::transaction_base& tx, const std::string& alias);

}  // namespace mail::directory::detail
