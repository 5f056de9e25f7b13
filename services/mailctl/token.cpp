// SPDX-License-Identifier: Apache-2.0
// Finding and reading the administrator's token (see token.h).
#include "token.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mail/common/config.h"
#include "mail/rpc/tokens.h"

namespace mail::mailctl {

std::vector<std::string> token_candidates(const std::string& option, const char* env, const std::string& exe) {
  if (!option.empty()) return {option};
  if (env && *env) return {env};
  std::vector<std::string> out{".run/secrets/admin.token"};
  if (!exe.empty()) {
    // build/services/mailctl/mailctl -> the checkout three folders up.
    std::filesystem::path p(exe);
    auto root = p.parent_path().parent_path().parent_path().parent_path();
    if (!root.empty()) out.push_back((root / ".run" / "secrets" / "admin.token").string());
  }
  out.push_back("/etc/mail/admin.token");
  return out;
}

std::optional<std::string> find_token_file(const std::string& option, const char* env, const std::string& exe,
                                           const std::function<bool(const std::string&)>& exists) {
  auto c = token_candidates(option, env, exe);
  if (!option.empty() || (env && *env)) return c.front();
  for (const auto& path : c)
    if (exists(path)) return path;
  return std::nullopt;
}

TokenRead read_token(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, "cannot read token file " + path};
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > rpc::kMaxTokenBytes + 2) return {std::nullopt, "token file " + path + " is too long"};
  try {
    return {rpc::checked_token(text.str(), "token file " + path), ""};
  } catch (const common::ConfigError& e) {
    return {std::nullopt, e.what()};
  }
}

}  // namespace mail::mailctl
