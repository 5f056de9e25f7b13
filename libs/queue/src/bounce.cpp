// SPDX-License-Identifier: Apache-2.0
// queue_bounce() (see bounce.h): failed recipients -> one RFC 3464 report,
// queued in the caller's transaction.
#include "mail/queue/bounce.h"

#include <algorithm>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/mime/header.h"
#include "mail/pg/exec.h"
#include "mail/queue/dsn.h"
#include "mail/queue/pg_queue.h"

namespace mail::queue {

using Clock = std::chrono::system_clock;

namespace {

// One RFC 3464 report to the job's sender about `rows` (address, status,
// reason), queued in the caller's transaction with fsync at its commit.
std::vector<int64_t> queue_report(pqxx::transaction_base& tx, const BounceSource& job, const std::string& hostname,
                                  size_t chunk_size, const pqxx::result& rows, bool delayed,
                                  Clock::time_point retry_until) {
  // The report is a promise to the sender: this commit waits for fsync.
  tx.exec("SET LOCAL synchronous_commit = on");
  DsnInput in;
  in.reporting_host = hostname;
  in.queue_id = job.queue_id;
  in.original_sender = job.sender;
  in.arrival = Clock::to_time_t(job.received_at);
  in.now = Clock::to_time_t(Clock::now());
  in.delayed = delayed;
  in.retry_until = Clock::to_time_t(retry_until);
  for (const auto& row : rows) {
    std::string status = row[1].as<std::string>();
    if (delayed && (status.empty() || status[0] != '4')) status = "4.0.0";  // still being retried
    in.failed.push_back({row[0].as<std::string>(), status, row[2].as<std::string>()});
  }
  auto head = pg::exec(tx, "SELECT data FROM store.blob_chunks WHERE blob_id = $1 AND seq = 0", job.blob_id);
  if (!head.empty()) {
    pqxx::binarystring b(head[0][0]);
    std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
    auto end = mime::find_header_end(text);
    in.original_headers = std::string(text.substr(0, std::min(end.value_or(text.size()), kMaxReturnedHeaders)));
  }
  in.boundary = "dsn-" + common::random_hex(12);
  in.message_id = "<" + common::random_hex(12) + ".dsn@" + hostname + ">";
  Envelope env;
  env.recipients = {job.sender};  // sender stays empty: the null reverse-path
  env.helo = hostname;
  env.protocol = "local";
  env.idempotency_key =
      std::string(delayed ? "delay:" : "dsn:") + std::to_string(job.job_id) + ":" + in.failed.front().address;
  if (auto dup = find_idempotent(tx, env.idempotency_key)) return {};
  BlobWriter blob(tx, chunk_size);
  blob.append(build_dsn(in));
  const int64_t blob_id = blob.finish();
  Accepted acc = insert_job(tx, env, blob_id, blob.size());
  log::info(delayed ? "delay warning queued" : "bounce queued",
            {{"queue_id", acc.queue_id}, {"for", job.queue_id}, {"to", job.sender}, {"recipients", in.failed.size()}});
  return acc.legs;
}

}  // namespace

std::vector<int64_t> queue_bounce(pqxx::transaction_base& tx, const BounceSource& job, const std::string& hostname,
                                  size_t chunk_size) {
  auto failed = pg::exec(tx,
      "UPDATE queue.recipients SET notified = true WHERE job_id = $1 AND state = 'failed' AND NOT notified"
      " RETURNING address, last_code, last_error",
      job.job_id);
  if (failed.empty()) return {};
  return queue_report(tx, job, hostname, chunk_size, failed, false, {});
}

std::vector<int64_t> queue_delay_warning(pqxx::transaction_base& tx, const BounceSource& job,
                                         const std::string& hostname, size_t chunk_size,
                                         Clock::time_point retry_until) {
  auto pending = pg::exec(tx,
      "UPDATE queue.recipients SET delay_warned = true WHERE job_id = $1 AND state = 'pending' AND NOT delay_warned"
      " RETURNING address, last_code, last_error",
      job.job_id);
  if (pending.empty()) return {};
  return queue_report(tx, job, hostname, chunk_size, pending, true, retry_until);
}

}  // namespace mail::queue
