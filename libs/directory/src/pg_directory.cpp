// SPDX-License-Identifier: Apache-2.0
// PgDirectory: domains, accounts, aliases and the edges' questions over libpqxx.
// Trusts: nothing in its arguments (validated and normalized here), the
// database schema of migrations/001_init.sql. Every libpqxx exception is
// converted to a Result error in guarded(); nothing else escapes.
#include "mail/directory/pg_directory.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "lookup.h"
#include "mail/common/strings.h"
#include "mail/directory/names.h"
#include "mail/pg/guarded.h"

namespace mail::directory {
namespace {

constexpr uint64_t kMaxQuota = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Untrusted text echoed in an error message: bounded.
std::string shown(std::string_view s) {
  constexpr size_t kMax = 100;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > kMax) out += "...";
  return out;
}

using pg::first_line;
using pg::guarded;

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }
Error not_found(std::string message) { return Error{ErrorCode::not_found, std::move(message)}; }

// Password rules shared by add_account and set_password.
std::optional<Error> check_password(std::string_view password) {
  if (password.empty()) return invalid("the password must not be empty");
  if (password.size() > kMaxPasswordBytes)
    return invalid("the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
  return std::nullopt;
}

constexpr const char* kAccountColumns =
    "SELECT a.id, a.address, a.quota_bytes, a.disabled, GREATEST(COALESCE(u.bytes, 0), 0), "
    "GREATEST(COALESCE(u.messages, 0), 0) "
    "FROM directory.accounts a LEFT JOIN store.quota_usage u ON u.account_id = a.id ";

AccountInfo account_from_row(const pqxx::row& r) {
  AccountInfo a;
  a.id = r[0].as<int64_t>();
  a.address = r[1].as<std::string>();
  a.quota_bytes = r[2].as<uint64_t>();
  a.disabled = r[3].as<bool>();
  a.used_bytes = r[4].as<uint64_t>();
  a.messages = r[5].as<uint64_t>();
  return a;
}

std::optional<int64_t> domain_id(pqxx::transaction_base& tx, const std::string& name, bool lock = false) {
  pqxx::result r = tx.exec_params(
      std::string("SELECT id FROM directory.domains WHERE name = $1") + (lock ? " FOR UPDATE" : ""), name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int64_t>();
}

}  // namespace

PgDirectory::PgDirectory(pg::Pool& pool, DirectoryOptions options)
    : pool_(pool), options_(std::move(options)), hasher_(options_.argon2) {}

bool PgDirectory::ready() { return pool_.ping(); }

// ---- domains ---------------------------------------------------------------

Result<DomainInfo> PgDirectory::add_domain(std::string_view name) {
  std::string d = normalize_local_domain(name);
  if (d.empty()) return invalid("invalid domain name: " + shown(name) + " (IDNs must be given as xn-- A-labels)");
  return guarded([&]() -> Result<DomainInfo> {
    return pool_.with([&](pqxx::connection& c) -> Result<DomainInfo> {
      pqxx::work tx(c);
      pqxx::result r = tx.exec_params(
          "INSERT INTO directory.domains(name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id", d);
      if (r.empty()) return Error{ErrorCode::already_exists, "domain " + d + " already exists"};
      tx.commit();
      return DomainInfo{r[0][0].as<int64_t>(), d, 0};
    });
  });
}

Status PgDirectory::delete_domain(std::string_view name, bool force) {
  std::string d = common::normalize_domain(name);
  if (d.empty()) return invalid("invalid domain name: " + shown(name));
  return guarded([&]() -> Status {
    return pool_.with([&](pqxx::connection& c) -> Status {
      pqxx::work tx(c);
      auto id = domain_id(tx, d, /*lock=*/true);  // blocks concurrent account inserts (FK key-share lock)
      if (!id) return not_found("domain " + d + " does not exist");
      const int64_t n =
          tx.exec_params1("SELECT count(*) FROM directory.accounts WHERE domain_id = $1", *id)[0].as<int64_t>();
      const int64_t aliases =
          tx.exec_params1("SELECT count(DISTINCT address) FROM directory.aliases WHERE domain_id = $1", *id)[0]
              .as<int64_t>();
      if ((n > 0 || aliases > 0) && !force) {
        // Aliases go with the domain (ON DELETE CASCADE): never without a word.
        std::string what;
        if (n > 0) what = std::to_string(n) + (n == 1 ? " account" : " accounts");
        if (aliases > 0)
          what += (what.empty() ? "" : " and ") + std::to_string(aliases) + (aliases == 1 ? " alias" : " aliases");
        return Error{ErrorCode::failed_precondition, "domain " + d + " still has " + what};
      }
      tx.exec_params("DELETE FROM directory.domains WHERE id = $1", *id);
      tx.commit();
      return Done{};
    });
  });
}

Result<std::vector<DomainInfo>> PgDirectory::list_domains() {
  return guarded([&]() -> Result<std::vector<DomainInfo>> {
    return pool_.with([&](pqxx::connection& c) -> Result<std::vector<DomainInfo>> {
      pqxx::read_transaction tx(c);
      std::vector<DomainInfo> out;
      for (const auto& r : tx.exec(
               "SELECT d.id, d.name, count(a.id) FROM directory.domains d "
               "LEFT JOIN directory.accounts a ON a.domain_id = d.id GROUP BY d.id, d.name ORDER BY d.name"))
        out.push_back(DomainInfo{r[0].as<int64_t>(), r[1].as<std::string>(), r[2].as<uint64_t>()});
      return out;
    });
  });
}

// ---- accounts --------------------------------------------------------------

Result<AccountInfo> PgDirectory::add_account(std::string_view address, std::string_view password,
                                             uint64_t quota_bytes) {
  std::string a = normalize_local_address(address);
  if (a.empty()) return invalid("invalid account address: " + shown(address));
  if (auto e = check_password(password)) return *e;
  if (quota_bytes > kMaxQuota) return invalid("quota too large");
  return guarded([&]() -> Result<AccountInfo> {
    std::string hash = hasher_.hash(password);  // before taking a connection
    return pool_.with([&](pqxx::connection& c) -> Result<AccountInfo> {
      pqxx::work tx(c);
      std::string d(common::address_domain(a));
      auto did = domain_id(tx, d);
      if (!did) return not_found("domain " + d + " does not exist");
      if (!tx.exec_params("SELECT 1 FROM directory.aliases WHERE address = $1 LIMIT 1", a).empty())
        return Error{ErrorCode::already_exists, a + " already exists as an alias"};
      pqxx::result r = tx.exec_params(
          "INSERT INTO directory.accounts(domain_id, address, password_hash, quota_bytes) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (address) DO NOTHING RETURNING id",
          *did, a, hash, static_cast<int64_t>(quota_bytes));
      if (r.empty()) return Error{ErrorCode::already_exists, "account " + a + " already exists"};
      tx.commit();
      AccountInfo info;
      info.id = r[0][0].as<int64_t>();
      info.address = a;
      info.quota_bytes = quota_bytes;
      return info;
    });
  });
}

Status PgDirectory::delete_account(std::string_view address) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid address: " + shown(address));
  return guarded([&]() -> Status {
    return pool_.with([&](pqxx::connection& c) -> Status {
      pqxx::work tx(c);
      if (tx.exec_params("DELETE FROM directory.accounts WHERE address = $1 RETURNING id", a).empty())
        return not_found("account " + a + " does not exist");
      tx.exec_params("DELETE FROM directory.aliases WHERE target = $1", a);
      tx.commit();
      return Done{};
    });
  });
}

