// SPDX-License-Identifier: Apache-2.0
// PostgreSQL side of the queue: commit of accepted messages, leases, results.
#include "mail/pg/exec.h"
#include "mail/queue/pg_queue.h"

#include <algorithm>

#include "mail/common/strings.h"
#include "mail/queue/bounce.h"

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
  // Route fixed now: local when the domain is ours, else its domain is the
  // destination. Duplicates in the envelope collapse to one row (UNIQUE
  // (job_id, address)).
  for (const auto& rcpt : env.recipients) {
    const std::string domain = common::ascii_lower(common::address_domain(rcpt));
    auto rr = pg::exec(tx,
        "INSERT INTO queue.recipients(job_id, address, route, destination)"
        " SELECT $1, $2, CASE WHEN l THEN 'local' ELSE 'remote' END, CASE WHEN l THEN '' ELSE $3 END"
        " FROM (SELECT EXISTS (SELECT 1 FROM directory.domains WHERE name = $3) AS l) d"
        " ON CONFLICT (job_id, address) DO NOTHING RETURNING route",
        acc.job_id, rcpt, domain);
    if (!rr.empty() && rr[0][0].as<std::string>() == "local") ++acc.local_recipients;
  }
  auto legs = pg::exec(tx,
      "INSERT INTO queue.legs(job_id, destination) SELECT DISTINCT $1::bigint, destination FROM queue.recipients"
      " WHERE job_id = $1 RETURNING id",
      acc.job_id);
  for (const auto& row : legs) acc.legs.push_back(row[0].as<int64_t>());
  return acc;
}

std::optional<Accepted> forward_job(pqxx::connection& conn, int64_t job_id, Envelope env) {
  pqxx::work tx(conn);
  if (auto dup = find_idempotent(tx, env.idempotency_key)) {
    tx.abort();
    return dup;
  }
  auto r = pg::exec(tx, "SELECT blob_id, size, sender FROM queue.jobs WHERE id = $1", job_id);
  if (r.empty()) return std::nullopt;
  env.sender = r[0][2].as<std::string>();
  Accepted acc = insert_job(tx, env, r[0][0].as<int64_t>(), r[0][1].as<uint64_t>());
  tx.commit();
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

namespace {
Clock::time_point from_epoch(double seconds) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}
}  // namespace

std::optional<Job> PgQueue::claim(int64_t leg_id, const std::string& owner) {
  return pool_.with([&](pqxx::connection& c) -> std::optional<Job> {
    pqxx::work tx(c);
    auto r = pg::exec(tx,
        "UPDATE queue.legs l SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond',"
        " attempts = l.attempts + 1, last_attempt_at = now()"
        " FROM queue.jobs j"
        " WHERE l.id = $1 AND j.id = l.job_id AND l.state = 'queued' AND l.lease_until < now()"
        " AND l.next_attempt_at <= now()"
        " RETURNING j.id, l.destination, j.queue_id, j.blob_id, j.sender, j.size, l.attempts,"
        " extract(epoch from j.received_at)",
        leg_id, owner, static_cast<int64_t>(opts_.lease.count()));
    if (r.empty()) return std::nullopt;
    Job job;
    job.id = r[0][0].as<int64_t>();
    job.leg_id = leg_id;
    job.destination = r[0][1].as<std::string>();
    job.queue_id = r[0][2].as<std::string>();
    job.blob_id = r[0][3].as<int64_t>();
    job.sender = r[0][4].as<std::string>();
    job.size = r[0][5].as<uint64_t>();
    job.attempts = r[0][6].as<int>();
    job.received_at = from_epoch(r[0][7].as<double>());
    auto rr = pg::exec(tx,
        "SELECT id, address, route, attempts FROM queue.recipients"
        " WHERE job_id = $1 AND destination = $2 AND state = 'pending' ORDER BY id",
        job.id, job.destination);
    for (const auto& row : rr)
      job.pending.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<int>()});
    tx.commit();
    return job;
  });
}

bool PgQueue::renew(int64_t leg_id, const std::string& owner) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = pg::exec(tx,
        "UPDATE queue.legs SET lease_until = now() + $3 * interval '1 millisecond'"
        " WHERE id = $1 AND lease_owner = $2 AND state IN ('queued', 'held') RETURNING id",
        leg_id, owner, static_cast<int64_t>(opts_.lease.count()));
    tx.commit();
    return !r.empty();
  });
}

