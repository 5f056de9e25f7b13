// SPDX-License-Identifier: Apache-2.0
// Where mailctl finds the administrator's token, in this order: --token-file,
// $MAILCTL_TOKEN_FILE, the local run's .run/secrets/admin.token (in the
// current folder, then in the checkout that holds this mailctl binary), and
// /etc/mail/admin.token. Pure apart from the `exists` probe, so that tests
// can give their own.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mail::mailctl {

/// The candidates in order (empty ones left out). `exe` is the path of the
/// running binary (build/services/mailctl/mailctl in a checkout) or "".
std::vector<std::string> token_candidates(const std::string& option, const char* env, const std::string& exe);

/// The first candidate: an explicit one (option or environment) always, else
/// the first that `exists`; nullopt when none does.
std::optional<std::string> find_token_file(const std::string& option, const char* env, const std::string& exe,
                                           const std::function<bool(const std::string&)>& exists);

struct TokenRead {
  std::optional<std::string> token;
  std::string error;  ///< why not, when !token
};

/// Reads and checks the token in `path` (16+ visible ASCII bytes).
TokenRead read_token(const std::string& path);

}  // namespace mail::mailctl
