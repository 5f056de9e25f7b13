// SPDX-License-Identifier: Apache-2.0
// QueueAdmin (see queue_admin.h): the list, show and the leg actions in SQL.
// The list's WHERE clause is put together from fixed fragments, one per
// filter given; every value is a numbered parameter ($n), never text in the
// statement. It runs unprepared, so each list is planned for its own
// filters (a generic plan would ignore the partial indexes of 008).
#include "mail/queue/queue_admin.h"

#include <algorithm>
#include <map>
#include <set>

#include "mail/common/log.h"
#include "mail/pg/exec.h"
#include "mail/queue/bounce.h"

namespace mail::queue {

using Clock = std::chrono::system_clock;

namespace {

TimePoint from_epoch(double seconds) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

std::optional<TimePoint> optional_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_epoch(f.as<double>());
}

// Numbered parameters for a statement put together at run time.
class Params {
 public:
  std::string add(std::string value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql) const {
    return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(values_));
  }

 private:
  std::vector<std::string> values_;
};

std::string int_array(const std::vector<int64_t>& ids) {
  std::string s = "{";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "}";
}

// The state of job `j` from its unfinished legs (one row, also for none).
constexpr const char* kLegSummary =
    " CROSS JOIN LATERAL (SELECT"
    "   CASE WHEN bool_or(l.lease_until > now()) THEN 'active'"
    "        WHEN bool_or(l.state = 'held') THEN 'held'"
    "        WHEN bool_or(l.attempts > 0 OR l.next_attempt_at > now()) THEN 'deferred'"
    "        ELSE 'queued' END AS state,"
    "   COALESCE(max(l.attempts), 0) AS attempts,"
    "   min(l.next_attempt_at) FILTER (WHERE l.state = 'queued') AS next_at,"
    "   (array_agg(l.last_error ORDER BY l.last_attempt_at DESC NULLS LAST)"
    "      FILTER (WHERE l.last_error <> ''))[1] AS last_error"
    "   FROM queue.legs l WHERE l.job_id = j.id AND l.state <> 'done') s";

JobState state_of(const std::string& name) { return parse_job_state(name).value_or(JobState::queued); }

// Fills what the job row and its leg summary say (columns from `first`:
// id, queue_id, received, size, sender, state, attempts, next_at, last_error).
JobSummary summary_of(const pqxx::row& row) {
  JobSummary j;
  j.id = row[0].as<int64_t>();
  j.queue_id = row[1].as<std::string>();
  j.received_at = from_epoch(row[2].as<double>());
  j.size = row[3].as<uint64_t>();
  j.sender = row[4].as<std::string>();
  j.state = state_of(row[5].as<std::string>());
  j.attempts = row[6].as<int>();
  j.next_attempt = optional_time(row[7]);
  j.last_error = row[8].is_null() ? "" : row[8].as<std::string>();
  return j;
}

// The WHERE fragment that picks a target's legs (alias l); false when the
// queue id names no job.
bool target_clause(pqxx::transaction_base& tx, const Target& t, Params& p, std::string& clause) {
  clause.clear();
  if (!t.queue_id.empty()) {
    auto r = pg::exec(tx, "SELECT id FROM queue.jobs WHERE queue_id = $1", t.queue_id);
    if (r.empty()) return false;
    clause += " AND l.job_id = " + p.add(r[0][0].as<std::string>()) + "::bigint";
  }
  if (!t.destination.empty()) clause += " AND l.destination = " + p.add(t.destination);
  return true;
}

int64_t distinct_jobs(const pqxx::result& r, size_t column) {
  std::set<int64_t> jobs;
  for (const auto& row : r) jobs.insert(row[static_cast<int>(column)].as<int64_t>());
  return static_cast<int64_t>(jobs.size());
}

std::string describe(const Target& t) {
  if (t.queue_id.empty()) return "destination " + t.destination;
  return t.destination.empty() ? t.queue_id : t.queue_id + " to " + t.destination;
}

}  // namespace

const char* job_state_name(JobState s) {
  switch (s) {
    case JobState::queued: return "queued";
    case JobState::deferred: return "deferred";
    case JobState::held: return "held";
    case JobState::active: return "active";
    case JobState::done: return "done";
  }
  return "queued";
}

std::optional<JobState> parse_job_state(std::string_view name) {
  for (JobState s : {JobState::queued, JobState::deferred, JobState::held, JobState::active, JobState::done})
    if (name == job_state_name(s)) return s;
  return std::nullopt;
}

