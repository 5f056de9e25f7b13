// SPDX-License-Identifier: Apache-2.0
// registry.cpp: family/series helpers over prometheus-cpp, and the text
// serialization served at /metrics. Trusts its callers (metric names are
// program constants; prometheus-cpp throws on invalid ones, at start-up).
#include "mail/metrics/registry.h"

#include <prometheus/text_serializer.h>

namespace mail::metrics {

Registry::Registry() : registry_(std::make_shared<prometheus::Registry>()) {}

prometheus::Family<prometheus::Counter>& Registry::counter_family(const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
}

prometheus::Family<prometheus::Gauge>& Registry::gauge_family(const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
}

prometheus::Family<prometheus::Histogram>& Registry::histogram_family(const std::string& name,
                                                                      const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
}

prometheus::Counter& Registry::counter(const std::string& name, const std::string& help,
                                       const prometheus::Labels& labels) {
  return counter_family(name, help).Add(labels);
}

prometheus::Gauge& Registry::gauge(const std::string& name, const std::string& help, const prometheus::Labels& labels) {
  return gauge_family(name, help).Add(labels);
}

prometheus::Histogram& Registry::histogram(const std::string& name, const std::string& help,
                                           const std::vector<double>& buckets, const prometheus::Labels& labels) {
  return histogram_family(name, help).Add(labels, buckets);
}

std::vector<double> Registry::latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> Registry::size_buckets() {
  std::vector<double> b;
  for (double v = 1024; v <= 64.0 * 1024 * 1024; v *= 4) b.push_back(v);
  return b;
}

std::string Registry::serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace mail::metrics
