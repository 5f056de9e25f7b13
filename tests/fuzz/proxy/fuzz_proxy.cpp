// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the PROXY protocol v2 parser and the CIDR matcher in
// libs/net (mail_net_proto). Invariants: the parser never asks for fewer
// octets than it holds nor more than its limit; a parsed header fits in the
// input and the limit, and feeding it a prefix of the same bytes only ever
// asks for more; a header with a source has printable address text. The
// input is also read as a network list and an address to match. Invariant
// failures abort, so the replay gtest fails on them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "mail/net/cidr.h"
#include "mail/net/proxy_protocol.h"

namespace {

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "fuzz_proxy: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

using namespace mail::net;

void fuzz_header(std::string_view data, const proxy::Limits& limits) {
  auto r = proxy::parse_v2(data, limits);
  if (auto* more = std::get_if<proxy::NeedMore>(&r)) {
    FUZZ_CHECK(more->total > data.size());
    FUZZ_CHECK(more->total <= limits.max_length || more->total == proxy::kFixedLength);
    return;
  }
  auto* h = std::get_if<proxy::Header>(&r);
  if (!h) {
    FUZZ_CHECK(proxy::to_string(std::get<proxy::Error>(r))[0] != '\0');
    return;
  }
  FUZZ_CHECK(h->length >= proxy::kFixedLength && h->length <= data.size() && h->length <= limits.max_length);
  FUZZ_CHECK(!(h->local && h->has_source));
  if (h->has_source) {
    FUZZ_CHECK(IpAddress::parse(h->source_ip).has_value());
    FUZZ_CHECK(IpAddress::parse(h->destination_ip).has_value());
  }
  // The same header, arriving in pieces, is never refused part way and
  // never needs bytes beyond its end.
  for (size_t n = 0; n < h->length; n += 1 + n / 4) {
    auto part = proxy::parse_v2(data.substr(0, n), limits);
    auto* more = std::get_if<proxy::NeedMore>(&part);
    FUZZ_CHECK(more && more->total > n && more->total <= h->length);
  }
}

void fuzz_networks(std::string_view data) {
  size_t cut = data.find('|');
  std::string_view list = data.substr(0, cut), address = cut == std::string_view::npos ? "" : data.substr(cut + 1);
  auto l = NetworkList::parse(list);
  if (!l) return;
  // Printing and parsing again gives the same networks.
  auto again = NetworkList::parse(l->to_string());
  FUZZ_CHECK(again && again->to_string() == l->to_string());
  auto a = IpAddress::parse(address);
  if (!a) {
    FUZZ_CHECK(!l->contains(address));
    return;
  }
  FUZZ_CHECK(l->contains(address) == l->contains(*a));
  FUZZ_CHECK(IpAddress::parse(a->to_string()) == a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  fuzz_header(data, proxy::Limits{});
  fuzz_header(data, proxy::Limits{.max_length = 64});
  fuzz_networks(data);
  return 0;
}
