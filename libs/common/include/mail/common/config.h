// SPDX-License-Identifier: Apache-2.0
// Config: one YAML file per service, flattened to dotted keys ("smtp.max_size"),
// with environment overrides: key "smtp.max_size" is overridden by MAIL_SMTP_MAX_SIZE.
// Parsed once at start-up; services copy what they need into their own structs.
// Trusts: the operator's file and environment. Errors: ConfigError at start-up.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mail::common {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  /// Load a YAML file (empty path = no file, only environment and defaults).
  static Config load(const std::string& path);
  /// Build from explicit values (tests).
  static Config from_map(std::map<std::string, std::string> values);

  std::string str(const std::string& key, const std::string& def) const;
  int64_t integer(const std::string& key, int64_t def) const;
  bool boolean(const std::string& key, bool def) const;
  /// Sizes accept suffixes K, M, G (binary): "25M".
  uint64_t size(const std::string& key, uint64_t def) const;
  /// Durations accept ms, s, m, h: "30s", "250ms"; a bare number is seconds.
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds def) const;
  /// A value, or empty when not set anywhere.
  std::optional<std::string> raw(const std::string& key) const;
  /// A secret: the value of KEY, or the contents of the file named by KEY_file.
  std::string secret(const std::string& key, const std::string& def) const;

  static std::string env_name(const std::string& key);
  /// Keys set in the file (or map) that start with `prefix`, in order (for
  /// maps such as "outbound.routes.<domain>.relayhost").
  std::vector<std::string> keys_with_prefix(const std::string& prefix) const;

 private:
  std::map<std::string, std::string> values_;
};

uint64_t parse_size(const std::string& text);
/// "250ms", "30s" (or "30"), "5m", "2h", "7d"; ConfigError otherwise.
std::chrono::milliseconds parse_duration(const std::string& text);

}  // namespace mail::common