FinishResult PgQueue::finish(const Job& job, const std::string& owner, const std::vector<RecipientResult>& results) {
  return pool_.with([&](pqxx::connection& c) -> FinishResult {
    pqxx::work tx(c);
    std::string last_error;
    int delivered = 0, deferred = 0, failed = 0;
    for (const auto& res : results) {
      (res.outcome == Outcome::delivered ? delivered : res.outcome == Outcome::permfail ? failed : deferred)++;
      if (res.outcome == Outcome::delivered) {
        // A local delivery was marked in the mda's own delivery transaction
        // (that shared commit is what makes it exactly-once); a remote one
        // is marked here, as soon as the remote server has answered.
        if (!job.local())
          pg::exec(tx,
              "UPDATE queue.recipients SET state = 'delivered', attempts = attempts + 1, last_code = $3,"
              " last_error = $4, updated_at = now() WHERE id = $1 AND job_id = $2 AND state = 'pending'",
              res.recipient_id, job.id, res.code, res.detail);
        continue;
      }
      if (last_error.empty()) last_error = res.detail;
      pg::exec(tx,
          "UPDATE queue.recipients SET attempts = attempts + 1, last_code = $3, last_error = $4,"
          " state = CASE WHEN $5 THEN 'failed' ELSE state END, updated_at = now()"
          " WHERE id = $1 AND job_id = $2 AND state = 'pending'",
          res.recipient_id, job.id, res.code, res.detail, res.outcome == Outcome::permfail);
    }
    // The attempt's record when something did not go through (a success is
    // in the recipients' own rows: the remote's 250 is their last reply).
    if (deferred + failed > 0) {
      std::string detail = last_error;
      for (const auto& res : results)
        if (detail.empty() && res.outcome == Outcome::delivered) detail = res.detail;
      pg::exec(tx, "INSERT INTO queue.attempts(leg_id, delivered, deferred, failed, detail) VALUES ($1, $2, $3, $4, $5)",
               job.leg_id, delivered, deferred, failed, detail.substr(0, 2000));
    }
    // Recipients still pending past the queue's maximum age fail for good.
    if (job.received_at < Clock::now() - opts_.max_age) {
      pg::exec(tx,
          "UPDATE queue.recipients SET state = 'failed', last_code = '4.4.7',"
          " last_error = 'message expired in queue: ' || last_error"
          " WHERE job_id = $1 AND destination = $2 AND state = 'pending'",
          job.id, job.destination);
    }
    // One statement finishes the leg or schedules its next attempt.
    auto r = pg::exec(tx,
        "UPDATE queue.legs l SET"
        " state = CASE WHEN p.n = 0 THEN 'done' WHEN l.state = 'held' THEN 'held' ELSE 'queued' END,"
        " next_attempt_at = CASE WHEN p.n = 0 THEN l.next_attempt_at ELSE now() + $3 * interval '1 millisecond' END,"
        " lease_owner = NULL, lease_until = '-infinity', last_error = $4"
        " FROM (SELECT count(*) AS n FROM queue.recipients"
        "       WHERE job_id = $5 AND destination = $6 AND state = 'pending') p"
        " WHERE l.id = $1 AND l.lease_owner = $2 RETURNING p.n, extract(epoch from l.next_attempt_at)",
        job.leg_id, owner, static_cast<int64_t>(backoff(job.attempts).count()), last_error, job.id, job.destination);
    FinishResult out;
    if (r.empty()) {
      // The lease was lost meanwhile: whoever holds it now decides.
      out.next = Clock::now() + backoff(job.attempts);
      return out;
    }
    if (r[0][0].as<int64_t>() > 0) {
      out.next = from_epoch(r[0][1].as<double>());
    } else {
      pg::exec(tx,
          "UPDATE queue.jobs SET state = 'done', finished_at = now() WHERE id = $1 AND state = 'queued'"
          " AND NOT EXISTS (SELECT 1 FROM queue.legs WHERE job_id = $1 AND state <> 'done')",
          job.id);
    }
    if (!job.sender.empty()) out.bounce_legs = queue_bounce(tx, job);
    if (out.next && !job.sender.empty() && opts_.delay_warning.count() > 0 &&
        job.received_at + opts_.delay_warning <= Clock::now()) {
      auto warn = queue_delay_warning(tx, BounceSource{job.id, job.queue_id, job.blob_id, job.sender, job.received_at},
                                      opts_.hostname, opts_.chunk_size, job.received_at + opts_.max_age);
      out.bounce_legs.insert(out.bounce_legs.end(), warn.begin(), warn.end());
    }
    tx.commit();
    return out;
  });
}

