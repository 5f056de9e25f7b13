// SPDX-License-Identifier: Apache-2.0
// mail-mda: local delivery. Serves gRPC Delivery and /metrics, /healthz, /readyz.
// Config keys (YAML or MAIL_* environment):
//   delivery.listen (127.0.0.1:7003)   http.listen (127.0.0.1:9102)
//   db.url, db.url_file, db.pool_size (16)
//   delivery.max_received (100)   directory.recipient_delimiter ("+", as mail-admin)
//   auth.callers + auth.caller.<name>.token_file (accepted on Delivery:
//   auth.allow.delivery, default mta)
#include "delivery_service.h"
#include "mail/rpc/guard.h"
#include "mail/service/process.h"

using namespace mail;

int main(int argc, char** argv) {
  return service::guarded_main("mda", [&] {
    service::Process proc("mda", argc, argv, "127.0.0.1:9102");
    const auto& cfg = proc.config();
    pg::Pool pool(cfg.secret("db.url", "dbname=mail user=mail_mda"), static_cast<size_t>(cfg.integer("db.pool_size", 16)));
    mda::DeliveryOptions opts;
    opts.max_received = static_cast<size_t>(cfg.integer("delivery.max_received", 100));
    opts.resolve.subaddress_separators = cfg.str("directory.recipient_delimiter", "+");  // same key as mail-admin
    const auto callers = rpc::CallerTokens::from_config(cfg);
    rpc::CallGuard guard(callers, "delivery", rpc::allowed_callers(cfg, "delivery", {"mta"}), proc.metrics());
    mda::DeliveryService delivery(pool, opts, proc.metrics(), guard);
    proc.serve_grpc(cfg.str("delivery.listen", "127.0.0.1:7003"), {&delivery});
    proc.set_ready([&] { return pool.ping(); });
    return proc.run();
  });
}
