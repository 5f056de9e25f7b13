// SPDX-License-Identifier: Apache-2.0
// host_port.cpp: parsing of configured "host:port" addresses (see host_port.h).
// Input is the operator's configuration; every failure is a ConfigError.
#include "mail/common/host_port.h"

#include <charconv>

#include "mail/common/config.h"

namespace mail::common {
namespace {

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw ConfigError("bad host:port '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

HostPort parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) bad(text, "no closing ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':') bad(text, "expected ':port' after ']'");
    host = text.substr(1, close - 1);
    if (host.empty()) bad(text, "empty address in brackets");
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) bad(text, "expected host:port");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) bad(text, "an IPv6 address needs brackets, [addr]:port");
    if (host.find_first_of("[]") != std::string_view::npos) bad(text, "unbalanced brackets");
    port = text.substr(colon + 1);
  }
  for (char c : host)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) bad(text, "space or control character in host");
  if (port.empty()) bad(text, "missing port");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.size() > 5 || value > 65535)
    bad(text, "port must be 0..65535");
  hp.host = host.empty() ? std::string("0.0.0.0") : std::string(host);
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

std::string format_host_port(const HostPort& hp) {
  std::string out;
  if (hp.host.find(':') != std::string::npos) {
    out = "[" + hp.host + "]";
  } else {
    out = hp.host;
  }
  return out + ":" + std::to_string(hp.port);
}

}  // namespace mail::common
