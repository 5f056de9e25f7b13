// SPDX-License-Identifier: Apache-2.0
// registry.h: the process's Prometheus metrics. A thin wrapper around
// prometheus-cpp's core Registry (no civetweb exposer: HttpServer serves the
// text), with short helpers to create metric families and single series.
// Thread-safe: families, series and updates may be used from any thread.
// Metric names follow Prometheus conventions: mail_<service>_<what>_<unit>,
// counters end in _total, durations are in seconds.
#pragma once
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

namespace mail::metrics {

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// A family of series sharing a name (created once; asking again with the
  /// same name returns the same family, a different type throws).
  /// Add series with family.Add({{"label", "value"}}).
  prometheus::Family<prometheus::Counter>& counter_family(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Gauge>& gauge_family(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& histogram_family(const std::string& name, const std::string& help);

  /// One series (the family is created when needed). References stay valid
  /// for the registry's lifetime; keep them instead of looking up per event.
  prometheus::Counter& counter(const std::string& name, const std::string& help, const prometheus::Labels& labels = {});
  prometheus::Gauge& gauge(const std::string& name, const std::string& help, const prometheus::Labels& labels = {});
  prometheus::Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& buckets,
                                   const prometheus::Labels& labels = {});

  /// Bucket bounds in seconds for request/transaction latencies (1 ms .. 60 s).
  static std::vector<double> latency_buckets();
  /// Bucket bounds in bytes for message sizes (1 KiB .. 64 MiB).
  static std::vector<double> size_buckets();

  /// Every metric in the Prometheus text exposition format 0.0.4.
  std::string serialize() const;

  /// The underlying registry, e.g. to register a custom Collectable.
  const std::shared_ptr<prometheus::Registry>& native() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace mail::metrics
