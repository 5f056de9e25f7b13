// SPDX-License-Identifier: Apache-2.0
// mail-admin: the admin service. Serves gRPC Admin (mailctl) and Directory
// (msa, pop3, imap) over PostgreSQL, and /metrics /healthz /readyz over HTTP.
// Every call needs a caller token (auth.callers, auth.allow.admin /
// auth.allow.directory: see mail/rpc/tokens.h); changes are announced to the
// edges' caches on Redis (redis.host, redis.port), where the edges' shared
// failed-login counts also live (Admin.ClearLoginThrottle / GetLoginThrottle).
//   mail-admin --config /etc/mail/admin.yaml
// SIGTERM/SIGINT: stop accepting RPCs, let running ones finish within
// admin.shutdown_grace, stop the HTTP server, exit 0.
// Exit status: 0 after a clean stop, 1 on a start-up failure or a bad argument.
#include <iostream>

#include "admin_config.h"
#include "admin_service.h"
#include "directory_service.h"
#include "mail/common/log.h"
#include "mail/service/process.h"
#include "rpc_metrics.h"

namespace {

constexpr const char* kUsage = "usage: mail-admin [--config FILE]\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace mail;
  return service::guarded_main("admin", [&] {
    service::Process proc("admin", argc, argv, "127.0.0.1:9106");
    if (proc.help_requested()) {
      std::cout << kUsage;
      return 0;
    }
    auto cfg = admin::load_admin_config(proc.config());
    pg::Pool pool(cfg.db_url, cfg.db_pool_size, cfg.db_acquire_timeout);
    directory::PgDirectory dir(pool, cfg.directory);
    admin::RpcMetrics rpc_metrics(proc.metrics());
    // Administrators (mailctl) for Admin; the edges for Directory.
    const auto callers = rpc::CallerTokens::from_config(proc.config());
    rpc::CallGuard admin_guard(callers, "admin", rpc::allowed_callers(proc.config(), "admin", {"admin"}), proc.metrics());
    rpc::CallGuard directory_guard(
        callers, "directory", rpc::allowed_callers(proc.config(), "directory", {"msa", "pop3", "imap"}), proc.metrics());
    directory::ChangePublisher notices(cfg.notices);
    if (!notices.enabled()) log::warn("no redis.host: password changes reach the edges' caches only by their TTL");
    // The admin's own handle on the edges' shared login throttle (Redis), to
    // show and lift blocks; its metrics say protocol="admin".
    directory::LoginThrottle throttle(directory::load_throttle_config(proc.config()), proc.metrics(), "admin");
    admin::AdminService admin_service(dir, rpc_metrics, admin_guard, notices, &throttle);
    admin::DirectoryService directory_service(dir, rpc_metrics, directory_guard);
    proc.serve_grpc(cfg.listen, {&admin_service, &directory_service}, {cfg.max_threads, cfg.shutdown_grace});
    proc.set_ready([&dir] { return dir.ready(); });
    log::info("directory", {{"db_pool", static_cast<int64_t>(cfg.db_pool_size)}});
    return proc.run();
  });
}
