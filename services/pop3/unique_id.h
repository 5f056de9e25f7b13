// SPDX-License-Identifier: Apache-2.0
// unique_id.h: the UIDL unique-id of a stored message (RFC 1939 §7). Pure.
#pragma once
#include <cstdint>
#include <string>

namespace mail::pop3d {

/// RFC 1939 unique-id of a message: UIDVALIDITY and UID as 8 + 8 lower-case
/// hex digits ("65f1a2b300000007"). Stable across sessions as long as the
/// mailbox keeps its UIDVALIDITY, and never reused for another message.
/// Values above 32 bits (not expected) use 16 + 16 digits, so the two forms
/// cannot collide.
std::string unique_id(int64_t uidvalidity, int64_t uid);

}  // namespace mail::pop3d
