// SPDX-License-Identifier: Apache-2.0
// Process: the lifecycle every service shares, so each main stays a page of
// wiring: `--config FILE` and MAIL_* overrides, structured logs, the threads
// (net::Runtime), the HTTP endpoint (/metrics /healthz /readyz), an optional
// gRPC server, and an orderly stop on SIGTERM/SIGINT.
// Diagnostics: start-up errors are logged and turn into exit status 1.
#pragma once
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mail/common/config.h"
#include "mail/metrics/registry.h"
#include "mail/net/runtime.h"

namespace mail::service {

class Process {
 public:
  /// Parses argv (--config FILE, --config=FILE, --help), loads the config,
  /// initializes logging. A bad argument throws ConfigError.
  /// `http_default` is the health/metrics listener when `http.listen` is unset.
  Process(std::string name, int argc, char** argv, std::string http_default = "127.0.0.1:0");
  ~Process();

  const common::Config& config() const { return config_; }
  prometheus::Registry& registry() { return *metrics_.native(); }
  metrics::Registry& metrics() { return metrics_; }
  const std::string& name() const { return name_; }

  /// Creates the Runtime (I/O and blocking threads from config keys
  /// `threads.io` and `threads.blocking`, with the given defaults).
  net::Runtime& runtime(size_t io_default = 1, size_t blocking_default = 8);

  struct GrpcOptions {
    int max_threads = 64;                            ///< handler threads (a resource quota)
    std::chrono::milliseconds shutdown_grace{20000};  ///< in-flight calls may finish this long
  };
  /// gRPC services to serve on `listen` ("host:port"), started by run().
  /// Defaults from config: grpc.max_threads, grpc.shutdown_grace. Port sharing
  /// (SO_REUSEPORT) is off, so a second instance fails instead of splitting traffic.
  void serve_grpc(const std::string& listen, std::vector<grpc::Service*> services);
  void serve_grpc(const std::string& listen, std::vector<grpc::Service*> services, GrpcOptions options);

  /// True when argv asked for --help (the caller prints its usage and exits 0).
  bool help_requested() const { return help_; }

  /// What /readyz answers (run on the blocking pool). Default: always ready.
  void set_ready(std::function<bool()> ready) { ready_ = std::move(ready); }

  /// Extra steps at stop, in order, before the gRPC server drains (coroutines
  /// on the runtime, e.g. stopping protocol listeners) and after it (plain
  /// functions, e.g. joining worker threads).
  void on_stop(std::function<net::awaitable<void>()> f) { stop_async_.push_back(std::move(f)); }
  void after_stop(std::function<void()> f) { stop_sync_.push_back(std::move(f)); }

  /// Starts HTTP (+ gRPC), runs until a stop signal, stops in order. Returns
  /// the exit status.
  int run();

 private:
  std::string name_;
  std::string http_default_;
  common::Config config_;
  metrics::Registry metrics_;
  std::unique_ptr<net::Runtime> runtime_;
  std::unique_ptr<grpc::Server> grpc_;
  std::string grpc_listen_;
  GrpcOptions grpc_options_;
  bool help_ = false;
  std::vector<grpc::Service*> grpc_services_;
  std::function<bool()> ready_;
  std::vector<std::function<net::awaitable<void>()>> stop_async_;
  std::vector<std::function<void()>> stop_sync_;
};

/// Wraps main(): runs `body`, logging an escaping exception as a start-up
/// failure (exit 1).
int guarded_main(const char* name, const std::function<int()>& body);

}  // namespace mail::service
