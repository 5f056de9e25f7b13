// SPDX-License-Identifier: Apache-2.0
// PgQueue: the mta's queue of record in PostgreSQL (schema `queue`, bodies in
// store.blobs/blob_chunks). One transaction per accepted message (body chunks,
// job, one row per recipient); leases decide which worker owns a job; results
// and retry times are written here. Redis (RedisSignals) only wakes workers.
// Trusts: nothing from callers beyond types; all SQL is parameterized.
// Errors: libpqxx exceptions propagate; callers map them (UNAVAILABLE).
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/pg/pool.h"
#include "mail/store/blob_writer.h"

namespace mail::queue {

struct Envelope {
  std::string sender;  // '' = null reverse-path
  std::vector<std::string> recipients;
  std::string helo, client_ip, auth_user, protocol, idempotency_key;
};

struct Accepted {
  int64_t job_id = 0;
  std::string queue_id;
  uint64_t size = 0;
  bool duplicate = false;  // the idempotency key was seen before
  int local_recipients = 0;
  /// The job's legs (one per destination), to announce after commit; empty
  /// for a duplicate.
  std::vector<int64_t> legs;
};

/// Chunked body writes, shared with IMAP APPEND (libs/store).
using BlobWriter = store::BlobWriter;

/// The job an idempotency key already made, if any.
std::optional<Accepted> find_idempotent(pqxx::transaction_base& tx, const std::string& key);
/// Inserts the job, one row per recipient (route: local when the domain is
/// in directory.domains, else remote, with its domain as destination) and one
/// leg per destination, in the caller's transaction.
Accepted insert_job(pqxx::transaction_base& tx, const Envelope& env, int64_t blob_id, uint64_t size);

/// A new job for `env`'s recipients on the body (and with the sender) of
/// job `job_id`, committed in its own transaction: nullopt when there is no
/// such job. env.idempotency_key is required; a repeat returns the first job
/// (duplicate = true).
std::optional<Accepted> forward_job(pqxx::connection& conn, int64_t job_id, Envelope env);

/// One message being written: chunks go to store.blob_chunks as they fill;
/// nothing is visible until commit(). Destroying it without commit rolls back.
class Submission {
 public:
  Submission(pqxx::connection& conn, size_t chunk_size);
  void append(std::string_view bytes) { blob_.append(bytes); }
  uint64_t size() const { return blob_.size(); }
  /// Writes job and recipients and commits; a known idempotency key returns
  /// the earlier job (duplicate = true) and keeps nothing new.
  Accepted commit(const Envelope& env);

