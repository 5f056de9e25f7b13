// SPDX-License-Identifier: Apache-2.0
// Service tokens (see mail/rpc/tokens.h): checks, configuration, identify().
#include "mail/rpc/tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <sstream>

namespace mail::rpc {

CallerTokens::Digest token_digest(std::string_view text) {
  CallerTokens::Digest d{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), d.data(), &len, EVP_sha256(), nullptr) != 1 || len != d.size())
    throw std::runtime_error("SHA-256 failed");
  return d;
}

std::string checked_token(std::string text, const std::string& what) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.pop_back();
  if (text.size() < kMinTokenBytes)
    throw common::ConfigError(what + ": a token needs at least " + std::to_string(kMinTokenBytes) + " bytes");
  if (text.size() > kMaxTokenBytes)
    throw common::ConfigError(what + ": a token has at most " + std::to_string(kMaxTokenBytes) + " bytes");
  for (unsigned char c : text)
    if (c < 0x21 || c > 0x7e) throw common::ConfigError(what + ": a token is visible ASCII only");
  return text;
}

std::string own_token(const common::Config& config) {
  std::string t = config.secret("auth.token", "");
  if (t.empty()) throw common::ConfigError("config auth.token_file (or auth.token) is required: this service's token");
  return checked_token(std::move(t), "config auth.token");
}

void CallerTokens::add(const std::string& name, std::string_view token) {
  if (name.empty()) throw common::ConfigError("config auth.callers: empty caller name");
  std::string t = checked_token(std::string(token), "config auth.caller." + name + ".token");
  Digest d = token_digest(t);
  for (const auto& c : callers_) {
    if (c.name == name) throw common::ConfigError("config auth.callers: " + name + " is listed twice");
    if (c.digest == d) throw common::ConfigError("config auth.callers: " + name + " and " + c.name + " share a token");
  }
  callers_.push_back({name, d});
}

std::vector<std::string> name_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream list(text);
  std::string name;
  while (std::getline(list, name, ',')) {
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

CallerTokens CallerTokens::from_config(const common::Config& config) {
  CallerTokens out;
  for (const auto& name : name_list(config.str("auth.callers", ""))) {
    const std::string key = "auth.caller." + name + ".token";
    std::string token = config.secret(key, "");
    if (token.empty() && !config.str("grpc.tls.client_ca", "").empty()) continue;  // known by certificate
    if (token.empty()) throw common::ConfigError("config " + key + "_file (or " + key + ") is required for caller " + name);
    out.add(name, token);
  }
  out.accept_certificates(!config.str("grpc.tls.client_ca", "").empty());
  return out;
}

std::optional<std::string> CallerTokens::identify(std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return std::nullopt;
  const Digest d = token_digest(token);
  const Caller* found = nullptr;
  // Compare with every caller, in constant time each, so the answer's timing
  // says nothing about which prefix matched.
  for (const auto& c : callers_)
    if (CRYPTO_memcmp(c.digest.data(), d.data(), d.size()) == 0) found = &c;
  if (!found) return std::nullopt;
  return found->name;
}

std::vector<std::string> CallerTokens::names() const {
  std::vector<std::string> out;
  for (const auto& c : callers_) out.push_back(c.name);
  return out;
}

}  // namespace mail::rpc
