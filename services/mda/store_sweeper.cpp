// SPDX-License-Identifier: Apache-2.0
// The mda's store sweep thread (see store_sweeper.h).
#include "store_sweeper.h"

#include "mail/common/log.h"
#include "mail/store/imap_index.h"
#include "mail/store/sweep.h"

namespace mail::mda {

namespace {
constexpr const char* kSweptHelp =
    "Orphaned messages and unreferenced blobs deleted by the store sweep (after store.sweep_grace)";
}

StoreSweeper::StoreSweeper(pg::Pool& pool, StoreSweepOptions opts, metrics::Registry& registry)
    : pool_(pool),
      opts_(opts),
      swept_messages_(registry.counter("mail_mda_store_swept_total", kSweptHelp, {{"kind", "message"}})),
      swept_blobs_(registry.counter("mail_mda_store_swept_total", kSweptHelp, {{"kind", "blob"}})),
      swept_bytes_(registry.counter("mail_mda_store_swept_bytes_total",
                                    "Bytes of message bodies the store sweep freed (unreferenced blobs deleted)")),
      swept_expunged_(registry.counter("mail_mda_store_swept_total", kSweptHelp, {{"kind", "expunge_record"}})),
      thread_(opts_.interval, [this] { sweep_once(); }) {}

StoreSweeper::~StoreSweeper() { stop(); }

void StoreSweeper::start() { thread_.start(); }

void StoreSweeper::stop() { thread_.stop(); }

StoreSweeper::Swept StoreSweeper::sweep_once() {
  Swept total;
  try {
    for (int round = 0; round < opts_.max_batches; ++round) {
      auto r = pool_.with([&](pqxx::connection& c) {
        pqxx::work tx(c);
        auto res = store::sweep_orphans(tx, opts_.grace, opts_.batch, blob_cursor_);
        tx.commit();
        return res;
      });
      blob_cursor_ = r.blob_cursor;
      total.messages += r.messages;
      total.blobs += r.blobs;
      total.bytes += r.bytes;
      swept_bytes_.Increment(static_cast<double>(r.bytes));
      swept_messages_.Increment(static_cast<double>(r.messages));
      swept_blobs_.Increment(static_cast<double>(r.blobs));
      // Done when no full batch of messages is left and the pass over the
      // blobs reached the end (the next sweep starts it again from 0).
      if (!r.more && r.blob_cursor == 0) break;
      if (thread_.stopping()) break;
    }
    const size_t limit = opts_.batch * 5;
    for (int round = 0; round < opts_.max_batches && !thread_.stopping(); ++round) {
      const int64_t n = pool_.with([&](pqxx::connection& c) {
        pqxx::work tx(c);
        const int64_t purged = store::purge_expunged(tx, opts_.expunged_retention, limit);
        tx.commit();
        return purged;
      });
      total.expunge_records += n;
      swept_expunged_.Increment(static_cast<double>(n));
      if (n < static_cast<int64_t>(limit)) break;
    }
  } catch (const std::exception& ex) {
    log::warn("store sweep failed", {{"error", ex.what()}});
  }
  if (total.messages > 0 || total.blobs > 0 || total.expunge_records > 0)
    log::info("store swept", {{"messages", total.messages},
                              {"blobs", total.blobs},
                              {"bytes", total.bytes},
                              {"expunge_records", total.expunge_records},
                              {"grace_s", static_cast<int64_t>(opts_.grace.count())}});
  return total;
}

}  // namespace mail::mda
