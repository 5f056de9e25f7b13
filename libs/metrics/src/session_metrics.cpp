// SPDX-License-Identifier: Apache-2.0
// SessionMetrics (see session_metrics.h): every series and label created at
// construction; events only bump pre-made series.
#include "mail/metrics/session_metrics.h"

namespace mail::metrics {
namespace {

std::vector<std::string> with_other(std::vector<std::string> labels) {
  labels.push_back("other");
  return labels;
}

}  // namespace

SessionMetrics::SessionMetrics(Registry& r, const SessionMetricsSpec& spec)
    : duration_(r.histogram(spec.prefix + "_session_duration_seconds", spec.protocol + " connection lifetime",
                            spec.duration_buckets.empty()
                                ? std::vector<double>{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600}
                                : spec.duration_buckets)) {
  auto& total = r.counter_family(spec.prefix + "_connections_total", spec.protocol + " connections accepted, by listener");
  auto& current = r.gauge_family(spec.prefix + "_connections_current", spec.protocol + " sessions open now, by listener");
  auto& over = r.counter_family(spec.prefix + "_connections_overload_total",
                                spec.protocol + " connections refused because max_connections was reached");
  for (const auto& l : with_other(spec.listeners)) {
    prometheus::Labels labels{{"listener", l}};
    listeners_.emplace(l, Listener{&total.Add(labels), &current.Add(labels), &over.Add(labels)});
  }
  auto fill = [&](Counters& m, const std::string& name, const std::string& help, const std::string& label,
                  std::vector<std::string> values) {
    auto& family = r.counter_family(name, help);
    for (const auto& v : with_other(std::move(values))) m.emplace(v, &family.Add({{label, v}}));
  };
  auto verbs = spec.verbs;
  verbs.push_back("invalid");
  fill(commands_, spec.prefix + "_commands_total", spec.protocol + " commands received, by verb", "verb", verbs);
  if (!spec.reply_codes.empty())
    fill(replies_, spec.prefix + "_replies_total", spec.protocol + " replies sent, by code", "code", spec.reply_codes);
  fill(auth_, spec.prefix + "_auth_attempts_total", spec.protocol + " authentication attempts, by result", "result",
       spec.auth_results);
}

prometheus::Counter& SessionMetrics::pick(const Counters& m, std::string_view label) {
  auto it = m.find(label);
  return *(it != m.end() ? it : m.find("other"))->second;
}

const SessionMetrics::Listener& SessionMetrics::listener(std::string_view name) const {
  auto it = listeners_.find(name);
  return (it != listeners_.end() ? it : listeners_.find("other"))->second;
}

void SessionMetrics::opened(std::string_view l) {
  listener(l).total->Increment();
  listener(l).current->Increment();
}

void SessionMetrics::closed(std::string_view l, double seconds) {
  listener(l).current->Decrement();
  duration_.Observe(seconds);
}

void SessionMetrics::overload(std::string_view l) { listener(l).overload->Increment(); }
void SessionMetrics::command(std::string_view verb) { pick(commands_, verb).Increment(); }
void SessionMetrics::reply(std::string_view code) {
  if (!replies_.empty()) pick(replies_, code).Increment();
}
void SessionMetrics::auth(std::string_view result) { pick(auth_, result).Increment(); }

}  // namespace mail::metrics
