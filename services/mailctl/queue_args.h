// SPDX-License-Identifier: Apache-2.0
// mailctl queue's options, checked after args.cpp has read them: which
// options each queue command takes, and their values (a queue id of letters
// and digits, an address, a domain, a state name, a duration, a count).
// Pure: no I/O. The server checks everything again; these checks only give
// the operator a usage error (exit 2) instead of a refusal.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "args.h"

namespace mail::mailctl {

/// The queue options as given on the command line (unchecked).
struct QueueOptionValues {
  std::optional<std::string> sender, recipient, domain, state, older_than, limit;
  bool bounce = false;
  bool any() const { return sender || recipient || domain || state || older_than || limit || bounce; }
};

/// Checks `v` against cmd.verb (a queue verb) and cmd.name (the queue id,
/// upper-cased here), and fills cmd.queue; the problem otherwise.
std::optional<UsageError> complete_queue_command(Command& cmd, const QueueOptionValues& v);

/// "90s", "30m", "2h", "7d", "120" (seconds) -> seconds; nullopt when
/// malformed or longer than ten years.
std::optional<int64_t> parse_age(std::string_view text);

}  // namespace mail::mailctl
