// SPDX-License-Identifier: Apache-2.0
// mailctl command line: a pure parser from argv to a Command (no I/O), and the
// usage text. Passwords are never accepted as arguments, only the name of a
// file or --password-stdin. The queue commands' options are checked by
// queue_args.h.
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
  queue_list,
  queue_show,
  queue_retry,
  queue_hold,
  queue_release,
  queue_delete,
};

/// mailctl queue: filters (list) and what an action applies to. The queue
/// id, when given, is Command::name (upper case).
struct QueueArgs {
  std::optional<std::string> sender;  ///< --sender; "" = the null sender ("<>")
  std::string recipient;              ///< --recipient
  std::string domain;                 ///< --domain: a destination (list filter or action target)
  std::string state;                  ///< --state; "" = every unfinished job
  int64_t older_than_s = 0;           ///< --older-than, in seconds
  uint32_t limit = 0;                 ///< --limit; 0 = the server's default (1000)
  bool bounce = false;                ///< delete --bounce
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
  std::string queue_server;       ///< HOST:PORT of the mta's Queue API (queue, account show)
  QueueArgs queue;
};

struct UsageError {
  std::string message;
};

/// Parses the arguments after argv[0]. `default_server` is used when no
/// --server is given (main passes $MAILCTL_SERVER or 127.0.0.1:7001),
/// `default_queue_server` when no --queue-server is ($MAILCTL_QUEUE_SERVER
/// or 127.0.0.1:7002).
std::variant<Command, UsageError> parse_args(const std::vector<std::string>& args, std::string_view default_server,
                                             std::string_view default_queue_server = "127.0.0.1:7002");

/// True for the verbs that talk to the Queue API only.
bool is_queue_verb(Verb v);

/// "1G", "500M", "1048576", "0", "unlimited" -> bytes (binary units, as
/// mail::common::parse_size). nullopt when malformed or beyond 2^63-1.
std::optional<uint64_t> parse_quota(std::string_view text);

extern const char* const kUsage;

}  // namespace mail::mailctl
