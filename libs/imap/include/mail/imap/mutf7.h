// SPDX-License-Identifier: Apache-2.0
// mutf7.h: RFC 3501 §5.1.3 modified UTF-7 for mailbox names, and the
// case-insensitive INBOX rule. Pure. Decoding is strict: anything a correct
// encoder would not have produced (printable ASCII inside &...-, adjacent
// encoded runs, leftover bits, lone surrogates, NUL) is rejected.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mail::imap {

/// Modified UTF-7 to UTF-8; nullopt when the text is not canonical mUTF-7.
std::optional<std::string> mutf7_decode(std::string_view mutf7);
/// UTF-8 to modified UTF-7. Bytes that are not valid UTF-8 are encoded as
/// U+FFFD (callers that care check common::utf8_valid first).
std::string mutf7_encode(std::string_view utf8);
/// "INBOX" in any case (RFC 3501 §5.1: INBOX is case-insensitive).
bool is_inbox(std::string_view mailbox);

}  // namespace mail::imap
