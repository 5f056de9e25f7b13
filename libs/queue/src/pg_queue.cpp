// SPDX-License-Identifier: Apache-2.0
// PostgreSQL side of the queue: commit of accepted messages, leases, results.
#include "mail/pg/exec.h"
#include "mail/queue/pg_queue.h"

#include <algorithm>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/mime/header.h"
#include "mail/queue/dsn.h"

namespace mail::queue {

using Clock = std::chrono::system_clock;

std::string new_queue_id() { return common::ascii_upper(common::random_hex(6)); }

std::optional<Accepted> find_idempotent(pqxx::transaction_base& tx, const std::string& key) {
  if (key.empty()) return std::nullopt;
  auto r = pg::exec(tx, "SELECT id, queue_id, size FROM queue.jobs WHERE idempotency_key = $1", key);
  if (r.empty()) return std::nullopt;
  Accepted acc;
  acc.job_id = r[0][0].as<int64_t>();
  acc.queue_id = r[0][1].as<std::string>();
  acc.size = r[0][2].as<uint64_t>();
  acc.duplicate = true;
  return acc;
}

Accepted insert_job(pqxx::transaction_base& tx, const Envelope& env, int64_t blob_id, uint64_t size) {
  Accepted acc;
  acc.queue_id = new_queue_id();
  acc.size = size;
  // NULLIF keeps the UNIQUE idempotency key out of play when none was given.
  auto r = pg::exec(tx,
      "INSERT INTO queue.jobs(queue_id, blob_id, sender, size, helo, client_ip, auth_user, protocol, idempotency_key)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, '')) RETURNING id",
      acc.queue_id, blob_id, env.sender, static_cast<int64_t>(size), env.helo, env.client_ip, env.auth_user,
      env.protocol, env.idempotency_key);
  acc.job_id = r[0][0].as<int64_t>();
  // Route fixed now: local when the domain is ours. Duplicates in the envelope
  // collapse to one row (UNIQUE (job_id, address)).
  for (const auto& rcpt : env.recipients) {
    auto rr = pg::exec(tx,
        "INSERT INTO queue.recipients(job_id, address, route)"
        " SELECT $1, $2, CASE WHEN EXISTS (SELECT 1 FROM directory.domains WHERE name = $3)"
        "   THEN 'local' ELSE 'remote' END"
        " ON CONFLICT (job_id, address) DO NOTHING RETURNING route",
        acc.job_id, rcpt, std::string(common::address_domain(rcpt)));
    if (!rr.empty() && rr[0][0].as<std::string>() == "local") ++acc.local_recipients;
  }
  return acc;
}

Submission::Submission(pqxx::connection& conn, size_t chunk_size) : tx_(conn), blob_(tx_, chunk_size) {}

Accepted Submission::commit(const Envelope& env) {
  if (auto dup = find_idempotent(tx_, env.idempotency_key)) {
    tx_.abort();
    return *dup;
  }
  const int64_t blob_id = blob_.finish();
  Accepted acc = insert_job(tx_, env, blob_id, blob_.size());
  tx_.commit();
  return acc;
}

std::chrono::milliseconds PgQueue::backoff(int attempts) const {
  auto d = opts_.retry_min;
  for (int i = 1; i < attempts && d < opts_.retry_max; ++i) d *= 2;
  return std::min(d, opts_.retry_max);
}

std::optional<Job> PgQueue::claim(int64_t job_id, const std::string& owner) {
  return pool_.with([&](pqxx::connection& c) -> std::optional<Job> {
    pqxx::work tx(c);
    auto r = pg::exec(tx, 
        "UPDATE queue.jobs SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond',"
        " attempts = attempts + 1"
        " WHERE id = $1 AND state = 'queued' AND lease_until < now() AND next_attempt_at <= now()"
        " RETURNING queue_id, blob_id, sender, attempts, extract(epoch from received_at)",
        job_id, owner, static_cast<int64_t>(opts_.lease.count()));
    if (r.empty()) return std::nullopt;
    Job job;
    job.id = job_id;
    job.queue_id = r[0][0].as<std::string>();
    job.blob_id = r[0][1].as<int64_t>();
    job.sender = r[0][2].as<std::string>();
    job.attempts = r[0][3].as<int>();
    job.received_at = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(r[0][4].as<double>())));
    auto rr = pg::exec(tx, 
        "SELECT id, address, route, attempts FROM queue.recipients WHERE job_id = $1 AND state = 'pending' ORDER BY id",
        job_id);
    for (const auto& row : rr)
      job.pending.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<int>()});
    tx.commit();
    return job;
  });
}

bool PgQueue::renew(int64_t job_id, const std::string& owner) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = pg::exec(tx, 
        "UPDATE queue.jobs SET lease_until = now() + $3 * interval '1 millisecond'"
        " WHERE id = $1 AND lease_owner = $2 AND state = 'queued' RETURNING id",
        job_id, owner, static_cast<int64_t>(opts_.lease.count()));
    tx.commit();
    return !r.empty();
  });
}

