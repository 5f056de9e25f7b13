// SPDX-License-Identifier: Apache-2.0
// One-address directory lookup: account, alias, subaddress base, RFC 2142 role.
// Reads directory.domains/accounts/aliases only (the mda's grants suffice).
#include "mail/pg/exec.h"
#include "lookup.h"

#include "mail/common/strings.h"
#include "mail/directory/names.h"

namespace mail::directory::detail {
namespace {

bool find_account(pqxx::transaction_base& tx, const std::string& address, Entry& e) {
  pqxx::result r = pg::exec(tx, 
      "SELECT id, quota_bytes, disabled FROM directory.accounts WHERE address = $1", address);
  if (r.empty()) return false;
  e.kind = Entry::Kind::account;
  e.address = address;
  e.account_id = r[0][0].as<int64_t>();
  e.quota_bytes = r[0][1].as<uint64_t>();
  e.disabled = r[0][2].as<bool>();
  return true;
}

bool find_alias(pqxx::transaction_base& tx, const std::string& address, Entry& e) {
  pqxx::result r = pg::exec(tx, "SELECT 1 FROM directory.aliases WHERE address = $1 LIMIT 1", address);
  if (r.empty()) return false;
  e.kind = Entry::Kind::alias;
  e.address = address;
  return true;
}

}  // namespace

Entry lookup(pqxx::transaction_base& tx, const std::string& normalized, std::string_view separators) {
  Entry e;
  std::string domain(common::address_domain(normalized));
  pqxx::result d = pg::exec(tx, "SELECT id FROM directory.domains WHERE name = $1", domain);
  if (d.empty()) {
    e.kind = Entry::Kind::not_local;
    return e;
  }

  if (find_account(tx, normalized, e) || find_alias(tx, normalized, e)) return e;
  std::string base = normalized;
  if (auto stripped = strip_subaddress(normalized, separators)) {
    base = *stripped;
    if (find_account(tx, base, e) || find_alias(tx, base, e)) return e;
  }
  if (is_role_local_part(common::address_local(base))) {
    e.kind = Entry::Kind::role;  // the caller sends it to the platform's postmaster, if any
    e.address = base;
    return e;
  }
  e.kind = Entry::Kind::none;
  return e;
}

std::vector<std::string> alias_targets(pqxx::transaction_base& tx, const std::string& alias) {
  std::vector<std::string> out;
  for (const auto& row : pg::exec(tx, "SELECT target FROM directory.aliases WHERE address = $1 ORDER BY target", alias))
    out.push_back(row[0].as<std::string>());
  return out;
}

}  // namespace mail::directory::detail
