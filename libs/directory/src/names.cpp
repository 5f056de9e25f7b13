// SPDX-License-Identifier: Apache-2.0
// Validation of local domains and addresses; subaddress splitting. No I/O.
#include "mail/directory/names.h"

#include "mail/common/strings.h"

namespace mail::directory {
namespace {

bool is_atext(unsigned char c) {
  return c >= 0x80 || common::is_atext(c);  // UTF-8 local parts (RFC 6531)
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char ch : s) {
    if (ch == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(static_cast<unsigned char>(ch))) {
      return false;
    }
    prev = ch;
  }
  return true;
}

}  // namespace

std::string normalize_local_domain(std::string_view domain) {
  std::string d = common::normalize_domain(domain);
  if (d.empty()) return {};
  size_t start = 0;
  while (start <= d.size()) {
    size_t end = d.find('.', start);
    if (end == std::string::npos) end = d.size();
    std::string_view label(d.data() + start, end - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return {};
    for (char ch : label) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return {};
    }
    start = end + 1;
  }
  return d;
}

std::string normalize_local_address(std::string_view address) {
  std::string a = common::normalize_address(address);
  if (a.empty()) return {};
  std::string_view local = common::address_local(a);
  if (!is_dot_atom(local)) return {};
  std::string domain = normalize_local_domain(common::address_domain(a));
  if (domain.empty()) return {};
  return a;
}

std::optional<std::string> strip_subaddress(std::string_view normalized, std::string_view separators) {
  if (separators.empty()) return std::nullopt;
  size_t at = normalized.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view local = normalized.substr(0, at);
  size_t sep = local.find_first_of(separators);
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string out(local.substr(0, sep));
  out += normalized.substr(at);
  return out;
}

bool is_role_local_part(std::string_view local) {
  return local == "postmaster" || local == "abuse";
}

}  // namespace mail::directory
