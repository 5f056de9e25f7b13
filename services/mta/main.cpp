// SPDX-License-Identifier: Apache-2.0
// mail-mta: the queue. Serves gRPC Transfer (intake) and Queue (operations,
// mailctl queue) on one listener, runs the dispatcher (workers, retry
// scheduler, reconciler), the sweeps, and /metrics, /healthz, /readyz.
// Config keys (YAML or MAIL_* environment):
//   transfer.listen (127.0.0.1:7002)   http.listen (127.0.0.1:9103)
//   db.url, db.url_file, db.pool_size (16)   redis.host, redis.port
//   mda.address (127.0.0.1:7003)
//   auth.token_file (presented to the mda), auth.callers + auth.caller.<name>.token_file
//   (accepted on Transfer: auth.allow.transfer, default msa and mda; on Queue:
//   auth.allow.queue, default admin, whose token must then be among the callers)
//   queue.workers (16)  queue.lease (60s)  queue.reconcile_interval (30s)
//   queue.retry_min (60s)  queue.retry_max (1h)  queue.max_age (120h)
//   queue.delay_warning (0: off): tell the sender once when a message has waited this long
//   mta.hostname (the host name; names us in bounces)
//   outbound.* (outbound_config.h): MX delivery, smarthosts, TLS policy, limits
//   queue.deliver_timeout (30s)  limits.max_message_size (50M)  limits.max_recipients (1000)
//   transfer.staging_grace (1h): a staging blob (Stage/Append without Commit) untouched
//   this long is garbage; transfer.staging_sweep_interval (5m): how often the sweep runs
//   queue.keep_finished (7d): finished jobs are kept this long for mailctl queue show,
//   then removed; queue.finished_sweep_interval (10m): how often that sweep runs
#include <unistd.h>

#include "dispatcher.h"
#include "finished_sweeper.h"
#include "mail/common/log.h"
#include "mail/rpc/channel.h"
#include "mail/rpc/guard.h"
#include "mail/queue/queue_admin.h"
#include "mail/service/process.h"
#include "queue_service.h"
#include "staging_sweeper.h"
#include "transfer_service.h"

