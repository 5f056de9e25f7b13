// SPDX-License-Identifier: Apache-2.0
// hiredis adapter for the queue's wake-up stream and retry set.
#include "mail/queue/redis_signals.h"

#include <cstring>

namespace mail::queue {

RedisSignals::RedisSignals(RedisOptions opts) : opts_(std::move(opts)) {}

RedisSignals::~RedisSignals() {
  if (ctx_) redisFree(ctx_);
}

bool RedisSignals::connect() {
  if (ctx_ && ctx_->err == 0) return true;
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  timeval tv{static_cast<time_t>(opts_.timeout.count() / 1000), static_cast<suseconds_t>((opts_.timeout.count() % 1000) * 1000)};
  ctx_ = redisConnectWithTimeout(opts_.host.c_str(), opts_.port, tv);
  if (!ctx_ || ctx_->err) {
    if (ctx_) {
      redisFree(ctx_);
      ctx_ = nullptr;
    }
    return false;
  }
  return true;
}

RedisSignals::Reply RedisSignals::command(const std::vector<std::string>& args) {
  Reply none(nullptr, freeReplyObject);
  if (!connect()) return none;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  // A blocking read may legitimately last longer than the socket timeout.
  long block_ms = 0;
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "BLOCK") block_ms = std::stol(args[i + 1]);
  if (block_ms > 0) {
    long total = block_ms + opts_.timeout.count();
    timeval tv{total / 1000, (total % 1000) * 1000};
    redisSetTimeout(ctx_, tv);
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (block_ms > 0) {
    timeval tv{static_cast<time_t>(opts_.timeout.count() / 1000), static_cast<suseconds_t>((opts_.timeout.count() % 1000) * 1000)};
    if (ctx_ && ctx_->err == 0) redisSetTimeout(ctx_, tv);
  }
  if (!r) {
    // Connection-level failure: drop it; the next call reconnects.
    redisFree(ctx_);
    ctx_ = nullptr;
    return none;
  }
  return Reply(r, freeReplyObject);
}

bool RedisSignals::ping() {
  auto r = command({"PING"});
  return r && r->type == REDIS_REPLY_STATUS;
}

bool RedisSignals::announce(int64_t job_id) {
  auto r = command({"XADD", opts_.stream, "*", "job", std::to_string(job_id)});
  return r && r->type == REDIS_REPLY_STRING;
}

bool RedisSignals::ensure_group() {
  auto r = command({"XGROUP", "CREATE", opts_.stream, opts_.group, "0", "MKSTREAM"});
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return std::strncmp(r->str, "BUSYGROUP", 9) == 0;
  return true;
}

std::optional<std::vector<StreamEntry>> RedisSignals::read(const std::string& consumer, int count,
                                                           std::chrono::milliseconds block, bool pending) {
  std::vector<std::string> args = {"XREADGROUP", "GROUP", opts_.group, consumer, "COUNT", std::to_string(count)};
  if (!pending) {
    args.push_back("BLOCK");
    args.push_back(std::to_string(block.count()));
  }
  args.push_back("STREAMS");
  args.push_back(opts_.stream);
  args.push_back(pending ? "0" : ">");
  auto r = command(args);
  if (!r) return std::nullopt;
  if (r->type == REDIS_REPLY_ERROR) {
    if (std::strncmp(r->str, "NOGROUP", 7) == 0) ensure_group();
    return std::nullopt;
  }
  std::vector<StreamEntry> out;
  if (r->type != REDIS_REPLY_ARRAY) return out;  // nil: timeout, nothing new
  for (size_t s = 0; s < r->elements; ++s) {
    redisReply* stream = r->element[s];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    redisReply* entries = stream->element[1];
    if (entries->type != REDIS_REPLY_ARRAY) continue;
    for (size_t i = 0; i < entries->elements; ++i) {
      redisReply* e = entries->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING) continue;
      StreamEntry se;
      se.id.assign(e->element[0]->str, e->element[0]->len);
      redisReply* fields = e->element[1];
      // A pending entry that was deleted meanwhile comes back with nil fields.
      if (fields->type == REDIS_REPLY_ARRAY) {
        for (size_t f = 0; f + 1 < fields->elements; f += 2) {
          if (std::string(fields->element[f]->str, fields->element[f]->len) == "job") {
            try {
              se.job_id = std::stoll(std::string(fields->element[f + 1]->str, fields->element[f + 1]->len));
            } catch (const std::exception&) {
              se.job_id = 0;  // not ours: acknowledged and skipped by the caller
            }
          }
        }
      }
      out.push_back(std::move(se));
    }
  }
  return out;
}

bool RedisSignals::ack(const std::string& entry_id) {
  auto a = command({"XACK", opts_.stream, opts_.group, entry_id});
  auto d = command({"XDEL", opts_.stream, entry_id});
  return a && d && a->type == REDIS_REPLY_INTEGER;
}

bool RedisSignals::schedule(int64_t job_id, std::chrono::system_clock::time_point when) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  auto r = command({"ZADD", opts_.retry_set, std::to_string(ms), std::to_string(job_id)});
  return r && r->type == REDIS_REPLY_INTEGER;
}

std::vector<int64_t> RedisSignals::take_due(std::chrono::system_clock::time_point now, int limit) {
  std::vector<int64_t> out;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto r = command({"ZRANGEBYSCORE", opts_.retry_set, "-inf", std::to_string(ms), "LIMIT", "0", std::to_string(limit)});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    std::string member(r->element[i]->str, r->element[i]->len);
    auto rem = command({"ZREM", opts_.retry_set, member});
    if (rem && rem->type == REDIS_REPLY_INTEGER && rem->integer == 1) {
      try {
        out.push_back(std::stoll(member));
      } catch (const std::exception&) {
      }
    }
  }
  return out;
}

std::optional<int64_t> RedisSignals::stream_length() {
  auto r = command({"XLEN", opts_.stream});
  if (!r || r->type != REDIS_REPLY_INTEGER) return std::nullopt;
  return r->integer;
}

}  // namespace mail::queue
