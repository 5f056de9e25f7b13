// SPDX-License-Identifier: Apache-2.0
// Shared service lifecycle: config, logs, HTTP health/metrics, gRPC, stop.
#include "mail/service/process.h"

#include <grpcpp/resource_quota.h>

#include <cstring>
#include <iostream>

#include "mail/common/host_port.h"
#include "mail/common/log.h"
#include "mail/metrics/http_server.h"
#include "mail/net/offload.h"
#include "mail/rpc/tls.h"

namespace mail::service {

Process::Process(std::string name, int argc, char** argv, std::string http_default)
    : name_(std::move(name)), http_default_(std::move(http_default)) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (std::strncmp(argv[i], "--config=", 9) == 0) {
      path = argv[i] + 9;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      help_ = true;
    } else {
      throw common::ConfigError(std::string("unknown argument ") + argv[i] + "; usage: mail-" + name_ + " [--config FILE]");
    }
  }
  config_ = common::Config::load(path);
  log::init(name_, log::parse_level(config_.str("log.level", "info")));
}

Process::~Process() = default;

net::Runtime& Process::runtime(size_t io_default, size_t blocking_default) {
  if (!runtime_)
    runtime_ = std::make_unique<net::Runtime>(static_cast<size_t>(config_.integer("threads.io", static_cast<int64_t>(io_default))),
                                              static_cast<size_t>(config_.integer("threads.blocking", static_cast<int64_t>(blocking_default))));
  return *runtime_;
}

void Process::serve_grpc(const std::string& listen, std::vector<grpc::Service*> services) {
  GrpcOptions o;
  o.max_threads = static_cast<int>(config_.integer("grpc.max_threads", o.max_threads));
  o.shutdown_grace = config_.duration("grpc.shutdown_grace", o.shutdown_grace);
  serve_grpc(listen, std::move(services), o);
}

void Process::serve_grpc(const std::string& listen, std::vector<grpc::Service*> services, GrpcOptions options) {
  grpc_listen_ = listen;
  grpc_services_ = std::move(services);
  grpc_options_ = options;
}

int Process::run() {
  auto& rt = runtime();
  auto [http_host, http_port] = common::parse_host_port(config_.str("http.listen", http_default_));
  metrics::HttpOptions hopts;
  hopts.address = http_host;
  hopts.port = http_port;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  hopts.read_timeout = config_.duration("http.read_timeout", duration_cast<milliseconds>(hopts.read_timeout));
  hopts.request_timeout = config_.duration("http.request_timeout", duration_cast<milliseconds>(hopts.request_timeout));
  hopts.max_connections = static_cast<size_t>(config_.integer("http.max_connections", static_cast<int64_t>(hopts.max_connections)));
  std::function<bool()> ready = ready_ ? ready_ : [] { return true; };
  metrics::HttpServer http(rt.io(), rt.blocking(), hopts, metrics_, ready);
  http.start();

  if (!grpc_services_.empty()) {
    grpc::ServerBuilder builder;
    int bound = 0;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    // TLS (and client certificates) where grpc.tls.* says so: mail/rpc/tls.h.
    builder.AddListeningPort(grpc_listen_, rpc::server_credentials(config_), &bound);
    grpc::ResourceQuota quota("mail-" + name_);
    quota.SetMaxThreads(grpc_options_.max_threads);
    builder.SetResourceQuota(quota);
    builder.SetMaxReceiveMessageSize(8 * 1024 * 1024);
    for (auto* s : grpc_services_) builder.RegisterService(s);
    grpc_ = builder.BuildAndStart();
    if (!grpc_ || bound == 0) throw std::runtime_error("cannot listen for gRPC on " + grpc_listen_);
  }
  log::info("started", {{"grpc", grpc_listen_}, {"http", hopts.address + ":" + std::to_string(http.port())}});

  rt.on_stop([this, &http, &rt]() -> net::awaitable<void> {
    log::info("stopping");
    for (auto& f : stop_async_) co_await f();
    if (grpc_) {
      // Finish in-flight calls (bounded), refuse new ones.
      co_await net::offload(rt.blocking(), [this] {
        grpc_->Shutdown(std::chrono::system_clock::now() + grpc_options_.shutdown_grace);
      });
    }
    co_await http.stop();
  });
  rt.run();
  if (grpc_) grpc_->Wait();
  for (auto& f : stop_sync_) f();
  log::info("stopped");
  return 0;
}

int guarded_main(const char* name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    log::error("fatal", {{"service", name}, {"error", e.what()}});
    std::cerr << "mail-" << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace mail::service
