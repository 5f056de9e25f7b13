// SPDX-License-Identifier: Apache-2.0
// proxy_protocol.h: a pure parser of the PROXY protocol version 2 header
// (the binary form; haproxy's proxy-protocol.txt, section 2.2), which a
// load balancer sends first on each connection to name the client it
// accepted. The Server reads it from addresses in proxy_protocol_from.
//
// Pure: bytes in; "need more (up to N octets in all)", a Header, or an Error
// out. No sockets, no logging. The parser never asks for more than the
// header's own length, so a caller that reads only what it asks for never
// reads past the header (the implicit TLS handshake that follows must find
// its ClientHello still on the socket).
//
// Trusts: nothing in the bytes. Only the caller decides whom to believe (a
// header from an address outside proxy_protocol_from is never parsed: it
// would let any client choose its own address). Every length is checked
// against the data and against Limits::max_length; TLVs must be well formed
// and are skipped.
//
// Accepted: command PROXY over TCP/IPv4 or TCP/IPv6 (addresses used);
// LOCAL (health checks: the real endpoints stay); PROXY with the UNSPEC
// family, UDP or AF_UNIX (the spec's "fall back to UNSPEC": real endpoints
// stay). Refused: a wrong signature (including the text v1 form), a version
// other than 2, an unassigned command, family or transport, an address block
// shorter than its family needs, a malformed TLV, a header over the limit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace mail::net::proxy {

/// The 12-octet signature that starts every v2 header.
inline constexpr std::string_view kSignature{"\r\n\r\n\0\r\nQUIT\n", 12};
/// Signature, version/command, family/transport, length.
inline constexpr size_t kFixedLength = 16;

struct Limits {
  /// Largest whole header accepted (16 + the length field). The spec allows
  /// 16 + 65535; addresses take at most 216 octets and haproxy's TLVs (ALPN,
  /// authority, SSL details, unique id) fit well within 1 KiB.
  size_t max_length = 1024;
};

enum class Error {
  bad_signature,  ///< not a v2 header (a client speaking the protocol directly?)
  version1,       ///< the text form ("PROXY TCP4 ..."): only v2 is accepted
  bad_version,    ///< version nibble is not 2
  bad_command,    ///< neither LOCAL nor PROXY
  bad_family,     ///< unassigned address family or transport
  short_address,  ///< the length is too small for the family's address block
  bad_tlv,        ///< a TLV runs past the end of the header
  too_long,       ///< longer than Limits::max_length
};

/// "bad_signature", "version1", ... (for logs).
const char* to_string(Error e);

/// The header did not arrive whole yet: have at least `total` octets (the
/// header's, counted from its first) before calling again. Never more than
/// the header holds.
struct NeedMore {
  size_t total = 0;
};

struct Header {
  bool local = false;      ///< LOCAL command (health check from the proxy itself)
  bool has_source = false; ///< PROXY over TCP/IPv4 or TCP/IPv6: the fields below are set
  bool v6 = false;
  std::string source_ip, destination_ip;  ///< text, IPv4-mapped IPv6 shown as IPv4
  uint16_t source_port = 0, destination_port = 0;
  size_t length = 0;  ///< octets of the whole header, to consume
};

using Result = std::variant<NeedMore, Header, Error>;

/// Parses the header at the start of `data`. Bytes after the header are
/// ignored (they are the client's).
Result parse_v2(std::string_view data, const Limits& limits = {});

}  // namespace mail::net::proxy
