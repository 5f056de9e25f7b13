// SPDX-License-Identifier: Apache-2.0
// RFC 5322 §3.4 address lists (From, To, Cc, ...) parsed into the address
// structure of IMAP ENVELOPE (RFC 3501 §7.4.2). Pure and bounded
// (Limits::max_addresses); tolerant: any value gives a list, possibly empty.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime/header.h"

namespace mail::mime {

/// One IMAP address; nullopt is NIL.
///
/// - name: the display name, quoted strings unquoted and words joined by one
///   space; RFC 2047 encoded-words are kept as written. Without a display
///   name, a comment after a bare addr-spec ("a@b (Name)") is used. NIL when
///   there is neither.
/// - adl: an obsolete source route ("@a,@b"), else NIL.
/// - mailbox: the local part as written, quotes kept (`"john doe"`), CFWS
///   removed; "" when missing.
/// - host: the domain (or domain literal); "" when the address has no '@'.
///
/// Groups follow RFC 3501: a start marker (NIL NIL "group name" NIL) before
/// the members and an end marker (NIL NIL NIL NIL) after them; an
/// unterminated group is closed at the end of the list.
struct Address {
  std::optional<std::string> name;
  std::optional<std::string> adl;
  std::optional<std::string> mailbox;
  std::optional<std::string> host;
  bool operator==(const Address&) const = default;
};

/// Parses an address-list field value (folded or not). Empty elements and
/// junk are skipped; at most limits.max_addresses entries plus a final group
/// end marker are returned.
std::vector<Address> parse_address_list(std::string_view value, const Limits& limits = {});

}  // namespace mail::mime
