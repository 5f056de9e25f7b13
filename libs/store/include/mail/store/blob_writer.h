// SPDX-License-Identifier: Apache-2.0
// BlobWriter: writes a message body into store.blobs/blob_chunks inside the
// caller's transaction, one chunk row each time `chunk_size` bytes have
// filled (a small body is a single chunk; never the whole body in one value
// unless it is smaller than a chunk). Used by the mta for accepted messages
// and bounces (libs/queue) and by IMAP APPEND (libs/store).
// Trusts: the caller's bytes as opaque; all SQL parameterized.
// Errors: libpqxx exceptions propagate to the caller's adapter.
#pragma once
#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::store {

class BlobWriter {
 public:
  /// Inserts the (still empty) blob row at once.
  BlobWriter(pqxx::transaction_base& tx, size_t chunk_size);
  void append(std::string_view bytes);
  /// Writes the last chunk and the blob's size and chunk count; returns the blob id.
  int64_t finish();
  uint64_t size() const { return size_; }
  int64_t id() const { return blob_id_; }

 private:
  void flush_chunk();
  pqxx::transaction_base& tx_;
  size_t chunk_size_;
  int64_t blob_id_ = 0;
  int seq_ = 0;
  uint64_t size_ = 0;
  std::string pending_;
};

}  // namespace mail::store