Result<AccountInfo> PgDirectory::get_account(std::string_view address) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid address: " + shown(address));
  return guarded([&]() -> Result<AccountInfo> {
    return pool_.with([&](pqxx::connection& c) -> Result<AccountInfo> {
      pqxx::read_transaction tx(c);
      pqxx::result r = tx.exec_params(std::string(kAccountColumns) + "WHERE a.address = $1", a);
      if (r.empty()) return not_found("account " + a + " does not exist");
      return account_from_row(r[0]);
    });
  });
}

Result<std::vector<AccountInfo>> PgDirectory::list_accounts(std::string_view domain) {
  std::string d;
  if (!domain.empty()) {
    d = common::normalize_domain(domain);
    if (d.empty()) return invalid("invalid domain name: " + shown(domain));
  }
  return guarded([&]() -> Result<std::vector<AccountInfo>> {
    return pool_.with([&](pqxx::connection& c) -> Result<std::vector<AccountInfo>> {
      pqxx::read_transaction tx(c);
      pqxx::result rows;
      if (d.empty()) {
        rows = tx.exec(std::string(kAccountColumns) + "ORDER BY a.address");
      } else {
        auto did = domain_id(tx, d);
        if (!did) return not_found("domain " + d + " does not exist");
        rows = tx.exec_params(std::string(kAccountColumns) + "WHERE a.domain_id = $1 ORDER BY a.address", *did);
      }
      std::vector<AccountInfo> out;
      out.reserve(rows.size());
      for (const auto& r : rows) out.push_back(account_from_row(r));
      return out;
    });
  });
}

