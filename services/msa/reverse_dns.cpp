// SPDX-License-Identifier: Apache-2.0
// Forward-confirmed reverse DNS (see reverse_dns.h).
#include "reverse_dns.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

namespace mail::msa {
namespace {

bool host_name_chars(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
          c == '_'))
      return false;
  }
  return true;
}

}  // namespace

std::string verified_reverse_name(const std::string& ip) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
  } else {
    return {};
  }
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NAMEREQD) != 0) return {};
  std::string name(host);
  if (!host_name_chars(name)) return {};

  addrinfo hints{};
  hints.ai_family = ss.ss_family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0) return {};
  bool match = false;
  for (addrinfo* ai = res; ai && !match; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET && ss.ss_family == AF_INET)
      match = std::memcmp(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, &v4->sin_addr, sizeof(in_addr)) == 0;
    else if (ai->ai_family == AF_INET6 && ss.ss_family == AF_INET6)
      match =
          std::memcmp(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, &v6->sin6_addr, sizeof(in6_addr)) == 0;
  }
  freeaddrinfo(res);
  return match ? name : std::string();
}

}  // namespace mail::msa
