// SPDX-License-Identifier: Apache-2.0
// auth_cache_key (see mail/directory/client/directory_client.h): SHA-256 of
// user NUL password through OpenSSL's EVP interface, as lower-case hex.
// The NUL keeps ("ab", "") and ("a", "b") apart. Trusts nothing: any bytes.
#include <openssl/evp.h>

#include "mail/directory/client/directory_client.h"

namespace mail::directory {

std::string auth_cache_key(std::string_view user, std::string_view password) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, user.data(), user.size()) == 1 && EVP_DigestUpdate(ctx, "\0", 1) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};  // no caching rather than a wrong key
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace mail::directory
