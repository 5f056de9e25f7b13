// SPDX-License-Identifier: Apache-2.0
// exec(): run a parameterized statement as a prepared statement named after
// a hash of its text, so that each connection parses and plans it once.
// Hot paths (queue intake, leases, delivery, POP3) call this instead of
// exec_params: on a busy platform PostgreSQL's parse and plan work per
// statement is a large share of its CPU. libpqxx 6 prepares lazily, on first
// use per connection, and re-registering the same text is a no-op.
#pragma once
#include <pqxx/pqxx>

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace mail::pg {

/// The statement's name: "s" + 16 hex digits of a 64-bit FNV-1a hash of its text.
inline std::string statement_name(std::string_view sql) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : sql) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "s%016llx", static_cast<unsigned long long>(h));
  return buf;
}

template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  const std::string name = statement_name(sql);
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace mail::pg
