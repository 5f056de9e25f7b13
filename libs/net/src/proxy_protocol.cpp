// SPDX-License-Identifier: Apache-2.0
// proxy_protocol.cpp: the PROXY v2 header parser (see proxy_protocol.h).
// Checks in wire order, so a wrong first octet is refused at once instead of
// waiting for 16 octets that a non-proxy client may never send.
#include "mail/net/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mail::net::proxy {
namespace {

constexpr uint8_t kCommandLocal = 0x0;
constexpr uint8_t kCommandProxy = 0x1;
// Family 0 (UNSPEC) and transport 0 (UNSPEC) need no constant: they carry no address.
constexpr uint8_t kFamilyInet = 0x1, kFamilyInet6 = 0x2, kFamilyUnix = 0x3;
constexpr uint8_t kTransportStream = 0x1, kTransportDgram = 0x2;
constexpr size_t kInetBlock = 2 * 4 + 2 * 2;
constexpr size_t kInet6Block = 2 * 16 + 2 * 2;
constexpr size_t kUnixBlock = 2 * 108;
constexpr size_t kTlvHeader = 3;  // type, 16-bit length

uint8_t octet(std::string_view d, size_t i) { return static_cast<uint8_t>(d[i]); }
uint16_t be16(std::string_view d, size_t i) { return static_cast<uint16_t>(octet(d, i) << 8 | octet(d, i + 1)); }

std::string text_v4(const unsigned char* p) {
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, p, buf, sizeof buf) ? buf : "";
}

std::string text_v6(const unsigned char* p) {
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(p, kMapped, 12) == 0) return text_v4(p + 12);
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, p, buf, sizeof buf) ? buf : "";
}

}  // namespace

const char* to_string(Error e) {
  switch (e) {
    case Error::bad_signature:
      return "bad_signature";
    case Error::version1:
      return "version1";
    case Error::bad_version:
      return "bad_version";
    case Error::bad_command:
      return "bad_command";
    case Error::bad_family:
      return "bad_family";
    case Error::short_address:
      return "short_address";
    case Error::bad_tlv:
      return "bad_tlv";
    case Error::too_long:
      return "too_long";
  }
  return "bad_signature";
}

Result parse_v2(std::string_view data, const Limits& limits) {
  // Signature, checked on whatever part of it has arrived.
  const size_t sig = std::min(data.size(), kSignature.size());
  if (data.substr(0, sig) != kSignature.substr(0, sig)) {
    constexpr std::string_view kV1 = "PROXY ";
    const size_t n = std::min(data.size(), kV1.size());
    if (data.substr(0, n) == kV1.substr(0, n)) return Error::version1;
    return Error::bad_signature;
  }
  if (data.size() < kFixedLength) return NeedMore{kFixedLength};

  const uint8_t ver_cmd = octet(data, 12);
  if ((ver_cmd >> 4) != 0x2) return Error::bad_version;
  const uint8_t command = ver_cmd & 0x0f;
  if (command != kCommandLocal && command != kCommandProxy) return Error::bad_command;
  const uint8_t fam = octet(data, 13);
  const uint8_t family = fam >> 4, transport = fam & 0x0f;
  if (family > kFamilyUnix || transport > kTransportDgram) return Error::bad_family;

  const size_t length = be16(data, 14);
  const size_t total = kFixedLength + length;
  if (total > limits.max_length) return Error::too_long;

  // Address block size for the family; LOCAL headers are skipped whole
  // whatever they say ("receivers must not assume zero for LOCAL").
  size_t block = 0;
  if (command == kCommandProxy) {
    if (family == kFamilyInet) block = kInetBlock;
    if (family == kFamilyInet6) block = kInet6Block;
    if (family == kFamilyUnix) block = kUnixBlock;
    if (length < block) return Error::short_address;
  }
  if (data.size() < total) return NeedMore{total};

  // TLVs after the address block: each must fit inside the header. A LOCAL
  // header's block is discarded unread, whatever its family says.
  for (size_t i = command == kCommandLocal ? total : kFixedLength + block; i < total;) {
    if (total - i < kTlvHeader) return Error::bad_tlv;
    const size_t len = be16(data, i + 1);
    if (total - i - kTlvHeader < len) return Error::bad_tlv;
    i += kTlvHeader + len;
  }

  Header h;
  h.length = total;
  h.local = command == kCommandLocal;
  if (command == kCommandProxy && transport == kTransportStream && (family == kFamilyInet || family == kFamilyInet6)) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + kFixedLength;
    h.has_source = true;
    if (family == kFamilyInet) {
      h.source_ip = text_v4(p);
      h.destination_ip = text_v4(p + 4);
      h.source_port = be16(data, kFixedLength + 8);
      h.destination_port = be16(data, kFixedLength + 10);
    } else {
      h.v6 = true;
      h.source_ip = text_v6(p);
      h.destination_ip = text_v6(p + 16);
      h.source_port = be16(data, kFixedLength + 32);
      h.destination_port = be16(data, kFixedLength + 34);
    }
  }
  return h;
}

}  // namespace mail::net::proxy
