// SPDX-License-Identifier: Apache-2.0
// mail-admin: the admin service. Serves gRPC Admin (mailctl) and Directory
// (msa, pop3, imap) over PostgreSQL, and /metrics /healthz /readyz over HTTP.
//   mail-admin --config /etc/mail/admin.yaml
// SIGTERM/SIGINT: stop accepting RPCs, let running ones finish within
// admin.shutdown_grace, stop the HTTP server, exit 0.
// Exit status: 0 after a clean stop, 1 on a start-up failure, 2 on a usage error.
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <cstring>
#include <iostream>

#include "admin_config.h"
#include "admin_service.h"
#include "directory_service.h"
#include "mail/common/log.h"
#include "mail/metrics/http_server.h"
#include "mail/net/offload.h"
#include "mail/net/runtime.h"
#include "rpc_metrics.h"

namespace {

constexpr const char* kUsage = "usage: mail-admin [--config FILE]\n";

int serve(const mail::admin::AdminConfig& cfg) {
  using namespace mail;
  pg::Pool pool(cfg.db_url, cfg.db_pool_size, cfg.db_acquire_timeout);
  directory::PgDirectory dir(pool, cfg.directory);
  metrics::Registry registry;
  admin::RpcMetrics rpc_metrics(registry);
  admin::AdminService admin_service(dir, rpc_metrics);
  admin::DirectoryService directory_service(dir, rpc_metrics);

  grpc::ServerBuilder builder;
  int bound_port = 0;
  // gRPC sets SO_REUSEPORT by default: a second instance would share the port
  // silently instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(cfg.listen, grpc::InsecureServerCredentials(), &bound_port);
  builder.RegisterService(&admin_service);
  builder.RegisterService(&directory_service);
  grpc::ResourceQuota quota("mail-admin");
  quota.SetMaxThreads(cfg.max_threads);
  builder.SetResourceQuota(quota);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    log::error("cannot listen", {{"listen", cfg.listen}});
    return 1;
  }

  net::Runtime rt(1, 2);
  metrics::HttpOptions http_opts;
  http_opts.address = cfg.http_address;
  http_opts.port = cfg.http_port;
  metrics::HttpServer http(rt.io(), rt.blocking(), http_opts, registry, [&dir] { return dir.ready(); });
  http.start();

  rt.on_stop([&]() -> net::awaitable<void> {
    log::info("stopping", {{"grace_ms", static_cast<int64_t>(cfg.shutdown_grace.count())}});
    // Shutdown() blocks until running RPCs finish or the deadline cancels them.
    co_await net::offload(rt.blocking(), [&] {
      server->Shutdown(std::chrono::system_clock::now() + cfg.shutdown_grace);
    });
    co_await http.stop();
  });
  log::info("started", {{"listen", cfg.listen},
                        {"http", cfg.http_address + ":" + std::to_string(http.port())},
                        {"db_pool", static_cast<int64_t>(cfg.db_pool_size)},
                        {"grpc_threads", static_cast<int64_t>(cfg.max_threads)}});
  rt.run();
  server->Wait();
  log::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strncmp(argv[i], "--config=", 9) == 0) {
      config_path = argv[i] + 9;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "mail-admin: unknown argument " << argv[i] << "\n" << kUsage;
      return 2;
    }
  }
  mail::log::init("admin", mail::log::Level::info);
  try {
    auto cfg = mail::admin::load_admin_config(mail::common::Config::load(config_path));
    mail::log::init("admin", cfg.log_level);
    return serve(cfg);
  } catch (const mail::common::ConfigError& e) {
    mail::log::error("bad configuration", {{"error", e.what()}});
    return 1;
  } catch (const std::exception& e) {
    mail::log::error("start-up failed", {{"error", e.what()}});
    return 1;
  }
}