ListResult QueueAdmin::list(const ListFilter& f) {
  Params p;
  std::string where = " WHERE j.state = 'queued'";
  if (f.sender) where += " AND j.sender = " + p.add(*f.sender);
  if (f.older_than.count() > 0)
    where += " AND j.received_at < now() - " + p.add(std::to_string(f.older_than.count())) +
             "::bigint * interval '1 second'";
  if (!f.recipient.empty())
    where += " AND EXISTS (SELECT 1 FROM queue.recipients r WHERE r.job_id = j.id AND r.state = 'pending'"
             " AND r.address = " + p.add(f.recipient) + ")";
  if (!f.destination.empty())
    where += " AND EXISTS (SELECT 1 FROM queue.legs d WHERE d.job_id = j.id AND d.state <> 'done'"
             " AND d.destination = " + p.add(f.destination) + ")";
  if (f.state) {
    // A necessary condition the planner can start from (legs_held), then the exact state.
    if (*f.state == JobState::held)
      where += " AND EXISTS (SELECT 1 FROM queue.legs h WHERE h.job_id = j.id AND h.state = 'held')";
    if (*f.state == JobState::active)
      where += " AND EXISTS (SELECT 1 FROM queue.legs a WHERE a.job_id = j.id AND a.state <> 'done'"
               " AND a.lease_until > now())";
    where += " AND s.state = " + p.add(job_state_name(*f.state));
  }
  const size_t limit = std::clamp<size_t>(f.limit, 1, kMaxListLimit);
  return pool_.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    ListResult out;
    out.now = from_epoch(tx.exec("SELECT extract(epoch from now())")[0][0].as<double>());
    Params q = p;
    auto rows = q.exec(tx,
        "SELECT j.id, j.queue_id, extract(epoch from j.received_at), j.size, j.sender, s.state, s.attempts,"
        " extract(epoch from s.next_at), s.last_error FROM queue.jobs j" + std::string(kLegSummary) + where +
        " ORDER BY j.received_at, j.id LIMIT " + q.add(std::to_string(limit + 1)) + "::bigint");
    std::vector<int64_t> ids;
    for (const auto& row : rows) {
      if (out.jobs.size() == limit) {
        out.more = true;
        break;
      }
      out.jobs.push_back(summary_of(row));
      ids.push_back(out.jobs.back().id);
    }
    if (f.with_total) {
      // The leg summary only when the state is asked for: it costs a lookup per job.
      Params t = p;
      auto n = t.exec(tx, "SELECT count(*), COALESCE(sum(j.size), 0) FROM queue.jobs j" +
                              std::string(f.state ? kLegSummary : "") + where);
      out.total = n[0][0].as<int64_t>();
      out.total_size = n[0][1].as<int64_t>();
    }
    if (ids.empty()) return out;
    auto rcpts = pg::exec(tx,
        "SELECT job_id, address, destination, n FROM (SELECT job_id, id, address, destination,"
        " row_number() OVER (PARTITION BY job_id ORDER BY id) AS rn, count(*) OVER (PARTITION BY job_id) AS n"
        " FROM queue.recipients WHERE job_id = ANY($1::bigint[]) AND state = 'pending') x"
        " WHERE rn <= $2 ORDER BY job_id, rn",
        int_array(ids), static_cast<int64_t>(kListRecipients));
    std::map<int64_t, JobSummary*> by_id;
    for (auto& job : out.jobs) by_id[job.id] = &job;
    for (const auto& row : rcpts) {
      auto it = by_id.find(row[0].as<int64_t>());
      if (it == by_id.end()) continue;
      RecipientInfo r;
      r.address = row[1].as<std::string>();
      r.destination = row[2].as<std::string>();
      r.state = "pending";
      it->second->recipients.push_back(std::move(r));
      it->second->pending = row[3].as<int64_t>();
    }
    return out;
  });
}

