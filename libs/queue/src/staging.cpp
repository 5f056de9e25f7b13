// SPDX-License-Identifier: Apache-2.0
// Staging blobs in PostgreSQL (see staging.h): short transactions per chunk,
// one commit per message, and the sweep of those never committed.
#include "mail/queue/staging.h"

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/pg/exec.h"

namespace mail::queue {

using common::ErrorCode;

namespace {

// Appends, discards and sweeps need no fsync of their own (see staging.h).
void relax_commit(pqxx::transaction_base& tx) { tx.exec("SET LOCAL synchronous_commit = off"); }

struct Row {
  int64_t blob_id = 0;
  uint64_t staged = 0;
  int chunks = 0;
  int64_t last_offset = -1;
};

std::optional<Row> lock_row(pqxx::transaction_base& tx, const std::string& token) {
  auto r = pg::exec(tx, "SELECT blob_id, staged, chunks, last_offset FROM queue.staging WHERE token = $1 FOR UPDATE",
                    token);
  if (r.empty()) return std::nullopt;
  return Row{r[0][0].as<int64_t>(), r[0][1].as<uint64_t>(), r[0][2].as<int>(), r[0][3].as<int64_t>()};
}

void write_chunk(pqxx::transaction_base& tx, const Row& row, std::string_view chunk) {
  pg::exec(tx, "INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)", row.blob_id, row.chunks,
           pqxx::binarystring(chunk.data(), chunk.size()));
}

// Runs `f` and turns what the database throws into ErrorCode::unavailable:
// every failure here is the database's or the pool's, never the caller's.
template <class T, class F>
common::Result<T> guarded(const char* what, F&& f) {
  try {
    return f();
  } catch (const std::exception& ex) {
    log::warn("staging failed", {{"op", what}, {"error", ex.what()}});
    return common::Error{ErrorCode::unavailable, std::string("staging database unavailable (") + what + ")"};
  }
}

}  // namespace

common::Result<std::string> StagingStore::open(uint64_t size_hint) {
  if (size_hint > limits_.max_message_size) return common::Error{ErrorCode::limit, "message too big"};
  return guarded<std::string>("open", [&]() -> common::Result<std::string> {
    return pool_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      relax_commit(tx);
      // 16 random bytes: another caller cannot guess a token to append to.
      std::string token = common::random_hex(16);
      pg::exec(tx,
               "WITH b AS (INSERT INTO store.blobs(size, chunks) VALUES (0, 0) RETURNING id)"
               " INSERT INTO queue.staging(token, blob_id) SELECT $1, id FROM b",
               token);
      tx.commit();
      return token;
    });
  });
}

common::Result<Appended> StagingStore::append(const std::string& token, uint64_t offset, std::string_view chunk) {
  if (chunk.empty()) return common::Error{ErrorCode::invalid_argument, "empty chunk"};
  if (chunk.size() > limits_.max_chunk) return common::Error{ErrorCode::invalid_argument, "chunk too large"};
  return guarded<Appended>("append", [&]() -> common::Result<Appended> {
    // pool_.with retries once on a broken connection: safe, since a repeat
    // of an append that did commit is recognised below.
    return pool_.with([&](pqxx::connection& c) -> common::Result<Appended> {
      pqxx::work tx(c);
      relax_commit(tx);
      auto row = lock_row(tx, token);
      if (!row) return common::Error{ErrorCode::not_found, "no such staging blob"};
      if (static_cast<int64_t>(offset) == row->last_offset && offset + chunk.size() == row->staged)
        return Appended{row->staged, true};  // the reply to the first one was lost
      if (offset != row->staged)
        return common::Error{ErrorCode::failed_precondition,
                             "offset " + std::to_string(offset) + " but " + std::to_string(row->staged) + " staged"};
      if (row->staged + chunk.size() > limits_.max_message_size)
        return common::Error{ErrorCode::limit, "message too big"};
      write_chunk(tx, *row, chunk);
      pg::exec(tx,
               "UPDATE queue.staging SET staged = staged + $2, chunks = chunks + 1, last_offset = $3,"
               " touched_at = now() WHERE token = $1",
               token, static_cast<int64_t>(chunk.size()), static_cast<int64_t>(offset));
      tx.commit();
      return Appended{row->staged + chunk.size(), false};
    });
  });
}