FinishResult PgQueue::finish(const Job& job, const std::string& owner, const std::vector<RecipientResult>& results) {
  return pool_.with([&](pqxx::connection& c) -> FinishResult {
    pqxx::work tx(c);
    for (const auto& res : results) {
      // A delivered recipient was marked in the mda's own delivery
      // transaction (that shared commit is what makes delivery exactly-once).
      if (res.outcome != Outcome::delivered) {
        pg::exec(tx, 
            "UPDATE queue.recipients SET attempts = attempts + 1, last_code = $3, last_error = $4,"
            " state = CASE WHEN $5 THEN 'failed' ELSE state END, updated_at = now()"
            " WHERE id = $1 AND job_id = $2 AND state = 'pending'",
            res.recipient_id, job.id, res.code, res.detail, res.outcome == Outcome::permfail);
      }
    }
    // Recipients still pending past the queue's maximum age fail for good.
    if (job.received_at < Clock::now() - opts_.max_age) {
      pg::exec(tx,
          "UPDATE queue.recipients SET state = 'failed', last_code = '4.4.7',"
          " last_error = 'message expired in queue: ' || last_error WHERE job_id = $1 AND state = 'pending'",
          job.id);
    }
    // One statement finishes the job or schedules its next attempt.
    auto r = pg::exec(tx,
        "UPDATE queue.jobs j SET"
        " state = CASE WHEN p.n = 0 THEN 'done' ELSE 'queued' END,"
        " finished_at = CASE WHEN p.n = 0 THEN now() END,"
        " next_attempt_at = CASE WHEN p.n = 0 THEN j.next_attempt_at ELSE now() + $3 * interval '1 millisecond' END,"
        " lease_owner = NULL, lease_until = '-infinity'"
        " FROM (SELECT count(*) AS n FROM queue.recipients WHERE job_id = $1 AND state = 'pending') p"
        " WHERE j.id = $1 AND j.lease_owner = $2 RETURNING p.n, extract(epoch from j.next_attempt_at)",
        job.id, owner, static_cast<int64_t>(backoff(job.attempts).count()));
    FinishResult out;
    if (r.empty()) {
      // The lease was lost meanwhile: whoever holds it now decides.
      out.next = Clock::now() + backoff(job.attempts);
      return out;
    }
    if (r[0][0].as<int64_t>() > 0)
      out.next = Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(r[0][1].as<double>())));
    if (!job.sender.empty()) out.bounce_job = queue_bounce(tx, job);
    tx.commit();
    return out;
  });
}

int64_t PgQueue::queue_bounce(pqxx::transaction_base& tx, const Job& job) {
  auto failed = pg::exec(tx,
      "UPDATE queue.recipients SET notified = true WHERE job_id = $1 AND state = 'failed' AND NOT notified"
      " RETURNING address, last_code, last_error",
      job.id);
  if (failed.empty()) return 0;
  // The bounce is a promise to the sender: this commit waits for fsync.
  tx.exec("SET LOCAL synchronous_commit = on");
  DsnInput in;
  in.reporting_host = opts_.hostname;
  in.queue_id = job.queue_id;
  in.original_sender = job.sender;
  in.arrival = Clock::to_time_t(job.received_at);
  in.now = Clock::to_time_t(Clock::now());
  for (const auto& row : failed)
    in.failed.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
  auto head = pg::exec(tx, "SELECT data FROM store.blob_chunks WHERE blob_id = $1 AND seq = 0", job.blob_id);
  if (!head.empty()) {
    pqxx::binarystring b(head[0][0]);
    std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
    auto end = mime::find_header_end(text);
    in.original_headers = std::string(text.substr(0, std::min(end.value_or(text.size()), kMaxReturnedHeaders)));
  }
  in.boundary = "dsn-" + common::random_hex(12);
  in.message_id = "<" + common::random_hex(12) + ".dsn@" + opts_.hostname + ">";
  Envelope env;
  env.recipients = {job.sender};  // sender stays empty: the null reverse-path
  env.helo = opts_.hostname;
  env.protocol = "local";
  env.idempotency_key = "dsn:" + std::to_string(job.id) + ":" + in.failed.front().address;
  if (auto dup = find_idempotent(tx, env.idempotency_key)) return 0;
  BlobWriter blob(tx, opts_.chunk_size);
  blob.append(build_dsn(in));
  const int64_t blob_id = blob.finish();
  Accepted acc = insert_job(tx, env, blob_id, blob.size());
  log::info("bounce queued", {{"queue_id", acc.queue_id}, {"for", job.queue_id}, {"to", job.sender},
                              {"failed", in.failed.size()}});
  return acc.job_id;
}

std::vector<int64_t> PgQueue::overdue(std::chrono::milliseconds grace, int limit) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = pg::exec(tx, 
        "SELECT id FROM queue.jobs WHERE state = 'queued' AND lease_until < now()"
        " AND next_attempt_at <= now() - $1 * interval '1 millisecond' ORDER BY next_attempt_at LIMIT $2",
        static_cast<int64_t>(grace.count()), limit);
    std::vector<int64_t> ids;
    for (const auto& row : r) ids.push_back(row[0].as<int64_t>());
    tx.commit();
    return ids;
  });
}

std::vector<std::pair<int64_t, Clock::time_point>> PgQueue::scheduled(int limit) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = pg::exec(tx, 
        "SELECT id, extract(epoch from next_attempt_at) FROM queue.jobs WHERE state = 'queued'"
        " AND next_attempt_at > now() ORDER BY next_attempt_at LIMIT $1",
        limit);
    std::vector<std::pair<int64_t, Clock::time_point>> out;
    for (const auto& row : r)
      out.emplace_back(row[0].as<int64_t>(), Clock::time_point(std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(row[1].as<double>()))));
    tx.commit();
    return out;
  });
}

Stats PgQueue::stats() {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec(
        "SELECT count(*), COALESCE(extract(epoch from now() - min(received_at)), 0)"
        " FROM queue.jobs WHERE state = 'queued'");
    tx.commit();
    return Stats{r[0][0].as<int64_t>(), r[0][1].as<double>()};
  });
}

}  // namespace mail::queue
