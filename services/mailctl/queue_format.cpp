// SPDX-License-Identifier: Apache-2.0
// mailctl queue's list, show and summary text (see queue_format.h).
#include "queue_format.h"

#include <ctime>

#include "format.h"

namespace mail::mailctl {
namespace {

namespace pb = mail::queue::v1;

constexpr size_t kListErrorWidth = 120;  // the list's last column; show gives it whole

std::string sender_of(const std::string& s) { return s.empty() ? "<>" : sanitize(s, 320); }

std::string destination_of(const std::string& d) { return d.empty() ? "local" : sanitize(d, 255); }

std::string next_of(int64_t next_ms, int64_t now_ms, pb::JobState state) {
  if (state == pb::ACTIVE) return "active";
  if (next_ms == 0) return "-";
  if (next_ms <= now_ms) return "now";
  return "in " + format_age(next_ms - now_ms);
}

std::string indent(const std::string& table) {
  std::string out;
  size_t start = 0;
  while (start < table.size()) {
    size_t end = table.find('\n', start);
    if (end == std::string::npos) end = table.size();
    out += "  " + table.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

std::string plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string format_age(int64_t ms) {
  if (ms <= 0) return "0s";
  int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + (s % 60 ? " " + std::to_string(s % 60) + "s" : "");
  if (s < 86400) return std::to_string(s / 3600) + "h" + (s % 3600 / 60 ? " " + std::to_string(s % 3600 / 60) + "m" : "");
  return std::to_string(s / 86400) + "d" + (s % 86400 / 3600 ? " " + std::to_string(s % 86400 / 3600) + "h" : "");
}

std::string format_utc(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "-";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

const char* state_label(pb::JobState s) {
  switch (s) {
    case pb::QUEUED: return "queued";
    case pb::DEFERRED: return "deferred";
    case pb::HELD: return "held";
    case pb::ACTIVE: return "active";
    case pb::DONE: return "done";
    default: return "?";
  }
}

std::string render_job_list(const pb::ListJobsReply& reply) {
  std::vector<std::vector<std::string>> rows;
  const int64_t now = reply.now_unix_ms();
  for (const auto& j : reply.jobs()) {
    std::string rcpts;
    for (const auto& r : j.recipients())
      rcpts += (rcpts.empty() ? "" : ", ") + sanitize(r.address(), 320) + " (" + destination_of(r.destination()) + ")";
    const int64_t more = static_cast<int64_t>(j.pending_recipients()) - j.recipients_size();
    if (more > 0) rcpts += ", +" + std::to_string(more) + " more";
    rows.push_back({sanitize(j.queue_id(), 64), format_age(now - j.received_unix_ms()), format_size(j.size()),
                    sender_of(j.sender()), rcpts.empty() ? "-" : rcpts, state_label(j.state()),
                    std::to_string(j.attempts()), next_of(j.next_attempt_unix_ms(), now, j.state()),
                    j.last_error().empty() ? "-" : sanitize(j.last_error(), kListErrorWidth)});
  }
  return render_table({"QUEUE ID", "AGE", "SIZE", "SENDER", "RECIPIENTS", "STATE", "ATTEMPTS", "NEXT", "LAST ERROR"},
                      rows);
}

std::string render_job(const pb::JobDetail& d) {
  const auto& j = d.job();
  const int64_t now = d.now_unix_ms();
  std::string out;
  out += "queue id:    " + sanitize(j.queue_id(), 64) + "\n";
  out += "state:       " + std::string(state_label(j.state()));
  if (j.state() != pb::DONE && j.state() != pb::ACTIVE && j.next_attempt_unix_ms() != 0)
    out += ", next attempt " + next_of(j.next_attempt_unix_ms(), now, j.state());
  out += "\n";
  out += "received:    " + format_utc(j.received_unix_ms()) + " (" + format_age(now - j.received_unix_ms()) + " ago)\n";
  if (d.finished_unix_ms() != 0)
    out += "finished:    " + format_utc(d.finished_unix_ms()) + " (" + format_age(now - d.finished_unix_ms()) + " ago)\n";
  out += "sender:      " + sender_of(j.sender()) + "\n";
  out += "size:        " + format_size(j.size()) + " (" + std::to_string(j.size()) + " bytes)\n";
  std::string from;
  auto add = [&](const std::string& label, const std::string& v) {
    if (!v.empty()) from += (from.empty() ? "" : ", ") + label + sanitize(v, 320);
  };
  add("", d.client_ip());
  add("", d.protocol());
  add("user ", d.auth_user());
  add("helo ", d.helo());
  if (!from.empty()) out += "from:        " + from + "\n";

  std::vector<std::vector<std::string>> rows;
  for (const auto& r : j.recipients())
    rows.push_back({sanitize(r.address(), 320), destination_of(r.destination()), sanitize(r.state(), 16),
                    std::to_string(r.attempts()), r.code().empty() ? "-" : sanitize(r.code(), 16),
                    r.error().empty() ? "-" : sanitize(r.error(), 1000)});
  out += "recipients:  " + plural(j.recipients_size(), "recipient", "recipients") + ", " +
         std::to_string(j.pending_recipients()) + " pending\n";
  out += indent(render_table({"ADDRESS", "DESTINATION", "STATE", "ATTEMPTS", "CODE", "LAST ERROR"}, rows));

  rows.clear();
  for (const auto& l : d.legs()) {
    std::string next = "-";
    if (l.active()) next = "active";
    else if (l.state() == "queued") next = next_of(l.next_attempt_unix_ms(), now, pb::QUEUED);
    rows.push_back({destination_of(l.destination()), sanitize(l.state(), 16), std::to_string(l.attempts()), next,
                    format_utc(l.last_attempt_unix_ms()), l.last_error().empty() ? "-" : sanitize(l.last_error(), 1000)});
  }
  out += "legs:\n";
  out += indent(render_table({"DESTINATION", "STATE", "ATTEMPTS", "NEXT", "LAST ATTEMPT", "LAST ERROR"}, rows));

  rows.clear();
  for (const auto& a : d.attempts())
    rows.push_back({format_utc(a.at_unix_ms()), destination_of(a.destination()), std::to_string(a.delivered()),
                    std::to_string(a.deferred()), std::to_string(a.failed()),
                    a.detail().empty() ? "-" : sanitize(a.detail(), 1000)});
  out += "attempts:";
  if (d.attempts_size() == 0) {
    out += "    none recorded\n";
    return out;
  }
  out += d.attempts_truncated() ? "    the newest " + std::to_string(d.attempts_size()) + "\n" : "\n";
  out += indent(render_table({"AT", "DESTINATION", "DELIVERED", "DEFERRED", "FAILED", "DETAIL"}, rows));
  return out;
}

std::string render_sender_summary(const pb::ListJobsReply& reply) {
  const int64_t total = reply.has_total() ? reply.total() : reply.jobs_size();
  if (total == 0) return "none";
  std::string out = plural(total, "message", "messages");
  if (reply.has_total_size()) out += " (" + format_size(static_cast<uint64_t>(reply.total_size())) + ")";
  if (reply.jobs_size() > 0)
    out += ", oldest " + format_age(reply.now_unix_ms() - reply.jobs(0).received_unix_ms());
  std::string ids;
  for (const auto& j : reply.jobs())
    ids += (ids.empty() ? "" : ", ") + sanitize(j.queue_id(), 64) + " (" + state_label(j.state()) + ")";
  if (!ids.empty()) out += ": " + ids;
  if (total > reply.jobs_size()) out += ", ...";
  return out;
}

}  // namespace mail::mailctl
