// SPDX-License-Identifier: Apache-2.0
// mailctl command line: a pure parser from argv to a Command (no I/O), and the
// usage text. Passwords are never accepted as arguments, only the name of a
// file or --password-stdin.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mail::mailctl {

enum class Verb {
  help,
  domain_add,
  domain_delete,
  domain_list,
  account_add,
  account_delete,
  account_show,
  account_list,
  account_passwd,
  account_quota,
  account_disable,
  account_enable,
  alias_add,
  alias_delete,
  alias_list,
  throttle_clear,
  throttle_show,
};

enum class PasswordSource { none, file, standard_input };

struct Command {
  Verb verb = Verb::help;
  std::string server;                ///< HOST:PORT of the admin service
  std::string name;                  ///< domain or address the command acts on ("" = all for list)
  std::vector<std::string> targets;  ///< alias add: 1+; alias delete: 0 or 1
  PasswordSource password = PasswordSource::none;
  std::string password_file;
  std::optional<uint64_t> quota;  ///< bytes; 0 = unlimited
  std::string token_file;         ///< --token-file: the administrator's token ("" = look for it)
  std::string address;            ///< throttle: --address IP ("" = none)
  std::string account;            ///< throttle: --account NAME ("" = none)
};

struct UsageError {
  std::string message;
};

/// Parses the arguments after argv[0]. `default_server` is used when no
/// --server is given (main passes $MAILCTL_SERVER or 127.0.0.1:7001).
std::variant<Command, UsageError> parse_args(const std::vector<std::string>& args, std::string_view default_server);

/// "1G", "500M", "1048576", "0", "unlimited" -> bytes (binary units, as
/// mail::common::parse_size). nullopt when malformed or beyond 2^63-1.
std::optional<uint64_t> parse_quota(std::string_view text);

extern const char* const kUsage;

}  // namespace mail::mailctl
