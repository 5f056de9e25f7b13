// SPDX-License-Identifier: Apache-2.0
// mail-mda: local delivery. Serves gRPC Delivery and /metrics, /healthz, /readyz.
// Config keys (YAML or MAIL_* environment):
//   delivery.listen (127.0.0.1:7003)   http.listen (127.0.0.1:9102)
//   db.url, db.url_file, db.pool_size (16)
//   delivery.max_received (100)   directory.recipient_delimiter ("+", as mail-admin)
//   directory.postmaster (where postmaster@/abuse@ without an alias go; "" none, as mail-admin)
//   delivery.over_quota_retry (0s: a message that does not fit bounces at once with 5.2.2, as Dovecot)
//   delivery.max_structure_bytes (64M): bodies up to this size are parsed at
//   delivery and stored with their MIME tree for IMAP FETCH; larger ones get
//   it at their first FETCH that needs it
//   auth.callers + auth.caller.<name>.token_file (accepted on Delivery:
//   auth.allow.delivery, default mta)
//   redis.host, redis.port, store.notice_channel ("mail:store:mailboxes"):
//   where a "mailbox changed" hint goes after each delivery (unset host: none)
//   store.sweep_grace (1h): an expunged message no mailbox indexes any more is
//   deleted (then its blob) this long after the expunge; store.sweep_interval
//   (5m): how often the sweep runs; store.expunged_retention (30d): how long
//   an expunge stays recorded for QRESYNC's VANISHED and other replicas
#include "delivery_service.h"
#include "store_sweeper.h"
#include "mail/pubsub/pubsub.h"
#include "mail/rpc/guard.h"
#include "mail/store/notice.h"
#include "mail/rpc/channel.h"
#include "mail/service/process.h"
#include "mail/transfer/v1/transfer.grpc.pb.h"

using namespace mail;

int main(int argc, char** argv) {
  return service::guarded_main("mda", [&] {
    service::Process proc("mda", argc, argv, "127.0.0.1:9102");
    const auto& cfg = proc.config();
    pg::Pool pool(cfg.secret("db.url", "dbname=mail user=mail_mda"), static_cast<size_t>(cfg.integer("db.pool_size", 16)));
    mda::DeliveryOptions opts;
    opts.max_received = static_cast<size_t>(cfg.integer("delivery.max_received", 100));
    opts.max_structure_bytes = cfg.size("delivery.max_structure_bytes", opts.max_structure_bytes);
    opts.resolve.subaddress_separators = cfg.str("directory.recipient_delimiter", "+");  // same key as mail-admin
    opts.resolve.postmaster = cfg.str("directory.postmaster", "");                     // same key as mail-admin
    opts.over_quota_retry = std::chrono::duration_cast<std::chrono::seconds>(cfg.duration("delivery.over_quota_retry", std::chrono::seconds(0)));
    // After each commit, a hint to IMAP sessions (and their replicas) that
    // the mailbox changed; they also poll, so a lost hint is only latency.
    pubsub::Publisher notices(
        pubsub::endpoint_from_config(cfg, "store.notice_channel", std::string(store::kMailboxNoticeChannel)));
    if (notices.enabled())
      opts.announce = [&notices](const store::MailboxNotice& n) { notices.publish(store::format_mailbox_notice(n)); };
    // An alias's targets in other domains go back to the mta (Transfer.Forward),
    // with our own token; mta.address "" turns forwarding off.
    const std::string mta_address = cfg.str("mta.address", "127.0.0.1:7002");
    std::unique_ptr<transfer::v1::Transfer::Stub> mta;
    if (!mta_address.empty()) {
      mta = transfer::v1::Transfer::NewStub(rpc::make_channel(mta_address, rpc::own_token(cfg), rpc::channel_security(cfg)));
      const auto deadline = cfg.duration("mta.deadline", std::chrono::seconds(30));
      opts.forward = [&mta, deadline](int64_t job, const std::vector<std::string>& rcpts,
                                      const std::string& key) -> common::Result<std::string> {
        transfer::v1::ForwardRequest req;
        req.set_job_id(job);
        for (const auto& r : rcpts) req.add_recipients(r);
        req.set_idempotency_key(key);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + deadline);
        transfer::v1::SubmitReply reply;
        auto st = mta->Forward(&ctx, req, &reply);
        if (!st.ok()) return common::Error{common::ErrorCode::unavailable, "mta: " + st.error_message()};
        return reply.queue_id();
      };
    }
    const auto callers = rpc::CallerTokens::from_config(cfg);
    rpc::CallGuard guard(callers, "delivery", rpc::allowed_callers(cfg, "delivery", {"mta"}), proc.metrics());
    mda::DeliveryService delivery(pool, opts, proc.metrics(), guard);

    // Mark-and-sweep of expunged messages and their blobs: the mda owns the
    // store's writes, and the sweep's short transactions share its pool.
    using namespace std::chrono_literals;
    mda::StoreSweepOptions sopts;
    const auto grace = cfg.duration("store.sweep_grace", 3600s);
    sopts.interval = cfg.duration("store.sweep_interval", 300s);
    if (grace.count() < 0 || sopts.interval.count() <= 0)
      throw common::ConfigError("config store.sweep_grace and store.sweep_interval: must not be negative, interval positive");
    sopts.grace = std::chrono::duration_cast<std::chrono::seconds>(grace);
    const auto retention = cfg.duration("store.expunged_retention", 30 * 24h);
    if (retention < 1s) throw common::ConfigError("config store.expunged_retention: at least 1s");
    sopts.expunged_retention = std::chrono::duration_cast<std::chrono::seconds>(retention);
    mda::StoreSweeper sweeper(pool, sopts, proc.metrics());

    proc.serve_grpc(cfg.str("delivery.listen", "127.0.0.1:7003"), {&delivery});
    proc.set_ready([&] { return pool.ping(); });
    proc.after_stop([&] { sweeper.stop(); });
    sweeper.start();
    return proc.run();
  });
}
