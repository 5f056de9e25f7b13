// SPDX-License-Identifier: Apache-2.0
// Pool: a bounded set of libpqxx connections shared by a process's blocking
// worker threads (never used from an I/O thread). Connections open lazily and
// are replaced when libpqxx reports them broken.
// Errors: PoolTimeout when no connection frees up in time; pqxx exceptions
// from the callback propagate to the caller (the adapter converts them).
#pragma once
#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace mail::pg {

struct PoolTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Pool {
 public:
  Pool(std::string conninfo, size_t size, std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10));
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<pqxx::connection> c) : pool_(pool), conn_(std::move(c)) {}
    Lease(Lease&& o) noexcept = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    /// Drop the connection instead of returning it (after a broken connection).
    void discard() { conn_.reset(); }

   private:
    Pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  Lease acquire();

  /// Run f(connection&) with a pooled connection; retries once on a broken
  /// connection (safe: f is expected to run one whole transaction).
  template <class F>
  auto with(F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    for (int attempt = 0;; ++attempt) {
      Lease lease = acquire();
      try {
        return f(*lease);
      } catch (const pqxx::broken_connection&) {
        lease.discard();
        if (attempt >= 1) throw;
      }
    }
  }

  /// Quick liveness check for /readyz.
  bool ping();
  const std::string& conninfo() const { return conninfo_; }

 private:
  void give_back(std::unique_ptr<pqxx::connection> c);

  std::string conninfo_;
  size_t size_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;  // connections checked out or idle
};

}  // namespace mail::pg
