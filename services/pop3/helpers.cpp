// SPDX-License-Identifier: Apache-2.0
// Pure helpers of the POP3 service (see helpers.h). Inputs are untrusted
// where noted there; every failure is a nullopt, never an exception.
#include "helpers.h"

#include <charconv>
#include <cstdio>


namespace mail::pop3d {

std::string unique_id(int64_t uidvalidity, int64_t uid) {
  auto v = static_cast<uint64_t>(uidvalidity);
  auto u = static_cast<uint64_t>(uid);
  char buf[40];
  if (v <= 0xffffffffu && u <= 0xffffffffu)
    std::snprintf(buf, sizeof buf, "%08llx%08llx", static_cast<unsigned long long>(v), static_cast<unsigned long long>(u));
  else
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(v), static_cast<unsigned long long>(u));
  return buf;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint e;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    e.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    e.host = std::string(text.substr(0, colon));
    if (e.host.find(':') != std::string::npos) return std::nullopt;  // bare IPv6 needs brackets
    port = text.substr(colon + 1);
  }
  if (e.host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
  e.port = static_cast<uint16_t>(value);
  return e;
}

}  // namespace mail::pop3d
