// SPDX-License-Identifier: Apache-2.0
// QueueAdmin: the PostgreSQL side of queue operations (the mta's Queue API,
// `mailctl queue`). It lists unfinished jobs with filters, shows one job
// with its recipients, legs and attempt history, and acts on legs, by job
// (queue id), by destination domain, or both:
//   retry    queued legs due now, their destinations' backoff cleared;
//   hold     queued legs held: never claimed until released (PgQueue::claim
//            takes queued legs only; finish keeps a held leg held);
//   release  held legs queued again, due now;
//   remove   (mailctl queue delete) the pending recipients of the legs
//            failed with 5.0.0 "deleted by the administrator", reported to
//            the sender in a bounce only when asked, else never; the legs
//            are done, and so is each job with no leg left.
// Legs a worker holds a lease on are held, released and deleted like the
// others; the attempt under way keeps its lease (renew accepts a held leg)
// but a deleted leg's result is not recorded (its lease is gone): a remote
// server may still receive that one attempt. Legs to wake are returned for
// the caller to announce after commit (Redis is only a hint).
//
// A job's state, as operators see it, is the most urgent of its unfinished
// legs': active (a worker holds a lease), held, deferred (tried before, or
// not due yet), else queued (waiting for its first attempt).
//
// Lock order is PgQueue::finish's: recipients, then legs, then the job, so a
// delete never deadlocks with a worker finishing the same leg.
// Trusts: callers for the types only; every value is a query parameter.
// Addresses and domains must come normalized (the Queue API does that).
// Diagnostics: libpqxx exceptions (the caller maps them); a log line per
// action that changed something.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/pg/pool.h"
#include "mail/queue/pg_queue.h"

namespace mail::queue {

using TimePoint = std::chrono::system_clock::time_point;

enum class JobState { queued, deferred, held, active, done };
const char* job_state_name(JobState s);
std::optional<JobState> parse_job_state(std::string_view name);

inline constexpr size_t kDefaultListLimit = 1000;
inline constexpr size_t kMaxListLimit = 10000;
/// Pending recipients named per job in a list (the rest are counted).
inline constexpr size_t kListRecipients = 5;
/// Attempts shown by show() (the newest).
inline constexpr size_t kShowAttempts = 200;
/// Legs an action announces at once; the reconciler wakes the rest.
inline constexpr size_t kMaxAnnounce = 10000;
/// The reason a deleted recipient fails with.
inline constexpr const char* kDeletedReason = "deleted by the administrator";

struct ListFilter {
  std::optional<std::string> sender;  ///< "" = the null sender (bounces)
  std::string recipient;              ///< one of the job's pending recipients
  std::string destination;            ///< one of its unfinished legs goes there
  std::optional<JobState> state;      ///< nullopt: every unfinished job
  std::chrono::seconds older_than{0};
  size_t limit = kDefaultListLimit;   ///< 1..kMaxListLimit
  bool with_total = false;            ///< also count every match (and their bytes)
};

struct RecipientInfo {
  std::string address;
  std::string destination;  ///< "" = local
  std::string state;        ///< pending | delivered | failed
  int attempts = 0;
  std::string code, error;
  TimePoint updated_at;
};

struct LegInfo {
  std::string destination;  ///< "" = local
  std::string state;        ///< queued | held | done
  int attempts = 0;
  TimePoint next_attempt;
  bool leased = false;      ///< a worker is on it now
  std::string last_error;
  std::optional<TimePoint> last_attempt;
};

struct AttemptInfo {
  std::string destination;
  TimePoint at;
  int delivered = 0, deferred = 0, failed = 0;
  std::string detail;
};

struct JobSummary {
  int64_t id = 0;
  std::string queue_id;
  TimePoint received_at;
  uint64_t size = 0;
  std::string sender;
  JobState state = JobState::queued;
  int attempts = 0;                       ///< the most any unfinished leg had
  std::optional<TimePoint> next_attempt;  ///< the soonest of its queued legs
  std::string last_error;                 ///< of the leg tried last
  std::vector<RecipientInfo> recipients;  ///< list: pending ones, at most kListRecipients
  int64_t pending = 0;                    ///< pending recipients in all
};

struct JobDetail {
  JobSummary job;  ///< recipients: every one, in any state
  std::optional<TimePoint> finished_at;
  std::string helo, client_ip, auth_user, protocol;
  std::vector<LegInfo> legs;
  std::vector<AttemptInfo> attempts;  ///< oldest first; the newest kShowAttempts
  bool attempts_truncated = false;
  TimePoint now;                      ///< the database's clock
};

struct ListResult {
  std::vector<JobSummary> jobs;
  bool more = false;  ///< more jobs match than `limit`
  std::optional<int64_t> total, total_size;
  TimePoint now;      ///< the database's clock, for ages
};

/// What an action applies to: one job, one destination, or that job's leg
/// to that destination. At least one is set.
struct Target {
  std::string queue_id;
  std::string destination;
};

struct ActionResult {
  bool found = true;  ///< false: no job has that queue id
  int64_t jobs = 0;   ///< jobs with a leg changed
  int64_t legs = 0;
  int64_t bounces = 0;
  std::vector<int64_t> announce;  ///< legs to wake after commit (at most kMaxAnnounce)
};

class QueueAdmin {
 public:
  /// `opts` gives the bounce's host name and chunk size.
  QueueAdmin(pg::Pool& pool, QueueOptions opts) : pool_(pool), opts_(std::move(opts)) {}

  ListResult list(const ListFilter& filter);
  /// Any job still in the table, finished ones included.
  std::optional<JobDetail> show(const std::string& queue_id);
  ActionResult retry(const Target& target);
  ActionResult hold(const Target& target);
  ActionResult release(const Target& target);
  /// In batches of short transactions (each recipient failure and its bounce
  /// commit together); stops early when `cancelled` says so.
  ActionResult remove(const Target& target, bool bounce, const std::function<bool()>& cancelled = {});

 private:
  ActionResult move_legs(const Target& t, const char* from, const std::string& set, bool announce, const char* verb);
  pg::Pool& pool_;
  QueueOptions opts_;
};

}  // namespace mail::queue
