// SPDX-License-Identifier: Apache-2.0
// internal.h: pieces the store's source files share and nobody else sees:
// PostgreSQL array literals, UIDVALIDITY allocation, the keyword arrays, and
// removal of index rows with the orphan mark of messages that lost their last
// one (the mda's sweep deletes them later: see sweep.h).
// Trusts: the calling store functions (ids already scoped to an account).
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::store::detail {

/// "{1,2,3}" for a bigint[] parameter.
std::string int_array(const std::vector<int64_t>& v);
/// '{"a","b"}' for a text[] parameter (every element quoted and escaped).
std::string text_array(const std::vector<std::string>& v);
/// A text[] field as strings.
std::vector<std::string> parse_text_array(const pqxx::field& f);

/// Takes n consecutive UIDVALIDITY values for the account (locking its
/// account_state row until commit) and returns the first.
int64_t allocate_uidvalidity(pqxx::transaction_base& tx, int64_t account_id, int n = 1);

/// What a removal of index rows took away.
struct Removed {
  std::vector<int64_t> uids;  // ascending
  int64_t bytes = 0;
  int64_t unseen = 0;
};

/// Deletes the index rows of `uids` (all when `all`) from the mailox, whose row
/// the caller has locked, records them in store.expunged at `modseq` (unless
/// modseq is 0), adjusts the mailbox's counts and the account's quota, and
/// marks messages that lost their last index row orphaned (mark_orphans).
Removed remove_index_rows(pqxx::transaction_base& tx, int64_t account_id, int64_t mailbox_id,
                          const std::vector<int64_t>& uids, bool all, int64_t modseq);

/// Sets orphaned_at on those of the messages no index row refers to any
/// more, after locking them (id order, FOR NO KEY UPDATE: a COPY's foreign
/// key check does not wait for it, two expunges of the last two copies take
/// turns so the second sees the first's delete). Deletes nothing: the
/// sweep does, after the grace. Returns how many were marked.
int mark_orphans(pqxx::transaction_base& tx, const std::vector<int64_t>& message_ids);

/// Clears orphaned_at of the messages the index rows just added refer to
/// (COPY, MOVE's destination), so the sweep need not look at them.
void clear_orphans(pqxx::transaction_base& tx, const std::vector<int64_t>& message_ids);

/// Keywords in the spelling the mailbox already knows (they are
/// case-insensitive), deduplicated; `added` gets those it did not know.
std::vector<std::string> canonical_keywords(const std::vector<std::string>& known, const std::vector<std::string>& in,
                                            std::vector<std::string>* added);

}  // namespace mail::store::detail