common::Result<Accepted> StagingStore::commit(const std::string& token, const Envelope& env, uint64_t size,
                                              uint64_t offset, std::string_view chunk) {
  if (chunk.size() > limits_.max_chunk) return common::Error{ErrorCode::invalid_argument, "chunk too large"};
  if (size > limits_.max_message_size) return common::Error{ErrorCode::limit, "message too big"};
  return guarded<Accepted>("commit", [&]() -> common::Result<Accepted> {
    // No retry on a broken connection here (unlike append): the COMMIT may
    // have happened, and only the caller's idempotency key can tell.
    auto lease = pool_.acquire();
    pqxx::work tx(*lease);
    if (auto dup = find_idempotent(tx, env.idempotency_key)) {
      // Done before: this staging blob is not needed (it is normally gone
      // already, deleted by the commit that made the job).
      pg::exec(tx,
               "DELETE FROM store.blobs b USING queue.staging s WHERE s.token = $1 AND b.id = s.blob_id"
               " AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id)",
               token);
      tx.commit();
      return *dup;
    }
    auto row = lock_row(tx, token);
    if (!row) return common::Error{ErrorCode::not_found, "no such staging blob"};
    uint64_t staged = row->staged;
    int chunks = row->chunks;
    if (!chunk.empty()) {
      if (offset != staged)
        return common::Error{ErrorCode::failed_precondition,
                             "offset " + std::to_string(offset) + " but " + std::to_string(staged) + " staged"};
      if (staged + chunk.size() > limits_.max_message_size) return common::Error{ErrorCode::limit, "message too big"};
      write_chunk(tx, *row, chunk);
      staged += chunk.size();
      ++chunks;
    }
    if (staged == 0) return common::Error{ErrorCode::invalid_argument, "empty message"};
    // The caller's count and ours differ: a chunk went missing (or was
    // lost in a database crash, see staging.h). Nothing is kept.
    if (staged != size)
      return common::Error{ErrorCode::failed_precondition,
                           std::to_string(staged) + " bytes staged but " + std::to_string(size) + " announced"};
    pg::exec(tx, "UPDATE store.blobs SET size = $2, chunks = $3 WHERE id = $1", row->blob_id,
             static_cast<int64_t>(staged), chunks);
    pg::exec(tx, "DELETE FROM queue.staging WHERE token = $1", token);
    Accepted acc = insert_job(tx, env, row->blob_id, staged);
    tx.commit();
    return acc;
  });
}

common::Result<bool> StagingStore::discard(const std::string& token) {
  return guarded<bool>("discard", [&]() -> common::Result<bool> {
    return pool_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      relax_commit(tx);
      auto r = pg::exec(tx,
                        "DELETE FROM store.blobs b USING queue.staging s WHERE s.token = $1 AND b.id = s.blob_id"
                        " AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = b.id) RETURNING b.id",
                        token);
      tx.commit();
      return !r.empty();
    });
  });
}

common::Result<int64_t> StagingStore::sweep(std::chrono::milliseconds grace, int batch) {
  return guarded<int64_t>("sweep", [&]() -> common::Result<int64_t> {
    return pool_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      relax_commit(tx);
      // SKIP LOCKED: a row an append or commit holds is in use (and another
      // replica's sweep may hold some); the chunks and the staging row go by
      // ON DELETE CASCADE.
      auto r = pg::exec(tx,
                        "DELETE FROM store.blobs WHERE id IN ("
                        " SELECT s.blob_id FROM queue.staging s"
                        " WHERE s.touched_at < now() - $1 * interval '1 millisecond'"
                        " AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.blob_id = s.blob_id)"
                        " ORDER BY s.touched_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED) RETURNING id",
                        static_cast<int64_t>(grace.count()), batch);
      tx.commit();
      return static_cast<int64_t>(r.size());
    });
  });
}

}  // namespace mail::queue