std::optional<JobDetail> QueueAdmin::show(const std::string& queue_id) {
  return pool_.with([&](pqxx::connection& c) -> std::optional<JobDetail> {
    pqxx::read_transaction tx(c);
    auto r = pg::exec(tx,
        "SELECT j.id, j.queue_id, extract(epoch from j.received_at), j.size, j.sender,"
        " CASE WHEN j.state = 'done' THEN 'done' ELSE s.state END, s.attempts, extract(epoch from s.next_at),"
        " s.last_error, extract(epoch from j.finished_at), j.helo, j.client_ip, j.auth_user, j.protocol,"
        " extract(epoch from now()) FROM queue.jobs j" + std::string(kLegSummary) + " WHERE j.queue_id = $1",
        queue_id);
    if (r.empty()) return std::nullopt;
    JobDetail d;
    d.job = summary_of(r[0]);
    d.finished_at = optional_time(r[0][9]);
    d.helo = r[0][10].as<std::string>();
    d.client_ip = r[0][11].as<std::string>();
    d.auth_user = r[0][12].as<std::string>();
    d.protocol = r[0][13].as<std::string>();
    d.now = from_epoch(r[0][14].as<double>());
    const int64_t id = d.job.id;
    for (const auto& row : pg::exec(tx,
             "SELECT address, destination, state, attempts, last_code, last_error, extract(epoch from updated_at)"
             " FROM queue.recipients WHERE job_id = $1 ORDER BY id",
             id)) {
      RecipientInfo ri;
      ri.address = row[0].as<std::string>();
      ri.destination = row[1].as<std::string>();
      ri.state = row[2].as<std::string>();
      ri.attempts = row[3].as<int>();
      ri.code = row[4].as<std::string>();
      ri.error = row[5].as<std::string>();
      ri.updated_at = from_epoch(row[6].as<double>());
      if (ri.state == "pending") ++d.job.pending;
      d.job.recipients.push_back(std::move(ri));
    }
    for (const auto& row : pg::exec(tx,
             "SELECT destination, state, attempts, extract(epoch from next_attempt_at),"
             " state <> 'done' AND lease_until > now(), last_error, extract(epoch from last_attempt_at)"
             " FROM queue.legs WHERE job_id = $1 ORDER BY id",
             id)) {
      LegInfo li;
      li.destination = row[0].as<std::string>();
      li.state = row[1].as<std::string>();
      li.attempts = row[2].as<int>();
      li.next_attempt = from_epoch(row[3].as<double>());
      li.leased = row[4].as<bool>();
      li.last_error = row[5].as<std::string>();
      li.last_attempt = optional_time(row[6]);
      d.legs.push_back(std::move(li));
    }
    auto att = pg::exec(tx,
        "SELECT l.destination, extract(epoch from a.at), a.delivered, a.deferred, a.failed, a.detail"
        " FROM queue.attempts a JOIN queue.legs l ON l.id = a.leg_id WHERE l.job_id = $1"
        " ORDER BY a.at DESC, a.id DESC LIMIT $2",
        id, static_cast<int64_t>(kShowAttempts + 1));
    for (const auto& row : att) {
      if (d.attempts.size() == kShowAttempts) {
        d.attempts_truncated = true;
        break;
      }
      d.attempts.push_back({row[0].as<std::string>(), from_epoch(row[1].as<double>()), row[2].as<int>(),
                            row[3].as<int>(), row[4].as<int>(), row[5].as<std::string>()});
    }
    std::reverse(d.attempts.begin(), d.attempts.end());
    return d;
  });
}

ActionResult QueueAdmin::retry(const Target& t) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    ActionResult out;
    Params p;
    std::string clause;
    if (!target_clause(tx, t, p, clause)) {
      out.found = false;
      return out;
    }
    // Legs a worker is on now are left to it: their attempt is under way.
    auto r = p.exec(tx, "UPDATE queue.legs l SET next_attempt_at = now() WHERE l.state = 'queued'"
                        " AND l.lease_until < now()" + clause + " RETURNING l.id, l.job_id, l.destination");
    std::set<std::string> destinations;
    if (!t.destination.empty()) destinations.insert(t.destination);
    for (const auto& row : r) {
      if (out.announce.size() < kMaxAnnounce) out.announce.push_back(row[0].as<int64_t>());
      if (!row[2].is_null() && !row[2].as<std::string>().empty()) destinations.insert(row[2].as<std::string>());
    }
    // A destination backed off would defer the legs again at once.
    for (const auto& d : destinations)
      pg::exec(tx,
               "UPDATE queue.destinations SET failures = 0, backoff_until = '-infinity', updated_at = now()"
               " WHERE name = $1 AND (failures > 0 OR backoff_until > now())",
               d);
    out.legs = static_cast<int64_t>(r.size());
    out.jobs = distinct_jobs(r, 1);
    tx.commit();
    log::info("queue retry", {{"target", describe(t)}, {"legs", out.legs}, {"jobs", out.jobs}});
    return out;
  });
}

// hold and release: one UPDATE of the target's legs from one state to the
// other; `set` is the SET list, `announce` says whether the legs go to the
// workers now.
ActionResult QueueAdmin::move_legs(const Target& t, const char* from, const std::string& set, bool announce,
                                   const char* verb) {
  return pool_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    ActionResult out;
    Params p;
    std::string clause;
    if (!target_clause(tx, t, p, clause)) {
      out.found = false;
      return out;
    }
    auto r = p.exec(tx, "UPDATE queue.legs l SET " + set + " WHERE l.state = '" + from + "'" + clause +
                            " RETURNING l.id, l.job_id");
    if (announce)
      for (const auto& row : r)
        if (out.announce.size() < kMaxAnnounce) out.announce.push_back(row[0].as<int64_t>());
    out.legs = static_cast<int64_t>(r.size());
    out.jobs = distinct_jobs(r, 1);
    tx.commit();
    log::info(std::string("queue ") + verb, {{"target", describe(t)}, {"legs", out.legs}, {"jobs", out.jobs}});
    return out;
  });
}

