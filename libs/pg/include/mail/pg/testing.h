// SPDX-License-Identifier: Apache-2.0
// Test support: a throw-away database on the real PostgreSQL that scripts/test
// starts (conninfo of a superuser in $MAIL_TEST_PG), with every migration in
// migrations/ applied, dropped again at the end. Lets storage and queue tests
// run against real PostgreSQL without touching the running stack's data.
#pragma once
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mail/common/strings.h"

namespace mail::pg::testing {

inline std::string admin_conninfo() {
  const char* c = std::getenv("MAIL_TEST_PG");
  if (!c || !*c) throw std::runtime_error("MAIL_TEST_PG is not set: run the tests through scripts/test");
  return c;
}

class TempDatabase {
 public:
  explicit TempDatabase(const std::string& migrations_dir) {
    name_ = "t_" + common::random_hex(6);
    base_ = admin_conninfo();
    {
      pqxx::connection c(base_);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + name_);
    }
    conninfo_ = base_ + " dbname=" + name_;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(migrations_dir))
      if (e.path().extension() == ".sql") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    pqxx::connection c(conninfo_);
    for (const auto& f : files) {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      pqxx::work tx(c);
      tx.exec(ss.str());
      tx.commit();
    }
  }
  ~TempDatabase() {
    try {
      pqxx::connection c(base_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;
  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string base_, name_, conninfo_;
};

}  // namespace mail::pg::testing
