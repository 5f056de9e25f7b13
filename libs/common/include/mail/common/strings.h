// SPDX-License-Identifier: Apache-2.0
// Small string helpers shared by every layer (ASCII protocol keywords, and a
// strict UTF-8 check for identities taken from the network).
#pragma once
#include <string>
#include <string_view>

namespace mail::common {

std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
/// RFC 5322 atext (US-ASCII letters, digits and !#$%&'*+-/=?^_`{|}~): the
/// characters of an unquoted local part; callers decide about UTF-8 bytes.
bool is_atext(unsigned char c);
/// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points
/// above U+10FFFF. Pure; any bytes in.
bool utf8_valid(std::string_view s);
/// The length (1..4) of the valid UTF-8 sequence (RFC 3629: no overlong
/// forms, surrogates or code points above U+10FFFF) starting at s[pos]
/// (pos < s.size()), its code point in cp; 0 when none starts there.
size_t utf8_decode(std::string_view s, size_t pos, char32_t& cp);
/// Random token of lowercase hex (from OpenSSL's RAND_bytes), e.g. queue ids.
std::string random_hex(size_t bytes);

/// Normalized mail address: local part and domain lowercased, surrounding
/// space and one pair of angle brackets removed. Returns empty when the address
/// has no '@', an empty part, or characters not allowed in a mailbox.
std::string normalize_address(std::string_view address);
/// The domain of a normalized address ("" when none).
std::string_view address_domain(std::string_view normalized);
std::string_view address_local(std::string_view normalized);
/// A normalized domain name: lowercase, no trailing dot; empty when invalid.
std::string normalize_domain(std::string_view domain);

}  // namespace mail::common