// A leg under way keeps its lease and stays held after its attempt (PgQueue::finish).
ActionResult QueueAdmin::hold(const Target& t) { return move_legs(t, "queued", "state = 'held'", false, "hold"); }

ActionResult QueueAdmin::release(const Target& t) {
  return move_legs(t, "held", "state = 'queued', next_attempt_at = now()", true, "release");
}

ActionResult QueueAdmin::remove(const Target& t, bool bounce, const std::function<bool()>& cancelled) {
  constexpr int64_t kBatch = 500;
  ActionResult out;
  std::set<int64_t> jobs;
  // Each batch is one transaction; a leg finished meanwhile is simply not
  // picked again, so the loop ends when no unfinished leg is left.
  for (int round = 0; round < 100000; ++round) {
    if (cancelled && cancelled()) break;
    const int64_t changed = pool_.with([&](pqxx::connection& c) -> int64_t {
      pqxx::work tx(c);
      Params p;
      std::string clause;
      if (!target_clause(tx, t, p, clause)) {
        if (round == 0) out.found = false;
        return 0;
      }
      auto picked = p.exec(tx, "SELECT l.id FROM queue.legs l WHERE l.state <> 'done'" + clause +
                                   " ORDER BY l.id LIMIT " + p.add(std::to_string(kBatch)) + "::bigint");
      if (picked.empty()) return 0;
      std::vector<int64_t> legs;
      for (const auto& row : picked) legs.push_back(row[0].as<int64_t>());
      const std::string arr = int_array(legs);
      // Recipients first, as PgQueue::finish locks them. Reported later in
      // a bounce only when asked (notified false), else never.
      pg::exec(tx,
               "UPDATE queue.recipients r SET state = 'failed', last_code = '5.0.0', last_error = $2,"
               " notified = NOT $3, updated_at = now() FROM queue.legs l"
               " WHERE l.id = ANY($1::bigint[]) AND r.job_id = l.job_id AND r.destination = l.destination"
               " AND r.state = 'pending'",
               arr, std::string(kDeletedReason), bounce);
      // The lease goes too: a worker's attempt under way records nothing.
      auto done = pg::exec(tx,
          "UPDATE queue.legs SET state = 'done', lease_owner = NULL, lease_until = '-infinity', last_error = $2"
          " WHERE id = ANY($1::bigint[]) AND state <> 'done' RETURNING job_id",
          arr, std::string(kDeletedReason));
      std::vector<int64_t> batch_jobs;
      for (const auto& row : done) batch_jobs.push_back(row[0].as<int64_t>());
      std::sort(batch_jobs.begin(), batch_jobs.end());
      batch_jobs.erase(std::unique(batch_jobs.begin(), batch_jobs.end()), batch_jobs.end());
      const std::string job_arr = int_array(batch_jobs);
      pg::exec(tx,
               "UPDATE queue.jobs j SET state = 'done', finished_at = now() WHERE j.id = ANY($1::bigint[])"
               " AND j.state = 'queued' AND NOT EXISTS (SELECT 1 FROM queue.legs l WHERE l.job_id = j.id"
               " AND l.state <> 'done')",
               job_arr);
      std::vector<int64_t> announce;
      int64_t bounces = 0;
      if (bounce) {
        // Never to the null sender: a bounce is not bounced.
        auto src = pg::exec(tx,
            "SELECT id, queue_id, blob_id, sender, extract(epoch from received_at) FROM queue.jobs"
            " WHERE id = ANY($1::bigint[]) AND sender <> '' ORDER BY id",
            job_arr);
        for (const auto& row : src) {
          BounceSource b{row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<int64_t>(),
                         row[3].as<std::string>(), from_epoch(row[4].as<double>())};
          auto legs_of_bounce = queue_bounce(tx, b, opts_.hostname, opts_.chunk_size);
          if (!legs_of_bounce.empty()) ++bounces;
          announce.insert(announce.end(), legs_of_bounce.begin(), legs_of_bounce.end());
        }
      }
      tx.commit();
      for (int64_t id : batch_jobs) jobs.insert(id);
      out.legs += static_cast<int64_t>(done.size());
      out.bounces += bounces;
      for (int64_t leg : announce)
        if (out.announce.size() < kMaxAnnounce) out.announce.push_back(leg);
      return static_cast<int64_t>(picked.size());
    });
    if (changed < kBatch) break;
  }
  out.jobs = static_cast<int64_t>(jobs.size());
  if (out.found)
    log::info("queue delete", {{"target", describe(t)}, {"legs", out.legs}, {"jobs", out.jobs},
                               {"bounces", out.bounces}});
  return out;
}

}  // namespace mail::queue