using namespace mail;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  return service::guarded_main("mta", [&] {
    service::Process proc("mta", argc, argv, "127.0.0.1:9103");
    const auto& cfg = proc.config();
    const std::string db_url = cfg.secret("db.url", "dbname=mail user=mail_mta");
    const auto pool_size = static_cast<size_t>(cfg.integer("db.pool_size", 16));
    // Intake commits with fsync (the 250 promise); the workers' leases and
    // results do not need to (see PgQueue).
    pg::Pool pool(db_url, pool_size);
    pg::Pool work_pool(db_url + queue::kAsyncCommitOption, pool_size);

    queue::QueueOptions qopts;
    qopts.lease = cfg.duration("queue.lease", 60s);
    qopts.retry_min = cfg.duration("queue.retry_min", 60s);
    qopts.retry_max = cfg.duration("queue.retry_max", 3600s);
    qopts.max_age = std::chrono::duration_cast<std::chrono::seconds>(cfg.duration("queue.max_age", 120h));
    qopts.delay_warning = std::chrono::duration_cast<std::chrono::seconds>(cfg.duration("queue.delay_warning", 0s));
    if (qopts.max_age < std::chrono::seconds(1)) throw common::ConfigError("queue.max_age must be at least 1s");
    char hostname[256] = "localhost";
    gethostname(hostname, sizeof hostname - 1);
    qopts.hostname = cfg.str("mta.hostname", hostname);
    queue::PgQueue pgq(work_pool, qopts);

    char host[256] = "mta";
    gethostname(host, sizeof host - 1);
    mta::DispatcherOptions dopts;
    dopts.workers = static_cast<int>(cfg.integer("queue.workers", 16));
    dopts.consumer_prefix = cfg.str("queue.consumer", host);
    dopts.owner_prefix = std::string(host) + ":" + std::to_string(getpid());
    dopts.reconcile_interval = cfg.duration("queue.reconcile_interval", 30s);
    dopts.deliver_timeout = cfg.duration("queue.deliver_timeout", 30s);
    dopts.redis.host = cfg.str("redis.host", "127.0.0.1");
    dopts.redis.port = static_cast<int>(cfg.integer("redis.port", 6379));
    // Trust: our token on the calls to the mda; the callers Transfer accepts.
    const std::string token = rpc::own_token(cfg);
    const auto callers = rpc::CallerTokens::from_config(cfg);
    rpc::CallGuard transfer_guard(callers, "transfer", rpc::allowed_callers(cfg, "transfer", {"msa", "mda"}),
                                  proc.metrics());
    // The Queue API is for administrators only (their token, as mailctl's).
    rpc::CallGuard queue_guard(callers, "queue", rpc::allowed_callers(cfg, "queue", {"admin"}), proc.metrics());
    auto mda = rpc::make_channel(cfg.str("mda.address", "127.0.0.1:7003"), token, rpc::channel_security(cfg));
    // Mail for other domains: by MX or a smarthost (outbound_config.h).
    mta::OutboundOptions oopts = mta::outbound_options(cfg, qopts.hostname);
    oopts.lease = qopts.lease;
    oopts.max_age = qopts.max_age;
    std::unique_ptr<mta::Outbound> outbound;
    if (oopts.enabled) outbound = std::make_unique<mta::Outbound>(pgq, work_pool, oopts, dopts.redis, proc.metrics());
    mta::Dispatcher dispatcher(pgq, mda, dopts, proc.metrics(), outbound.get());

    mta::TransferOptions topts;
    topts.max_message_size = cfg.size("limits.max_message_size", 50ull << 20);
    topts.max_recipients = static_cast<size_t>(cfg.integer("limits.max_recipients", 1000));
    mta::TransferService transfer(pool, topts, [&](int64_t id) { dispatcher.announce(id); }, proc.metrics(),
                                  transfer_guard);

    // The sweep of abandoned staging blobs: on the workers' pool, since its
    // deletes need no fsync and must not take the intake's connections.
    queue::StagingStore sweep_store(work_pool, queue::StagingLimits{topts.max_message_size, topts.max_chunk});
    mta::SweepOptions sopts;
    sopts.grace = cfg.duration("transfer.staging_grace", 3600s);
    sopts.interval = cfg.duration("transfer.staging_sweep_interval", 300s);
    if (sopts.grace.count() <= 0 || sopts.interval.count() <= 0)
      throw common::ConfigError("config transfer.staging_grace and transfer.staging_sweep_interval: must be positive");
    mta::StagingSweeper sweeper(sweep_store, sopts, proc.metrics());

    // Queue operations run on the intake's pool: a hold, a delete and its
    // bounces commit with fsync, as the intake does.
    queue::QueueAdmin queue_admin(pool, qopts);
    mta::QueueService queue_service(queue_admin, [&](int64_t id) { dispatcher.announce(id); }, proc.metrics(),
                                    queue_guard);
    // Finished jobs, kept for mailctl queue show, then removed (their bodies
    // go with the mda's store sweep).
    mta::FinishedSweepOptions fopts;
    fopts.keep = std::chrono::duration_cast<std::chrono::seconds>(cfg.duration("queue.keep_finished", 7 * 24h));
    fopts.interval = cfg.duration("queue.finished_sweep_interval", 600s);
    if (fopts.keep.count() < 0 || fopts.interval.count() <= 0)
      throw common::ConfigError("config queue.keep_finished (>= 0) and queue.finished_sweep_interval (> 0)");
    mta::FinishedSweeper finished(work_pool, fopts, proc.metrics());

    proc.serve_grpc(cfg.str("transfer.listen", "127.0.0.1:7002"), {&transfer, &queue_service});
    // Ready when the queue's database answers; Redis only speeds things up.
    proc.set_ready([&] { return pool.ping(); });
    proc.after_stop([&] {
      dispatcher.stop();
      if (outbound) outbound->stop();
      sweeper.stop();
      finished.stop();
    });
    if (outbound) outbound->start();
    dispatcher.start();
    sweeper.start();
    finished.start();
    return proc.run();
  });
}
