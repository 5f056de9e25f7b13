// SPDX-License-Identifier: Apache-2.0
// mail-migrate: applies the numbered SQL migrations (migrations/NNN_name.sql)
// that are not yet recorded in public.schema_migrations, each in its own
// transaction, in order, under an advisory lock so that concurrent runners
// (several compose replicas, a Helm hook retry) apply each exactly once.
// The one migration tool: local runs, compose and the Helm hook all use it.
// Trusts: the migration files (they run with the owner's rights).
// Usage: mail-migrate [--db CONNINFO] [--dir DIR] [--status]
//        CONNINFO defaults to $MAIL_DB_URL; DIR to $MAIL_MIGRATIONS_DIR or ./migrations.
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Migration {
  int version;
  std::string name;
  fs::path path;
};

std::vector<Migration> list_migrations(const fs::path& dir) {
  std::vector<Migration> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".sql") continue;
    std::string file = e.path().filename().string();
    size_t us = file.find('_');
    if (us == std::string::npos || us == 0) continue;
    std::string num = file.substr(0, us);
    if (!std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    out.push_back({std::stoi(num), file.substr(us + 1, file.size() - us - 5), e.path()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i].version == out[i - 1].version)
      throw std::runtime_error("two migrations numbered " + std::to_string(out[i].version));
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = std::getenv("MAIL_DB_URL") ? std::getenv("MAIL_DB_URL") : "";
  std::string dir = std::getenv("MAIL_MIGRATIONS_DIR") ? std::getenv("MAIL_MIGRATIONS_DIR") : "migrations";
  bool status_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) db = argv[++i];
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--status") status_only = true;
    else {
      std::cerr << "usage: mail-migrate [--db CONNINFO] [--dir DIR] [--status]\n";
      return 2;
    }
  }
  if (db.empty()) {
    std::cerr << "mail-migrate: no database: set --db or MAIL_DB_URL\n";
    return 2;
  }
  try {
    auto migrations = list_migrations(dir);
    pqxx::connection conn(db);
    {
      pqxx::work tx(conn);
      tx.exec(
          "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
          " version integer PRIMARY KEY, name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      tx.commit();
    }
    int applied = 0;
    for (const auto& m : migrations) {
      pqxx::work tx(conn);
      // Serialize runners; the lock is released at commit.
      tx.exec("SELECT pg_advisory_xact_lock(727274)");
      auto r = tx.exec_params("SELECT 1 FROM public.schema_migrations WHERE version = $1", m.version);
      if (!r.empty()) continue;
      if (status_only) {
        std::cout << "pending " << m.version << " " << m.name << "\n";
        continue;
      }
      tx.exec(read_file(m.path));
      tx.exec_params("INSERT INTO public.schema_migrations(version, name) VALUES ($1, $2)", m.version, m.name);
      tx.commit();
      std::cout << "applied " << m.version << " " << m.name << "\n";
      ++applied;
    }
    if (!status_only) std::cout << "schema up to date (" << applied << " applied, " << migrations.size() << " known)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mail-migrate: " << e.what() << "\n";
    return 1;
  }
}
