// SPDX-License-Identifier: Apache-2.0
// Names the directory stores: validation and normalization of local domains and
// of the addresses of accounts and aliases, and subaddress splitting. Pure code.
// Stored forms are what mail::common::normalize_address produces, so the UNIQUE
// keys agree with the lookups the edges make.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mail::directory {

/// A domain we accept as one of ours: normalized, LDH labels only (IDNs must be
/// given as A-labels, "xn--..."), no address literals. Empty when not acceptable.
std::string normalize_local_domain(std::string_view domain);

/// An address fit to be an account or alias: normalized, its local part a
/// dot-atom (RFC 5322 atext and dots, UTF-8 allowed), its domain acceptable to
/// normalize_local_domain. Empty when not acceptable.
std::string normalize_local_address(std::string_view address);

/// "user+tag@example.test" -> "user@example.test" when the local part contains
/// one of `separators` (split at the first one). nullopt when there is no
/// separator, the separator set is empty, or the base would be empty.
std::optional<std::string> strip_subaddress(std::string_view normalized, std::string_view separators);

/// postmaster and abuse (RFC 2142): every local domain has them.
bool is_role_local_part(std::string_view local);

}  // namespace mail::directory
