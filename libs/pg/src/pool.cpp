// SPDX-License-Identifier: Apache-2.0
#include "mail/pg/pool.h"

namespace mail::pg {

Pool::Pool(std::string conninfo, size_t size, std::chrono::milliseconds acquire_timeout)
    : conninfo_(std::move(conninfo)), size_(size == 0 ? 1 : size), timeout_(acquire_timeout) {}

Pool::Lease::~Lease() {
  if (pool_) pool_->give_back(std::move(conn_));
}

Pool::Lease Pool::acquire() {
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, timeout_, [&] { return !idle_.empty() || open_ < size_; }))
    throw PoolTimeout("no database connection free within the timeout");
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(c));
  }
  ++open_;
  lk.unlock();
  try {
    return Lease(this, std::make_unique<pqxx::connection>(conninfo_));
  } catch (...) {
    std::lock_guard g(mu_);
    --open_;
    cv_.notify_one();
    throw;
  }
}

void Pool::give_back(std::unique_ptr<pqxx::connection> c) {
  std::lock_guard g(mu_);
  if (c && c->is_open())
    idle_.push_back(std::move(c));
  else
    --open_;
  cv_.notify_one();
}

bool Pool::ping() {
  try {
    return with([](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      tx.exec("SELECT 1");
      return true;
    });
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace mail::pg
