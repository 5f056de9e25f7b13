// SPDX-License-Identifier: Apache-2.0
// YAML loading and environment overrides for service configuration.
#include "mail/common/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "mail/common/strings.h"

namespace mail::common {
namespace {

void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!joined.empty()) joined += ",";
      joined += item.as<std::string>();
    }
    out[prefix] = joined;
  } else if (node.IsScalar()) {
    out[prefix] = node.as<std::string>();
  }
}

}  // namespace

Config Config::load(const std::string& path) {
  Config c;
  if (path.empty()) return c;
  try {
    YAML::Node root = YAML::LoadFile(path);
    flatten(root, "", c.values_);
  } catch (const YAML::Exception& e) {
    throw ConfigError("config " + path + ": " + e.what());
  }
  return c;
}

Config Config::from_map(std::map<std::string, std::string> values) {
  Config c;
  c.values_ = std::move(values);
  return c;
}

std::string Config::env_name(const std::string& key) {
  std::string name = "MAIL_";
  for (char ch : key) name += (ch == '.' || ch == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

std::vector<std::string> Config::keys_with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out.push_back(it->first);
  return out;
}

std::optional<std::string> Config::raw(const std::string& key) const {
  if (const char* env = std::getenv(env_name(key).c_str())) return std::string(env);
  auto it = values_.find(key);
  if (it != values_.end()) return it->second;
  return std::nullopt;
}

std::string Config::str(const std::string& key, const std::string& def) const {
  return raw(key).value_or(def);
}

int64_t Config::integer(const std::string& key, int64_t def) const {
  auto v = raw(key);
  if (!v) return def;
  try {
    size_t used = 0;
    int64_t n = std::stoll(*v, &used);
    if (used != v->size()) throw std::invalid_argument("trailing");
    return n;
  } catch (const std::exception&) {
    throw ConfigError("config " + key + ": not an integer: " + *v);
  }
}

bool Config::boolean(const std::string& key, bool def) const {
  auto v = raw(key);
  if (!v) return def;
  std::string s = ascii_lower(*v);
  if (s == "true" || s == "yes" || s == "1" || s == "on") return true;
  if (s == "false" || s == "no" || s == "0" || s == "off") return false;
  throw ConfigError("config " + key + ": not a boolean: " + *v);
}

uint64_t parse_size(const std::string& text) {
  std::string t(trim(text));
  if (t.empty()) throw ConfigError("empty size");
  uint64_t mult = 1;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
  if (last == 'B') { t.pop_back(); last = t.empty() ? 0 : static_cast<char>(std::toupper(static_cast<unsigned char>(t.back()))); }
  if (last == 'K') mult = 1024ULL;
  else if (last == 'M') mult = 1024ULL * 1024;
  else if (last == 'G') mult = 1024ULL * 1024 * 1024;
  else if (last == 'T') mult = 1024ULL * 1024 * 1024 * 1024;
  if (mult != 1) t.pop_back();
  size_t used = 0;
  uint64_t n = 0;
  try { n = std::stoull(t, &used); } catch (const std::exception&) { throw ConfigError("bad size: " + text); }
  if (used != t.size()) throw ConfigError("bad size: " + text);
  return n * mult;
}

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::string t(trim(text));
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  if (i == 0) throw ConfigError("bad duration: " + text);
  double n = std::stod(t.substr(0, i));
  std::string unit = t.substr(i);
  double ms;
  if (unit.empty() || unit == "s") ms = n * 1000;
  else if (unit == "ms") ms = n;
  else if (unit == "m") ms = n * 60000;
  else if (unit == "h") ms = n * 3600000;
  else if (unit == "d") ms = n * 86400000;  // retention periods (queue.keep_finished: 7d)
  else throw ConfigError("bad duration unit: " + text);
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

uint64_t Config::size(const std::string& key, uint64_t def) const {
  auto v = raw(key);
  if (!v) return def;
  try { return parse_size(*v); } catch (const ConfigError& e) { throw ConfigError("config " + key + ": " + e.what()); }
}

std::chrono::milliseconds Config::duration(const std::string& key, std::chrono::milliseconds def) const {
  auto v = raw(key);
  if (!v) return def;
  try { return parse_duration(*v); } catch (const std::exception& e) { throw ConfigError("config " + key + ": " + e.what()); }
}

std::string Config::secret(const std::string& key, const std::string& def) const {
  if (auto v = raw(key)) return *v;
  if (auto f = raw(key + "_file")) {
    std::ifstream in(*f);
    if (!in) throw ConfigError("config " + key + "_file: cannot read " + *f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  return def;
}

}  // namespace mail::common