void PgQueue::defer(const Job& job, const std::string& owner, Clock::time_point when, const std::string& reason) {
  pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    const double at = std::chrono::duration<double>(when.time_since_epoch()).count();
    pg::exec(tx,
        "UPDATE queue.legs SET attempts = greatest(attempts - 1, 0), next_attempt_at = to_timestamp($3),"
        " lease_owner = NULL, lease_until = '-infinity', last_error = $4"
        " WHERE id = $1 AND lease_owner = $2",
        job.leg_id, owner, at, reason);
    tx.commit();
  });
}

DestinationState PgQueue::destination(const std::string& name) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = pg::exec(tx,
        "SELECT failures, backoff_until > now(), extract(epoch from backoff_until), last_error"
        " FROM queue.destinations WHERE name = $1",
        name);
    tx.commit();
    DestinationState st;
    if (r.empty()) return st;
    st.failures = r[0][0].as<int>();
    if (r[0][1].as<bool>()) st.backoff_until = from_epoch(r[0][2].as<double>());
    st.last_error = r[0][3].as<std::string>();
    return st;
  });
}

void PgQueue::record_destination(const std::string& name, bool reached, const std::string& error) {
  pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (reached) {
      pg::exec(tx,
          "UPDATE queue.destinations SET failures = 0, backoff_until = '-infinity', last_error = '', updated_at = now()"
          " WHERE name = $1 AND failures > 0",
          name);
    } else {
      // The first failure backs off by retry_min, each further one doubles it.
      auto r = pg::exec(tx,
          "INSERT INTO queue.destinations(name, failures, last_error) VALUES ($1, 1, $2)"
          " ON CONFLICT (name) DO UPDATE SET failures = queue.destinations.failures + 1, last_error = $2,"
          " updated_at = now() RETURNING failures",
          name, error);
      const int failures = r[0][0].as<int>();
      pg::exec(tx,
          "UPDATE queue.destinations SET backoff_until = now() + $2 * interval '1 millisecond' WHERE name = $1",
          name, static_cast<int64_t>(backoff(failures).count()));
    }
    tx.commit();
  });
}

std::vector<int64_t> PgQueue::queue_bounce(pqxx::transaction_base& tx, const Job& job) {
  return queue::queue_bounce(tx, BounceSource{job.id, job.queue_id, job.blob_id, job.sender, job.received_at},
                             opts_.hostname, opts_.chunk_size);
}

std::vector<int64_t> PgQueue::overdue(std::chrono::milliseconds grace, int limit) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = pg::exec(tx,
        "SELECT id FROM queue.legs WHERE state = 'queued' AND lease_until < now()"
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
        "SELECT id, extract(epoch from next_attempt_at) FROM queue.legs WHERE state = 'queued'"
        " AND next_attempt_at > now() ORDER BY next_attempt_at LIMIT $1",
        limit);
    std::vector<std::pair<int64_t, Clock::time_point>> out;
    for (const auto& row : r) out.emplace_back(row[0].as<int64_t>(), from_epoch(row[1].as<double>()));
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
    Stats st{r[0][0].as<int64_t>(), r[0][1].as<double>(), {}};
    auto legs = tx.exec(
        "SELECT s.state, count(l.id), COALESCE(extract(epoch from now() - min(j.received_at)), 0)"
        " FROM (VALUES ('due'), ('active'), ('deferred'), ('held')) s(state)"
        " LEFT JOIN (queue.legs l JOIN queue.jobs j ON j.id = l.job_id) ON l.state <> 'done' AND s.state ="
        "   CASE WHEN l.state = 'held' THEN 'held' WHEN l.lease_until > now() THEN 'active'"
        "        WHEN l.next_attempt_at > now() THEN 'deferred' ELSE 'due' END"
        " GROUP BY s.state ORDER BY s.state");
    for (const auto& row : legs)
      st.legs.push_back({row[0].as<std::string>(), row[1].as<int64_t>(), row[2].as<double>()});
    tx.commit();
    return st;
  });
}

}  // namespace mail::queue
