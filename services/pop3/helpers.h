// SPDX-License-Identifier: Apache-2.0
// Pure helpers of the POP3 service: the UIDL unique-id of a stored message,
// and "host:port" parsing (SASL is libs/sasl's).
// No I/O. parse_endpoint() takes untrusted text and returns nullopt on
// anything malformed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mail::pop3d {

/// RFC 1939 unique-id of a message: UIDVALIDITY and UID as 8 + 8 lower-case
/// hex digits ("65f1a2b300000007"). Stable across sessions as long as the
/// mailbox keeps its UIDVALIDITY, and never reused for another message.
/// Values above 32 bits (not expected) use 16 + 16 digits, so the two forms
/// cannot collide.
std::string unique_id(int64_t uidvalidity, int64_t uid);

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
/// "127.0.0.1:2110", "[::1]:110", "mail.example.test:110". The port must be
/// 1..65535; the host must not be empty.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace mail::pop3d
