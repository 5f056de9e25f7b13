// SPDX-License-Identifier: Apache-2.0
// Checks of mailctl queue's options (see queue_args.h).
#include "queue_args.h"

#include <cctype>

#include "mail/common/strings.h"

namespace mail::mailctl {
namespace {

constexpr int64_t kTenYears = 10LL * 366 * 86400;
constexpr uint32_t kMaxLimit = 10000;  // the server's bound (queue_admin.h)

UsageError usage(std::string m) { return UsageError{std::move(m)}; }

std::string bounded(const std::string& s) { return s.size() > 60 ? s.substr(0, 60) + "..." : s; }

bool plausible_address(const std::string& a) {
  if (a.size() > 320 || a.find('@') == std::string::npos) return false;
  for (char c : a) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool plausible_domain(const std::string& d) {
  if (d.empty() || d.size() > 253) return false;
  for (char c : d)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  return true;
}

bool plausible_queue_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::optional<int64_t> parse_age(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  int64_t factor = 0;
  if (unit.empty() || unit == "s") factor = 1;
  else if (unit == "m") factor = 60;
  else if (unit == "h") factor = 3600;
  else if (unit == "d") factor = 86400;
  else return std::nullopt;
  const int64_t n = std::stoll(std::string(text.substr(0, digits)));
  if (n > kTenYears / factor) return std::nullopt;
  return n * factor;
}

std::optional<UsageError> complete_queue_command(Command& cmd, const QueueOptionValues& v) {
  const bool list = cmd.verb == Verb::queue_list;
  const bool show = cmd.verb == Verb::queue_show;
  if (!list && (v.sender || v.recipient || v.state || v.older_than || v.limit))
    return usage("--sender, --recipient, --state, --older-than and --limit are filters of 'queue list'");
  if (v.bounce && cmd.verb != Verb::queue_delete) return usage("--bounce applies to 'queue delete' only");
  if (show && v.domain) return usage("takes a queue id only");

  if (!cmd.name.empty()) {
    if (!plausible_queue_id(cmd.name)) return usage("'" + bounded(cmd.name) + "' is not a queue id (letters and digits)");
    cmd.name = common::ascii_upper(cmd.name);
  }
  QueueArgs& q = cmd.queue;
  if (v.domain) {
    if (!plausible_domain(*v.domain)) return usage("'" + bounded(*v.domain) + "' is not a domain");
    q.domain = common::ascii_lower(*v.domain);
  }
  if (!list && !show && cmd.name.empty() && q.domain.empty()) return usage("give a QUEUE_ID or --domain DOMAIN");
  if (v.sender) {
    if (*v.sender == "<>") q.sender = std::string();
    else if (!plausible_address(*v.sender)) return usage("'" + bounded(*v.sender) + "' is not a mail address ('<>' is the null sender)");
    else q.sender = *v.sender;
  }
  if (v.recipient) {
    if (!plausible_address(*v.recipient)) return usage("'" + bounded(*v.recipient) + "' is not a mail address");
    q.recipient = *v.recipient;
  }
  if (v.state) {
    const std::string s = common::ascii_lower(*v.state);
    if (s != "all" && s != "queued" && s != "deferred" && s != "held" && s != "active")
      return usage("--state is one of queued, deferred, held, active, all");
    q.state = s == "all" ? "" : s;
  }
  if (v.older_than) {
    auto age = parse_age(*v.older_than);
    if (!age) return usage("invalid duration '" + bounded(*v.older_than) + "' (examples: 90s, 30m, 2h, 7d)");
    q.older_than_s = *age;
  }
  if (v.limit) {
    auto n = parse_age(*v.limit);  // digits only: a unit is refused below
    const bool digits = v.limit->find_first_not_of("0123456789") == std::string::npos;
    if (!digits || !n || *n < 1 || *n > kMaxLimit)
      return usage("--limit is a number from 1 to " + std::to_string(kMaxLimit));
    q.limit = static_cast<uint32_t>(*n);
  }
  q.bounce = v.bounce;
  return std::nullopt;
}

}  // namespace mail::mailctl
