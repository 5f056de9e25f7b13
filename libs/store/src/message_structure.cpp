// SPDX-License-Identifier: Apache-2.0
// Stored MIME trees and range reads of messages (see message_structure.h).
#include "mail/store/message_structure.h"

#include <algorithm>

#include "internal.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"
#include "mail/pg/exec.h"

namespace mail::store {

std::string message_structure(std::string_view message) {
  return mime::encode_structure(mime::parse_structure(message));
}

std::vector<StoredStructure> message_structures(pqxx::transaction_base& tx, int64_t account_id,
                                                const std::vector<int64_t>& message_ids) {
  std::vector<StoredStructure> out;
  if (message_ids.empty()) return out;
  auto r = pg::exec(tx,
      "SELECT id, structure FROM store.messages WHERE account_id = $1 AND id = ANY($2::bigint[]) ORDER BY id",
      account_id, detail::int_array(message_ids));
  out.reserve(r.size());
  for (const auto& row : r) {
    StoredStructure s;
    s.message_id = row[0].as<int64_t>();
    if (!row[1].is_null()) {
      pqxx::binarystring b(row[1]);
      s.structure.emplace(reinterpret_cast<const char*>(b.data()), b.size());
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool save_message_structure(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id,
                            std::string_view structure, const std::optional<std::string>& replacing) {
  const pqxx::binarystring value(structure.data(), structure.size());
  pqxx::result r;
  if (replacing)
    r = pg::exec(tx,
        "UPDATE store.messages SET structure = $3 WHERE id = $1 AND account_id = $2"
        " AND (structure IS NULL OR structure = $4) RETURNING id",
        message_id, account_id, value, pqxx::binarystring(replacing->data(), replacing->size()));
  else
    r = pg::exec(tx,
        "UPDATE store.messages SET structure = $3 WHERE id = $1 AND account_id = $2 AND structure IS NULL"
        " RETURNING id",
        message_id, account_id, value);
  return !r.empty();
}

Result<std::string> read_message_range(pqxx::transaction_base& tx, int64_t account_id, int64_t message_id,
                                       uint64_t offset, uint64_t length) {
  auto m = pg::exec(tx, "SELECT header_prefix, blob_id, size FROM store.messages WHERE id = $1 AND account_id = $2",
                    message_id, account_id);
  if (m.empty()) return Error::kNotFound;
  const pqxx::binarystring prefix(m[0][0]);
  const int64_t blob_id = m[0][1].as<int64_t>();
  const auto size = m[0][2].as<uint64_t>();
  std::string out;
  if (offset >= size || length == 0) return out;
  const uint64_t end = offset + std::min(length, size - offset);
  out.reserve(static_cast<size_t>(end - offset));
  const uint64_t plen = prefix.size();
  if (offset < plen)
    out.append(reinterpret_cast<const char*>(prefix.data()) + offset, static_cast<size_t>(std::min(end, plen) - offset));
  if (end <= plen) return out;
  // The body's part of the range, in body offsets.
  const uint64_t from = std::max(offset, plen) - plen, to = end - plen;
  // Lengths come from the values' TOAST headers: no chunk is read for them.
  auto chunks = pg::exec(tx, "SELECT seq, octet_length(data) FROM store.blob_chunks WHERE blob_id = $1 ORDER BY seq",
                         blob_id);
  uint64_t at = 0;
  for (const auto& c : chunks) {
    const auto len = c[1].as<uint64_t>();
    const uint64_t chunk_end = at + len;
    if (chunk_end > from && at < to) {
      const uint64_t lo = std::max(from, at) - at, hi = std::min(to, chunk_end) - at;
      // A slice of an EXTERNAL (uncompressed) value reads only its TOAST
      // pages that hold it.
      auto s = pg::exec(tx,
          "SELECT substring(data FROM $3::int FOR $4::int) FROM store.blob_chunks WHERE blob_id = $1 AND seq = $2",
          blob_id, c[0].as<int>(), static_cast<int64_t>(lo + 1), static_cast<int64_t>(hi - lo));
      if (s.empty()) break;  // the blob changed under us: cannot happen, committed blobs are immutable
      const pqxx::binarystring b(s[0][0]);
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    at = chunk_end;
    if (at >= to) break;
  }
  return out;
}

}  // namespace mail::store
