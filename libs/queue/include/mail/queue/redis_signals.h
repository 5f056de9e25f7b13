// SPDX-License-Identifier: Apache-2.0
// RedisSignals: the wake-up side of the queue. A stream (consumer group) says
// "job N has work"; a sorted set holds retry times. Both are hints: PostgreSQL
// owns job state, and the reconciler rebuilds them after a flush, so every
// method reports failure instead of throwing and callers carry on.
// One instance per thread (hiredis contexts are not thread-safe); it reconnects
// on its own after errors.
#pragma once
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mail::queue {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string stream = "mail:queue:jobs";
  std::string group = "mta";
  std::string retry_set = "mail:queue:retry";
  std::chrono::milliseconds timeout{2000};
};

struct StreamEntry {
  std::string id;   // stream entry id
  int64_t job_id = 0;
};

class RedisSignals {
 public:
  explicit RedisSignals(RedisOptions opts);
  ~RedisSignals();
  RedisSignals(const RedisSignals&) = delete;
  RedisSignals& operator=(const RedisSignals&) = delete;

  bool ping();
  /// XADD: tell workers job_id has work now.
  bool announce(int64_t job_id);
  /// XGROUP CREATE ... 0 MKSTREAM; an existing group is fine.
  bool ensure_group();
  /// XREADGROUP for `consumer`: when `pending` is true, re-read entries this
  /// consumer took but never acknowledged (after a restart); else new ones,
  /// blocking up to `block`. Recreates the group after a flush (NOGROUP).
  std::optional<std::vector<StreamEntry>> read(const std::string& consumer, int count,
                                               std::chrono::milliseconds block, bool pending);
  /// XACK and XDEL: done with the entry (the stream never keeps handled entries).
  bool ack(const std::string& entry_id);
  /// ZADD the retry time of a job.
  bool schedule(int64_t job_id, std::chrono::system_clock::time_point when);
  /// Remove and return jobs whose retry time has come (each id is returned to
  /// exactly one caller: ZREM decides).
  std::vector<int64_t> take_due(std::chrono::system_clock::time_point now, int limit);
  /// Number of entries in the stream and its group's pending list (for metrics).
  std::optional<int64_t> stream_length();

 private:
  using Reply = std::unique_ptr<redisReply, void (*)(void*)>;
  Reply command(const std::vector<std::string>& args);
  bool connect();

  RedisOptions opts_;
  redisContext* ctx_ = nullptr;
};

}  // namespace mail::queue
