// SPDX-License-Identifier: Apache-2.0
// The throttle's pure rules (throttle_rules.h), the grouping of client
// addresses and the hashing of account names (login_throttle.h).
// Trusts nothing: the address and account are any bytes from a client.
#include "throttle_rules.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "mail/common/strings.h"

namespace mail::directory {
namespace {

std::string sha256_hex(std::string_view data, size_t bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) len = 0;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  // A failed digest (no memory) still gives a fixed-form key: all attempts
  // then share one counter, which errs on the side of throttling.
  for (size_t i = 0; i < bytes; ++i) {
    unsigned char b = i < len ? digest[i] : 0;
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::string throttle_address_key(std::string_view ip, int ipv6_prefix) {
  std::string text(ip.substr(0, 64));
  // "[2001:db8::1]" and zone ids ("fe80::1%eth0") as some peers print them.
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    char out[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &v4, out, sizeof out);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
      std::memcpy(&v4, v6.s6_addr + 12, 4);
      char out[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &v4, out, sizeof out);
      return out;
    }
    const int bits = std::clamp(ipv6_prefix, 1, 128);
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(bits - 8 * i, 0, 8);
      v6.s6_addr[i] &= static_cast<unsigned char>(0xff00 >> keep);
    }
    char out[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, out, sizeof out);
    return std::string(out) + "/" + std::to_string(bits);
  }
  // Not an address (a test, a Unix socket): counted, but under a name that
  // holds no glob characters.
  return "other:" + sha256_hex(ip, 8);
}

std::string throttle_account_key(std::string_view account) {
  std::string normalized = common::normalize_address(account);
  return sha256_hex(normalized.empty() ? account : std::string_view(normalized), 16);
}

namespace throttle {

Keys keys_for(const std::string& p, const std::string& addr, const std::string& acct) {
  const std::string pair = acct + ":" + addr;
  return Keys{p + "a:" + addr, p + "ab:" + addr, p + "u:" + acct, p + "p:" + pair, p + "pb:" + pair, p + "k:" + pair};
}

std::chrono::milliseconds growing_delay(int64_t failures, int64_t after, std::chrono::milliseconds start,
                                        std::chrono::milliseconds max) {
  if (failures <= after || start.count() <= 0) return std::chrono::milliseconds(0);
  const int64_t doublings = std::min<int64_t>(failures - after - 1, 30);
  const int64_t ms = start.count() << doublings;
  return std::chrono::milliseconds(std::min<int64_t>(ms, max.count()));
}

Decision decide(const ThrottleConfig& c, const ThrottleState& s) {
  Decision d;
  if (!c.enabled) return d;
  // The pair's own block holds for everybody, the owner included.
  if (s.pair_blocked.count() > 0) {
    d.refused = true;
    d.retry_after = s.pair_blocked;
    return d;
  }
  // A pair that succeeded lately is not refused for its address's failures.
  if (!s.known && s.address_blocked.count() > 0) {
    d.refused = true;
    d.retry_after = s.address_blocked;
    return d;
  }
  const int64_t own = s.known ? s.pair_failures : std::max(s.address_failures, s.pair_failures);
  d.delay = growing_delay(own, c.delay_after, c.delay_start, c.delay_max);
  if (!s.known)
    d.delay = std::max(d.delay, growing_delay(s.account_failures, c.account_delay_after, c.delay_start, c.delay_max));
  return d;
}

}  // namespace throttle
}  // namespace mail::directory
