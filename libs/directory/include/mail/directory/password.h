// SPDX-License-Identifier: Apache-2.0
// Password hashing: Argon2id (libargon2) in the PHC string format
//   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
// with a fresh 16-byte salt from OpenSSL's RAND_bytes for every hash.
// Trusts: nothing about the password (any bytes up to kMaxPasswordBytes).
// The stored string is trusted only to be a string; a malformed one verifies false.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <semaphore>
#include <string>
#include <string_view>

namespace mail::directory {

/// Argon2id cost parameters (defaults follow the OWASP recommendation).
struct Argon2Params {
  uint32_t t_cost = 2;          ///< iterations
  uint32_t m_cost_kib = 19456;  ///< memory in KiB
  uint32_t parallelism = 1;     ///< lanes
  /// Hashes computed at once (each takes m_cost_kib of memory); more callers
  /// wait their turn. 0 = the number of CPUs.
  uint32_t max_concurrent = 0;
};

/// Longer passwords are refused before hashing (hashing cost is not bounded by
/// Argon2 itself, and no real password is this long).
inline constexpr size_t kMaxPasswordBytes = 1024;

class PasswordHasher {
 public:
  /// Throws std::invalid_argument when the parameters are out of range
  /// (start-up error). Computes one dummy hash for verify_dummy().
  explicit PasswordHasher(Argon2Params params = {});
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  /// A new encoded hash. Throws std::runtime_error if the RNG or Argon2 fail.
  std::string hash(std::string_view password) const;
  /// True only when `encoded` is an Argon2id string that matches the password.
  /// The comparison inside libargon2 is constant-time.
  bool verify(std::string_view encoded, std::string_view password) const;
  /// Spend the same time as verify() of a real account, for unknown users and
  /// disabled accounts, so the answer time does not reveal whether they exist.
  void verify_dummy(std::string_view password) const;
  /// True when `encoded` was made with other parameters than ours (rehash on login).
  bool needs_rehash(std::string_view encoded) const;

  const Argon2Params& params() const { return params_; }

 private:
  Argon2Params params_;
  std::unique_ptr<std::counting_semaphore<>> slots_;  // bounds memory: max_concurrent * m_cost
  std::string prefix_;  // "$argon2id$v=19$m=...,t=...,p=...$"
  std::string dummy_;
};

}  // namespace mail::directory
