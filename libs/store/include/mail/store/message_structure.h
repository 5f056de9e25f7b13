// SPDX-License-Identifier: Apache-2.0
// message_structure.h: the MIME tree of each stored message, kept beside it
// (store.messages.structure, migration 004) so that IMAP FETCH answers
// ENVELOPE, BODY and BODYSTRUCTURE without reading the message and reads
// only the chunks that hold the part it sends.
//
// The tree is that of the message as FETCH sends it: the trace prefix
// (store.messages.header_prefix, the mda's Return-Path and Delivered-To),
// then the body; its offsets count from the prefix's first byte. It lives
// on the store.messages row, which COPY and MOVE share, so it is computed
// once per delivered or appended copy: by the mda and by APPEND in the
// transaction that stores the message, and for rows stored before 004
// (NULL) by the first FETCH that needs it, which writes it back only where
// it is still NULL (or still the value it could not read).
// Trusts: account ids from the caller (every query is scoped by account);
// the stored bytes are checked by whoever decodes them (mime::decode_structure).
// All SQL parameterized. Diagnostics: Error::kNotFound; libpqxx exceptions
// for database failures.
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/errors.h"

namespace mail::store {

/// The stored form (mime::encode_structure, default mime::Limits) of the
/// tree of `message`, the octets as FETCH sends them.
std::string message_structure(std::string_view message);

struct StoredStructure {
  int64_t message_id = 0;
  std::optional<std::string> structure;  ///< nullopt: none yet (stored before 004)
};

/// The stored structures of those of `message_ids` that are the account's,
/// ascending id.
std::vector<StoredStructure> message_structures(pqxx::transaction_base& tx, int64_t account_id,
                                                const std::vector<int64_t>& message_ids);

/// Writes the structure of a message that has none, or (`replacing`) still
/// has that value, which its reader could not decode. True when it wrote;
/// false when another reader was first or there is no such message. Either
/// way the message is left with a structure: repeating it is harmless.
bool save_message_structure(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id,
                            std::string_view structure, const std::optional<std::string>& replacing = std::nullopt);

/// Octets [offset, offset + length) of the message as FETCH sends it
/// (fewer when that passes its end; none from past it). Reads the trace
/// prefix and, of the body, only the chunks that overlap the range (their
/// lengths first, then a slice of each: chunk sizes vary, the mta's staged
/// chunks are as the client sent them). kNotFound.
Result<std::string> read_message_range(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id,
                                       uint64_t offset, uint64_t length);

}  // namespace mail::store
