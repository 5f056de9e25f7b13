// SPDX-License-Identifier: Apache-2.0
// Argon2id hashing and verification over libargon2; salts from OpenSSL.
// Trusts: libargon2 for constant-time comparison of the derived hash.
#include "mail/directory/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mail::directory {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// Holds one hashing slot for the scope.
class Slot {
 public:
  explicit Slot(std::counting_semaphore<>& s) : s_(s) { s_.acquire(); }
  ~Slot() { s_.release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::counting_semaphore<>& s_;
};

}  // namespace

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  if (params_.t_cost < 1 || params_.t_cost > 100) throw std::invalid_argument("argon2 t_cost must be 1..100");
  if (params_.parallelism < 1 || params_.parallelism > 64) throw std::invalid_argument("argon2 parallelism must be 1..64");
  if (params_.m_cost_kib < 8 * params_.parallelism || params_.m_cost_kib > 4u * 1024 * 1024)
    throw std::invalid_argument("argon2 m_cost must be 8*parallelism..4194304 KiB");
  uint32_t slots = params_.max_concurrent ? params_.max_concurrent : std::max(1u, std::thread::hardware_concurrency());
  if (slots > 1024) throw std::invalid_argument("argon2 max_concurrent must be at most 1024");
  slots_ = std::make_unique<std::counting_semaphore<>>(static_cast<std::ptrdiff_t>(slots));
  prefix_ = "$argon2id$v=19$m=" + std::to_string(params_.m_cost_kib) + ",t=" + std::to_string(params_.t_cost) +
            ",p=" + std::to_string(params_.parallelism) + "$";
  dummy_ = hash("dummy password for timing equalization");
}

PasswordHasher::~PasswordHasher() = default;

std::string PasswordHasher::hash(std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) throw std::invalid_argument("password too long");
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("RAND_bytes failed");
  size_t len = argon2_encodedlen(params_.t_cost, params_.m_cost_kib, params_.parallelism, kSaltBytes, kHashBytes,
                                 Argon2_id);
  std::vector<char> out(len + 1, '\0');
  Slot slot(*slots_);
  int rc = argon2id_hash_encoded(params_.t_cost, params_.m_cost_kib, params_.parallelism, password.data(),
                                 password.size(), salt, sizeof salt, kHashBytes, out.data(), out.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(out.data());
}

bool PasswordHasher::verify(std::string_view encoded, std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) return false;
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  std::string z(encoded);  // libargon2 wants a NUL-terminated string
  Slot slot(*slots_);
  return argon2id_verify(z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void PasswordHasher::verify_dummy(std::string_view password) const {
  (void)verify(dummy_, password);
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const {
  return encoded.rfind(prefix_, 0) != 0;
}

}  // namespace mail::directory
