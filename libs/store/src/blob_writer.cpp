// SPDX-License-Identifier: Apache-2.0
// BlobWriter (see blob_writer.h): chunked body writes into store.blob_chunks.
#include "mail/store/blob_writer.h"

#include <algorithm>

#include "mail/pg/exec.h"

namespace mail::store {

BlobWriter::BlobWriter(pqxx::transaction_base& tx, size_t chunk_size) : tx_(tx), chunk_size_(std::max<size_t>(chunk_size, 1)) {
  auto r = pg::exec(tx_, "INSERT INTO store.blobs(size, chunks) VALUES (0, 0) RETURNING id");
  blob_id_ = r[0][0].as<int64_t>();
  pending_.reserve(std::min<size_t>(chunk_size_, 64 * 1024));
}

void BlobWriter::append(std::string_view bytes) {
  size_ += bytes.size();
  while (!bytes.empty()) {
    size_t room = chunk_size_ - pending_.size();
    size_t n = std::min(room, bytes.size());
    pending_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (pending_.size() == chunk_size_) flush_chunk();
  }
}

void BlobWriter::flush_chunk() {
  if (pending_.empty()) return;
  pg::exec(tx_, "INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)", blob_id_, seq_,
           pqxx::binarystring(pending_.data(), pending_.size()));
  ++seq_;
  pending_.clear();
}

int64_t BlobWriter::finish() {
  flush_chunk();
  pg::exec(tx_, "UPDATE store.blobs SET size = $2, chunks = $3 WHERE id = $1", blob_id_, static_cast<int64_t>(size_),
           seq_);
  return blob_id_;
}

}  // namespace mail::store