Status PgDirectory::set_password(std::string_view address, std::string_view password) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid address: " + shown(address));
  if (auto e = check_password(password)) return *e;
  return guarded([&]() -> Status {
    std::string hash = hasher_.hash(password);
    return pool_.with([&](pqxx::connection& c) -> Status {
      pqxx::work tx(c);
      pqxx::result r =
          tx.exec_params("UPDATE directory.accounts SET password_hash = $2 WHERE address = $1", a, hash);
      if (r.affected_rows() == 0) return not_found("account " + a + " does not exist");
      tx.commit();
      return Done{};
    });
  });
}

Result<AccountInfo> PgDirectory::set_quota(std::string_view address, uint64_t quota_bytes) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid address: " + shown(address));
  if (quota_bytes > kMaxQuota) return invalid("quota too large");
  return guarded([&]() -> Result<AccountInfo> {
    return pool_.with([&](pqxx::connection& c) -> Result<AccountInfo> {
      pqxx::work tx(c);
      pqxx::result u = tx.exec_params("UPDATE directory.accounts SET quota_bytes = $2 WHERE address = $1", a,
                                      static_cast<int64_t>(quota_bytes));
      if (u.affected_rows() == 0) return not_found("account " + a + " does not exist");
      pqxx::result r = tx.exec_params(std::string(kAccountColumns) + "WHERE a.address = $1", a);
      tx.commit();
      return account_from_row(r.at(0));
    });
  });
}

Result<AccountInfo> PgDirectory::set_disabled(std::string_view address, bool disabled) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid address: " + shown(address));
  return guarded([&]() -> Result<AccountInfo> {
    return pool_.with([&](pqxx::connection& c) -> Result<AccountInfo> {
      pqxx::work tx(c);
      pqxx::result u = tx.exec_params("UPDATE directory.accounts SET disabled = $2 WHERE address = $1", a, disabled);
      if (u.affected_rows() == 0) return not_found("account " + a + " does not exist");
      pqxx::result r = tx.exec_params(std::string(kAccountColumns) + "WHERE a.address = $1", a);
      tx.commit();
      return account_from_row(r.at(0));
    });
  });
}

// ---- aliases ---------------------------------------------------------------