 private:
  pqxx::work tx_;
  BlobWriter blob_;
};

struct Recipient {
  int64_t id = 0;
  std::string address;
  std::string route;  // local | remote
  int attempts = 0;
};

/// A claimed leg: one job's pending recipients for one destination.
struct Job {
  int64_t id = 0;            // the job
  int64_t leg_id = 0;        // the leg claimed
  std::string destination;   // '' = local, else the remote domain
  std::string queue_id;
  int64_t blob_id = 0;
  std::string sender;
  uint64_t size = 0;
  int attempts = 0;          // of this leg, this one included
  std::chrono::system_clock::time_point received_at;
  std::vector<Recipient> pending;
  bool local() const { return destination.empty(); }
};

enum class Outcome { delivered, tempfail, permfail };

struct RecipientResult {
  int64_t recipient_id = 0;
  Outcome outcome = Outcome::tempfail;
  std::string code;    // enhanced status code, e.g. 4.2.2
  std::string detail;
};

struct Stats {
  int64_t depth = 0;               // queued jobs
  double oldest_age_seconds = 0;   // age of the oldest queued job
  /// Unfinished legs by state: "due" (waiting for a worker), "active"
  /// (leased), "deferred" (next attempt later), "held"; each with the age
  /// of its oldest message. Every state is present (0 when none).
  struct ByState {
    std::string state;
    int64_t legs = 0;
    double oldest_age_seconds = 0;
  };
  std::vector<ByState> legs;
};

struct QueueOptions {
  std::chrono::milliseconds lease{60000};
  std::chrono::milliseconds retry_min{60000};
  std::chrono::milliseconds retry_max{3600000};
  std::chrono::seconds max_age{24 * 5 * 3600};
  /// After this long in the queue, the sender of a message still pending
  /// is told once (queue.delay_warning, as Postfix's delay_warning_time);
  /// 0: never.
  std::chrono::seconds delay_warning{0};
  std::string hostname = "localhost";  // names us in bounces
  size_t chunk_size = 256 * 1024;
};

struct FinishResult {
  /// When the leg's next attempt is due; nullopt when it is finished.
  std::optional<std::chrono::system_clock::time_point> next;
  /// The legs of a bounce queued in the same transaction: announce them.
  std::vector<int64_t> bounce_legs;
};

/// A remote destination's standing (queue.destinations).
struct DestinationState {
  int failures = 0;
  std::optional<std::chrono::system_clock::time_point> backoff_until;  // in the future, if backed off
  std::string last_error;
};

class PgQueue {
 public:
  /// `pool` should have synchronous_commit off (see kAsyncCommitOption): a
  /// lease or result lost in a database crash only means the job runs again,
  /// and the mda's UNIQUE key absorbs the repeat; what must be durable (the
  /// message, a delivery) is committed elsewhere with fsync.
  PgQueue(pg::Pool& pool, QueueOptions opts) : pool_(pool), opts_(opts) {}

  /// Claim a due, unleased, queued leg for `owner`; nullopt when someone else
  /// holds it, it is done or held, or it is not due yet.
  std::optional<Job> claim(int64_t leg_id, const std::string& owner);
  /// Extend the lease while working (false when the lease was lost). A leg
  /// held meanwhile (mailctl queue hold) keeps its lease: the attempt under
  /// way still records its outcome, and the leg stays held after it.
  bool renew(int64_t leg_id, const std::string& owner);
  /// Apply delivery results and release the lease. Remote recipients
  /// delivered are marked here (local ones were marked by the mda in its own
  /// transaction). Recipients that failed for good are reported to the
  /// sender in a bounce (RFC 3464, null sender), queued in the same
  /// transaction, which then commits with fsync; a message with a null
  /// sender is never bounced. The job is done once all its legs are. A leg
  /// held while it was being worked on stays held (unless nothing is left
  /// pending: then it is done).
  FinishResult finish(const Job& job, const std::string& owner, const std::vector<RecipientResult>& results);
  /// Give the leg back without an attempt, due again at `when` (a destination
  /// backed off or at its connection limit).
  void defer(const Job& job, const std::string& owner, std::chrono::system_clock::time_point when,
             const std::string& reason);
  /// Legs that should have been worked on by now but are not leased: the
  /// reconciler announces them again (after a Redis flush or a lost worker).
  std::vector<int64_t> overdue(std::chrono::milliseconds grace, int limit);
  /// Legs whose retry time is in the future (to rebuild the retry set).
  std::vector<std::pair<int64_t, std::chrono::system_clock::time_point>> scheduled(int limit);
  Stats stats();

  /// The destination's standing; backoff_until only when still in the future.
  DestinationState destination(const std::string& name);
  /// After a delivery attempt to `name`: a success (any server answered the
  /// transaction) clears its failures; a failure to reach or use any of its
  /// servers counts one more and backs the destination off by backoff().
  void record_destination(const std::string& name, bool reached, const std::string& error);

  std::chrono::milliseconds backoff(int attempts) const;

 private:
  std::vector<int64_t> queue_bounce(pqxx::transaction_base& tx, const Job& job);
  pg::Pool& pool_;
  QueueOptions opts_;
};

/// Append to a conninfo for PgQueue's pool.
inline constexpr const char* kAsyncCommitOption = " options='-c synchronous_commit=off'";

/// A new public queue id: 12 upper-case hex characters from a random source.
std::string new_queue_id();

}  // namespace mail::queue
