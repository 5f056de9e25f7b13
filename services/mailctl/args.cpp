// SPDX-License-Identifier: Apache-2.0
// mailctl argument parsing. Pure: argv in, Command or UsageError out.
// Options may appear anywhere after the program name; "--" ends them.
#include "args.h"

#include <cctype>

#include "mail/common/config.h"
#include "mail/common/strings.h"
#include "queue_args.h"

namespace mail::mailctl {

const char* const kUsage =
    "usage: mailctl [--server HOST:PORT] [--queue-server HOST:PORT] [--token-file FILE] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  domain add DOMAIN\n"
    "  domain delete DOMAIN                 (refused while the domain has accounts or aliases)\n"
    "  domain list\n"
    "  account add ADDRESS (--password-file FILE | --password-stdin) [--quota SIZE]\n"
    "  account delete ADDRESS               (deletes the account's mail too)\n"
    "  account show ADDRESS\n"
    "  account list [DOMAIN]\n"
    "  account passwd ADDRESS (--password-file FILE | --password-stdin)\n"
    "  account quota ADDRESS SIZE           (SIZE: 500M, 1G, ...; 0 or unlimited = no limit)\n"
    "  account disable ADDRESS              (no more logins, at once; mail is still delivered)\n"
    "  account enable ADDRESS\n"
    "  alias add ADDRESS TARGET...          (targets: local or remote addresses)\n"
    "  alias delete ADDRESS [TARGET]        (no TARGET: the whole alias)\n"
    "  alias list [DOMAIN]\n"
    "  throttle show [--address IP] [--account NAME]   (failed-login counts and blocks)\n"
    "  throttle clear (--address IP | --account NAME)  (lifts the blocks at once)\n"
    "  queue list [--sender ADDRESS|'<>'] [--recipient ADDRESS] [--domain DOMAIN]\n"
    "             [--state queued|deferred|held|active|all] [--older-than DURATION] [--limit N]\n"
    "                                       (unfinished jobs, oldest first, one line each)\n"
    "  queue show QUEUE_ID                  (recipients, legs and attempts of one job)\n"
    "  queue retry (QUEUE_ID | --domain DOMAIN)    (due now; the domain's backoff cleared)\n"
    "  queue hold (QUEUE_ID | --domain DOMAIN)     (never attempted until released)\n"
    "  queue release (QUEUE_ID | --domain DOMAIN)  (held legs due now)\n"
    "  queue delete (QUEUE_ID | --domain DOMAIN) [--bounce]\n"
    "                                       (pending recipients fail; the sender is told only with --bounce)\n"
    "\n"
    "Options:\n"
    "  --server HOST:PORT   admin service (default $MAILCTL_SERVER, else 127.0.0.1:7001)\n"
    "  --queue-server HOST:PORT  the mta's queue API, for queue and account show\n"
    "                       (default $MAILCTL_QUEUE_SERVER, else 127.0.0.1:7002; the same token)\n"
    "  --token-file FILE    the administrator's token (default $MAILCTL_TOKEN_FILE, else\n"
    "                       .run/secrets/admin.token of the local run, else /etc/mail/admin.token)\n"
    "  --password-file FILE read the password from the first line of FILE\n"
    "  --password-stdin     read the password from standard input (prompted on a terminal)\n"
    "  --quota SIZE         quota of a new account (default 0 = unlimited)\n"
    "  --address IP         throttle: a client address\n"
    "  --account NAME       throttle: an account, as clients log in with it\n"
    "  --older-than DURATION  queue list: received longer ago (90s, 30m, 2h, 7d)\n"
    "  --limit N            queue list: at most N jobs (default 1000, at most 10000)\n"
    "  -h, --help           this text\n"
    "\n"
    "Passwords are never taken as command-line arguments.\n"
    "Exit status: 0 done, 1 refused by the server, 2 usage error, 3 server unreachable.\n";

namespace {

struct Options {
  std::optional<std::string> server, password_file, quota, token_file, address, account, queue_server;
  QueueOptionValues queue;
  bool password_stdin = false;
  bool help = false;
};

UsageError usage(std::string message) { return UsageError{std::move(message)}; }

}  // namespace

std::optional<uint64_t> parse_quota(std::string_view text) {
  std::string t(common::trim(text));
  std::string lower = common::ascii_lower(t);
  if (lower == "unlimited" || lower == "none") return 0;
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  if (digits == 0 || digits > 19) return std::nullopt;  // no sign, no space, no absurd length
  // parse_size multiplies without an overflow check: bound the product first.
  char unit = digits < t.size() ? static_cast<char>(std::toupper(static_cast<unsigned char>(t[digits]))) : 'B';
  long double factor = unit == 'K' ? 0x1p10L : unit == 'M' ? 0x1p20L : unit == 'G' ? 0x1p30L : unit == 'T' ? 0x1p40L : 1.0L;
  if (std::stold(t.substr(0, digits)) * factor >= 0x1p63L) return std::nullopt;
  try {
    return common::parse_size(t);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

// The command table: words, positional argument counts, which options apply.
struct Spec {
  const char* group;
  const char* sub;
  Verb verb;
  size_t min_args, max_args;
  bool password;      // needs --password-file or --password-stdin
  bool quota_option;  // accepts --quota
  const char* synopsis;
};

constexpr size_t kMany = 10000;

constexpr Spec kSpecs[] = {
    {"domain", "add", Verb::domain_add, 1, 1, false, false, "DOMAIN"},
    {"domain", "delete", Verb::domain_delete, 1, 1, false, false, "DOMAIN"},
    {"domain", "list", Verb::domain_list, 0, 0, false, false, ""},
    {"account", "add", Verb::account_add, 1, 1, true, true, "ADDRESS (--password-file FILE | --password-stdin) [--quota SIZE]"},
    {"account", "delete", Verb::account_delete, 1, 1, false, false, "ADDRESS"},
    {"account", "show", Verb::account_show, 1, 1, false, false, "ADDRESS"},
    {"account", "list", Verb::account_list, 0, 1, false, false, "[DOMAIN]"},
    {"account", "passwd", Verb::account_passwd, 1, 1, true, false, "ADDRESS (--password-file FILE | --password-stdin)"},
    {"account", "quota", Verb::account_quota, 2, 2, false, false, "ADDRESS SIZE"},
    {"account", "disable", Verb::account_disable, 1, 1, false, false, "ADDRESS"},
    {"account", "enable", Verb::account_enable, 1, 1, false, false, "ADDRESS"},
    {"alias", "add", Verb::alias_add, 2, kMany, false, false, "ADDRESS TARGET..."},
    {"alias", "delete", Verb::alias_delete, 1, 2, false, false, "ADDRESS [TARGET]"},
    {"alias", "list", Verb::alias_list, 0, 1, false, false, "[DOMAIN]"},
    {"throttle", "show", Verb::throttle_show, 0, 0, false, false, "[--address IP] [--account NAME]"},
    {"throttle", "clear", Verb::throttle_clear, 0, 0, false, false, "(--address IP | --account NAME)"},
    {"queue", "list", Verb::queue_list, 0, 0, false, false,
     "[--sender ADDRESS] [--recipient ADDRESS] [--domain DOMAIN] [--state STATE] [--older-than DURATION] [--limit N]"},
    {"queue", "show", Verb::queue_show, 1, 1, false, false, "QUEUE_ID"},
    {"queue", "retry", Verb::queue_retry, 0, 1, false, false, "(QUEUE_ID | --domain DOMAIN)"},
    {"queue", "hold", Verb::queue_hold, 0, 1, false, false, "(QUEUE_ID | --domain DOMAIN)"},
    {"queue", "release", Verb::queue_release, 0, 1, false, false, "(QUEUE_ID | --domain DOMAIN)"},
    {"queue", "delete", Verb::queue_delete, 0, 1, false, false, "(QUEUE_ID | --domain DOMAIN) [--bounce]"},
};

std::string bounded(const std::string& s) { return s.size() > 60 ? s.substr(0, 60) + "..." : s; }

}  // namespace

bool is_queue_verb(Verb v) {
  switch (v) {
    case Verb::queue_list:
    case Verb::queue_show:
    case Verb::queue_retry:
    case Verb::queue_hold:
    case Verb::queue_release:
    case Verb::queue_delete: return true;
    default: return false;
  }
}

std::variant<Command, UsageError> parse_args(const std::vector<std::string>& args, std::string_view default_server,
                                             std::string_view default_queue_server) {
  Options opt;
  std::vector<std::string> pos;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      pos.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    auto take = [&](std::optional<std::string>& slot) -> std::optional<UsageError> {
      if (slot) return usage(name + " given twice");
      if (!inline_value) {
        if (i + 1 >= args.size()) return usage(name + " needs a value");
        value = args[++i];
      }
      if (value.empty()) return usage(name + " needs a value");
      slot = value;
      return std::nullopt;
    };
    std::optional<UsageError> err;
    if ((name == "-h" || name == "--help") && !inline_value) {
      opt.help = true;
    } else if (name == "--server") {
      err = take(opt.server);
    } else if (name == "--token-file") {
      err = take(opt.token_file);
    } else if (name == "--password-file") {
      err = take(opt.password_file);
    } else if (name == "--quota") {
      err = take(opt.quota);
    } else if (name == "--address") {
      err = take(opt.address);
    } else if (name == "--account") {
      err = take(opt.account);
    } else if (name == "--queue-server") {
      err = take(opt.queue_server);
    } else if (name == "--sender") {
      err = take(opt.queue.sender);
    } else if (name == "--recipient") {
      err = take(opt.queue.recipient);
    } else if (name == "--domain") {
      err = take(opt.queue.domain);
    } else if (name == "--state") {
      err = take(opt.queue.state);
    } else if (name == "--older-than") {
      err = take(opt.queue.older_than);
    } else if (name == "--limit") {
      err = take(opt.queue.limit);
    } else if (name == "--bounce" && !inline_value) {
      opt.queue.bounce = true;
    } else if (name == "--password-stdin" && !inline_value) {
      opt.password_stdin = true;
    } else if (name == "--password" || name == "--pass" || name == "-p") {
      return usage("passwords are never taken on the command line; use --password-file FILE or --password-stdin");
    } else {
      return usage("unknown option " + bounded(name));
    }
    if (err) return *err;
  }

  Command cmd;
  cmd.server = opt.server.value_or(std::string(default_server));
  cmd.token_file = opt.token_file.value_or("");
  cmd.queue_server = opt.queue_server.value_or(std::string(default_queue_server));
  if (opt.help || (pos.size() == 1 && pos[0] == "help")) return cmd;  // Verb::help
  if (cmd.server.empty()) return usage("--server needs HOST:PORT");
  if (pos.empty()) return usage("no command given");

  const Spec* spec = nullptr;
  bool group_known = false;
  for (const Spec& s : kSpecs) {
    if (pos[0] != s.group) continue;
    group_known = true;
    if (pos.size() >= 2 && pos[1] == s.sub) spec = &s;
  }
  if (!group_known) return usage("unknown command '" + bounded(pos[0]) + "'");
  if (!spec) {
    if (pos.size() < 2) return usage("'" + pos[0] + "' needs a subcommand (add, delete, list, ...)");
    return usage("unknown command '" + pos[0] + " " + bounded(pos[1]) + "'");
  }
  std::string what = std::string(spec->group) + " " + spec->sub;
  std::vector<std::string> rest(pos.begin() + 2, pos.end());
  if (rest.size() < spec->min_args || rest.size() > spec->max_args) {
    std::string problem = rest.size() < spec->min_args ? "missing arguments" : "unexpected argument '" +
                                                                                  bounded(rest[spec->max_args]) + "'";
    return usage(what + ": " + problem + "; usage: mailctl " + what + (*spec->synopsis ? " " : "") + spec->synopsis);
  }
  cmd.verb = spec->verb;
  if (!rest.empty()) cmd.name = rest[0];

  switch (spec->verb) {
    case Verb::account_quota:
      cmd.quota = parse_quota(rest[1]);
      if (!cmd.quota) return usage("invalid size '" + bounded(rest[1]) + "' (examples: 500M, 1G, 0 for unlimited)");
      break;
    case Verb::alias_add:
    case Verb::alias_delete:
      cmd.targets.assign(rest.begin() + 1, rest.end());
      break;
    default:
      break;
  }

  if (opt.password_file && opt.password_stdin) return usage("give either --password-file or --password-stdin, not both");
  if (spec->password) {
    if (opt.password_file) {
      cmd.password = PasswordSource::file;
      cmd.password_file = *opt.password_file;
    } else if (opt.password_stdin) {
      cmd.password = PasswordSource::standard_input;
    } else {
      return usage(what + ": needs --password-file FILE or --password-stdin");
    }
  } else if (opt.password_file || opt.password_stdin) {
    return usage(what + " takes no password");
  }
  const bool throttle = spec->verb == Verb::throttle_show || spec->verb == Verb::throttle_clear;
  if ((opt.address || opt.account) && !throttle) return usage("--address and --account apply to 'throttle' only");
  if (spec->verb == Verb::throttle_clear && opt.address.has_value() == opt.account.has_value())
    return usage("throttle clear: give exactly one of --address IP and --account NAME");
  if (spec->verb == Verb::throttle_show && !opt.address && !opt.account)
    return usage("throttle show: give --address IP, --account NAME or both");
  cmd.address = opt.address.value_or("");
  cmd.account = opt.account.value_or("");
  if (is_queue_verb(spec->verb)) {
    if (auto e = complete_queue_command(cmd, opt.queue)) return usage(what + ": " + e->message);
  } else if (opt.queue.any()) {
    return usage("--sender, --recipient, --domain, --state, --older-than, --limit and --bounce apply to 'queue' only");
  }
  if (opt.quota) {
    if (!spec->quota_option) return usage("--quota applies to 'account add' only (use 'account quota ADDRESS SIZE')");
    cmd.quota = parse_quota(*opt.quota);
    if (!cmd.quota) return usage("invalid size '" + bounded(*opt.quota) + "' (examples: 500M, 1G, 0 for unlimited)");
  }
  return cmd;
}

}  // namespace mail::mailctl