Result<AliasInfo> PgDirectory::add_alias(std::string_view address, const std::vector<std::string>& targets) {
  std::string a = normalize_local_address(address);
  if (a.empty()) return invalid("invalid alias address: " + shown(address));
  if (targets.empty()) return invalid("alias " + a + " needs at least one target");
  if (targets.size() > options_.max_alias_targets)
    return invalid("too many targets (at most " + std::to_string(options_.max_alias_targets) + ")");
  std::vector<std::string> norm;
  std::set<std::string> seen;
  for (const auto& t : targets) {
    std::string n = common::normalize_address(t);
    if (n.empty()) return invalid("invalid alias target: " + shown(t));
    if (n == a) return invalid("alias " + a + " cannot target itself");
    if (seen.insert(n).second) norm.push_back(n);
  }
  return guarded([&]() -> Result<AliasInfo> {
    return pool_.with([&](pqxx::connection& c) -> Result<AliasInfo> {
      pqxx::work tx(c);
      std::string d(common::address_domain(a));
      auto did = domain_id(tx, d);
      if (!did) return not_found("domain " + d + " does not exist");
      if (!tx.exec_params("SELECT 1 FROM directory.accounts WHERE address = $1", a).empty())
        return Error{ErrorCode::already_exists, a + " already exists as an account"};
      size_t added = 0;
      for (const auto& t : norm) {
        pqxx::result r = tx.exec_params(
            "INSERT INTO directory.aliases(domain_id, address, target) VALUES ($1, $2, $3) "
            "ON CONFLICT (address, target) DO NOTHING",
            *did, a, t);
        added += r.affected_rows();
      }
      AliasInfo info{a, detail::alias_targets(tx, a)};
      if (added == 0)
        return Error{ErrorCode::already_exists,
                     norm.size() == 1 ? "alias " + a + " -> " + norm[0] + " already exists"
                                      : "alias " + a + " already has these targets"};
      if (info.targets.size() > options_.max_alias_targets)
        return invalid("alias " + a + " would have more than " + std::to_string(options_.max_alias_targets) +
                       " targets");
      tx.commit();
      return info;
    });
  });
}

Status PgDirectory::delete_alias(std::string_view address, std::string_view target) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid alias address: " + shown(address));
  std::string t;
  if (!target.empty()) {
    t = common::normalize_address(target);
    if (t.empty()) return invalid("invalid alias target: " + shown(target));
  }
  return guarded([&]() -> Status {
    return pool_.with([&](pqxx::connection& c) -> Status {
      pqxx::work tx(c);
      pqxx::result r =
          t.empty() ? tx.exec_params("DELETE FROM directory.aliases WHERE address = $1", a)
                    : tx.exec_params("DELETE FROM directory.aliases WHERE address = $1 AND target = $2", a, t);
      if (r.affected_rows() == 0)
        return not_found(t.empty() ? "alias " + a + " does not exist" : "alias " + a + " has no target " + t);
      tx.commit();
      return Done{};
    });
  });
}

Result<std::vector<AliasInfo>> PgDirectory::list_aliases(std::string_view domain) {
  std::string d;
  if (!domain.empty()) {
    d = common::normalize_domain(domain);
    if (d.empty()) return invalid("invalid domain name: " + shown(domain));
  }
  return guarded([&]() -> Result<std::vector<AliasInfo>> {
    return pool_.with([&](pqxx::connection& c) -> Result<std::vector<AliasInfo>> {
      pqxx::read_transaction tx(c);
      pqxx::result rows;
      if (d.empty()) {
        rows = tx.exec("SELECT address, target FROM directory.aliases ORDER BY address, target");
      } else {
        auto did = domain_id(tx, d);
        if (!did) return not_found("domain " + d + " does not exist");
        rows = tx.exec_params(
            "SELECT address, target FROM directory.aliases WHERE domain_id = $1 ORDER BY address, target", *did);
      }
      std::vector<AliasInfo> out;
      for (const auto& r : rows) {
        std::string addr = r[0].as<std::string>();
        if (out.empty() || out.back().address != addr) out.push_back(AliasInfo{addr, {}});
        out.back().targets.push_back(r[1].as<std::string>());
      }
      return out;
    });
  });
}

// ---- questions -------------------------------------------------------------

