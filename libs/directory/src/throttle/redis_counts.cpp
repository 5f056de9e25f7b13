// SPDX-License-Identifier: Apache-2.0
// RedisCounts (count_store.h): the throttle's counters shared by every
// process, through hiredis' blocking API with a short timeout. Each
// operation of an attempt is one EVALSHA round trip of a Lua script, so that
// counting, expiry and blocking happen atomically (two replicas failing at the
// same moment cannot both miss the limit). Scripts are loaded on connect
// (SCRIPT LOAD); a restarted Redis drops the connection, and the next connect
// loads them again. The scripts touch several keys, so Redis Cluster would
// need them in one hash slot; the platform runs plain Redis or Sentinel.
// Trusts: Redis is ours; its replies are still checked for shape, and any
// surprise drops the connection (the caller falls back to its own counts).
#include <hiredis/hiredis.h>

#include "count_store.h"

namespace mail::directory::throttle {
namespace {

enum Script { kRead, kFail, kSucceed, kScripts };

// KEYS: address, address_block, account, pair, pair_block, known (Keys order).
// Reply, for kRead and kFail: address, pair and account failures, the
// address's and the pair's block in ms remaining (0: none), known (0/1).
constexpr const char* kReadLua = R"lua(
local function n(k) return tonumber(redis.call('GET', k) or '0') or 0 end
local function t(k) local v = redis.call('PTTL', k); if v < 0 then return 0 end; return v end
return {n(KEYS[1]), n(KEYS[4]), n(KEYS[3]), t(KEYS[2]), t(KEYS[5]), redis.call('EXISTS', KEYS[6])}
)lua";

// ARGV: window ms, block ms, max failures per address, per pair.
constexpr const char* kFailLua = R"lua(
local function bump(k) local v = redis.call('INCR', k); redis.call('PEXPIRE', k, ARGV[1]); return v end
local na = bump(KEYS[1]); bump(KEYS[3]); local np = bump(KEYS[4])
if na >= tonumber(ARGV[3]) then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') end
if np >= tonumber(ARGV[4]) then redis.call('SET', KEYS[5], '1', 'PX', ARGV[2], 'NX') end
local function n(k) return tonumber(redis.call('GET', k) or '0') or 0 end
local function t(k) local v = redis.call('PTTL', k); if v < 0 then return 0 end; return v end
return {na, np, n(KEYS[3]), t(KEYS[2]), t(KEYS[5]), redis.call('EXISTS', KEYS[6])}
)lua";

// KEYS: pair, pair_block, known. ARGV: known ms.
constexpr const char* kSucceedLua = R"lua(
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
return {1}
)lua";

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

redisReply* command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
}

ThrottleState to_state(const std::vector<long long>& v) {
  ThrottleState s;
  s.address_failures = v[0];
  s.pair_failures = v[1];
  s.account_failures = v[2];
  s.address_blocked = std::chrono::milliseconds(v[3]);
  s.pair_blocked = std::chrono::milliseconds(v[4]);
  s.known = v[5] != 0;
  return s;
}

}  // namespace

RedisCounts::RedisCounts(const ThrottleConfig& c)
    : host_(c.redis_host), port_(c.redis_port), timeout_(c.redis_timeout), prefix_(c.key_prefix) {}

RedisCounts::~RedisCounts() { drop(); }

void RedisCounts::drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  shas_.clear();
}

bool RedisCounts::connect() {
  if (ctx_) return true;
  if (host_.empty()) return false;
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_));
  if (!ctx_ || ctx_->err) {
    drop();
    return false;
  }
  redisSetTimeout(ctx_, to_timeval(timeout_));
  for (const char* lua : {kReadLua, kFailLua, kSucceedLua}) {
    redisReply* r = command(ctx_, {"SCRIPT", "LOAD", lua});
    const bool ok = r && r->type == REDIS_REPLY_STRING;
    if (ok) shas_.emplace_back(r->str, r->len);
    if (r) freeReplyObject(r);
    if (!ok) {
      drop();
      return false;
    }
  }
  return true;
}

std::optional<std::vector<long long>> RedisCounts::eval(int script, const std::vector<std::string>& keys,
                                                        const std::vector<std::string>& args) {
  if (!connect()) return std::nullopt;
  std::vector<std::string> argv{"EVALSHA", shas_.at(static_cast<size_t>(script)), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  redisReply* r = command(ctx_, argv);
  std::optional<std::vector<long long>> out;
  if (r && r->type == REDIS_REPLY_ARRAY) {
    out.emplace();
    for (size_t i = 0; i < r->elements; ++i) {
      if (r->element[i]->type != REDIS_REPLY_INTEGER) {
        out.reset();
        break;
      }
      out->push_back(r->element[i]->integer);
    }
  }
  if (r) freeReplyObject(r);
  if (!out) drop();  // timeout, NOSCRIPT, a restarted server: start afresh next time
  return out;
}

std::optional<ThrottleState> RedisCounts::read(const Keys& k) {
  auto v = eval(kRead, {k.address, k.address_block, k.account, k.pair, k.pair_block, k.known}, {});
  if (!v || v->size() != 6) return std::nullopt;
  return to_state(*v);
}

std::optional<ThrottleState> RedisCounts::fail(const Keys& k, const ThrottleConfig& c) {
  auto v = eval(kFail, {k.address, k.address_block, k.account, k.pair, k.pair_block, k.known},
                {std::to_string(std::max<int64_t>(c.window.count(), 1)), std::to_string(std::max<int64_t>(c.block_time.count(), 1)),
                 std::to_string(c.max_failures_per_address), std::to_string(c.max_failures_per_pair)});
  if (!v || v->size() != 6) return std::nullopt;
  return to_state(*v);
}

bool RedisCounts::succeed(const Keys& k, const ThrottleConfig& c) {
  auto v = eval(kSucceed, {k.pair, k.pair_block, k.known}, {std::to_string(std::max<int64_t>(c.known_time.count(), 1))});
  return v.has_value();
}

int64_t RedisCounts::erase(const std::vector<std::string>& exact, const std::vector<std::string>& patterns) {
  if (!connect()) return -1;
  std::vector<std::string> doomed = exact;
  for (const auto& pattern : patterns) {
    std::string cursor = "0";
    do {
      redisReply* r = command(ctx_, {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      const bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                      r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_ARRAY;
      if (ok) {
        cursor.assign(r->element[0]->str, r->element[0]->len);
        for (size_t i = 0; i < r->element[1]->elements; ++i) {
          const redisReply* key = r->element[1]->element[i];
          if (key->type == REDIS_REPLY_STRING) doomed.emplace_back(key->str, key->len);
        }
      }
      if (r) freeReplyObject(r);
      if (!ok) {
        drop();
        return -1;
      }
    } while (cursor != "0");
  }
  int64_t deleted = 0;
  for (size_t at = 0; at < doomed.size(); at += 500) {
    std::vector<std::string> argv{"DEL"};
    for (size_t i = at; i < std::min(doomed.size(), at + 500); ++i) argv.push_back(doomed[i]);
    redisReply* r = command(ctx_, argv);
    const bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (ok) deleted += r->integer;
    if (r) freeReplyObject(r);
    if (!ok) {
      drop();
      return -1;
    }
  }
  return deleted;
}

}  // namespace mail::directory::throttle