Result<std::optional<AuthResult>> PgDirectory::authenticate(std::string_view username, std::string_view password) {
  using Reply = Result<std::optional<AuthResult>>;
  std::string a = common::normalize_address(username);
  if (a.empty() || password.empty() || password.size() > kMaxPasswordBytes) {
    hasher_.verify_dummy(password);
    return std::optional<AuthResult>{};
  }
  struct Row {
    int64_t id;
    std::string hash;
    bool disabled;
  };
  auto fetched = guarded([&]() -> Result<std::optional<Row>> {
    return pool_.with([&](pqxx::connection& c) -> Result<std::optional<Row>> {
      pqxx::read_transaction tx(c);
      pqxx::result r =
          tx.exec_params("SELECT id, password_hash, disabled FROM directory.accounts WHERE address = $1", a);
      if (r.empty()) return std::optional<Row>{};
      return std::optional<Row>(Row{r[0][0].as<int64_t>(), r[0][1].as<std::string>(), r[0][2].as<bool>()});
    });
  });
  if (!fetched) return fetched.error();
  const std::optional<Row>& row = *fetched;
  if (!row) {
    hasher_.verify_dummy(password);
    return std::optional<AuthResult>{};
  }
  // Verify even for a disabled account: the same work whatever the answer.
  bool ok = hasher_.verify(row->hash, password) && !row->disabled;
  if (!ok) return std::optional<AuthResult>{};
  if (hasher_.needs_rehash(row->hash)) {
    // Upgrade the stored hash to the current parameters; a failure here only
    // means the upgrade waits for the next login.
    (void)guarded([&]() -> Status {
      std::string fresh = hasher_.hash(password);
      return pool_.with([&](pqxx::connection& c) -> Status {
        pqxx::work tx(c);
        tx.exec_params("UPDATE directory.accounts SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
                       row->id, row->hash, fresh);
        tx.commit();
        return Done{};
      });
    });
  }
  return Reply(std::optional<AuthResult>(AuthResult{row->id, a}));
}

Result<std::vector<std::string>> PgDirectory::sender_addresses(int64_t account_id) {
  return guarded([&]() -> Result<std::vector<std::string>> {
    return pool_.with([&](pqxx::connection& c) -> Result<std::vector<std::string>> {
      pqxx::read_transaction tx(c);
      pqxx::result r = tx.exec_params("SELECT address FROM directory.accounts WHERE id = $1", account_id);
      if (r.empty()) return not_found("account " + std::to_string(account_id) + " does not exist");
      std::vector<std::string> out{r[0][0].as<std::string>()};
      for (const auto& row :
           tx.exec_params("SELECT DISTINCT address FROM directory.aliases WHERE target = $1 ORDER BY address", out[0]))
        out.push_back(row[0].as<std::string>());
      return out;
    });
  });
}

Result<RecipientCheck> PgDirectory::check_recipient(std::string_view address, uint64_t size) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return invalid("invalid address: " + shown(address));
  return guarded([&]() -> Result<RecipientCheck> {
    return pool_.with([&](pqxx::connection& c) -> Result<RecipientCheck> {
      pqxx::read_transaction tx(c);
      detail::Entry e = detail::lookup(tx, a, options_.subaddress_separators);
      RecipientCheck out{RecipientStatus::local_unknown, a};
      switch (e.kind) {
        case detail::Entry::Kind::not_local: out.status = RecipientStatus::not_local; break;
        case detail::Entry::Kind::none: out.status = RecipientStatus::local_unknown; break;
        case detail::Entry::Kind::alias:  // targets are checked at delivery
          out.status = RecipientStatus::local_ok;
          break;
        case detail::Entry::Kind::role:  // RFC 2142: to the platform's postmaster, when there is one
          out.status = options_.postmaster.empty() ? RecipientStatus::local_unknown : RecipientStatus::local_ok;
          break;
        case detail::Entry::Kind::account: {
          out.status = RecipientStatus::local_ok;
          if (e.quota_bytes == 0) break;
          pqxx::result u = tx.exec_params(
              "SELECT GREATEST(bytes, 0) FROM store.quota_usage WHERE account_id = $1", e.account_id);
          uint64_t used = u.empty() ? 0 : u[0][0].as<uint64_t>();
          // An unknown size (0) still needs one byte of room: a full mailbox is full.
          uint64_t need = std::max<uint64_t>(size, 1);
          if (size > e.quota_bytes) out.status = RecipientStatus::local_too_large;
          else if (used >= e.quota_bytes || need > e.quota_bytes - used) out.status = RecipientStatus::local_over_quota;
          break;
        }
      }
      return out;
    });
  });
}

}  // namespace mail::directory
