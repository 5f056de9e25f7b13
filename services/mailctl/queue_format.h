// SPDX-License-Identifier: Apache-2.0
// mailctl queue output: the list (one line per job, aligned columns), one
// job shown in full, and the one-line summary `account show` prints. Pure:
// replies in, text out. Ages and "next attempt" are counted from the
// server's clock in the reply (now_unix_ms), never from this machine's.
// Trusts nothing in the replies: every text field (addresses, remote
// servers' answers) goes through sanitize().
#pragma once
#include <cstdint>
#include <string>

#include "mail/queue/v1/queue.pb.h"

namespace mail::mailctl {

/// A duration for people: "0s", "45s", "12m 5s", "3h 5m", "2d 4h" (negative: "0s").
std::string format_age(int64_t ms);
/// "2025-01-06 10:00:00Z"; "-" for 0.
std::string format_utc(int64_t unix_ms);
/// "queued", "deferred", ...
const char* state_label(mail::queue::v1::JobState s);

/// The list: a header, then one line per job.
std::string render_job_list(const mail::queue::v1::ListJobsReply& reply);
/// One job: envelope, recipients, legs and attempts, readable.
std::string render_job(const mail::queue::v1::JobDetail& job);
/// For account show: "none", or "2 messages (3.1K), oldest 2h 5m: ID (deferred), ...".
std::string render_sender_summary(const mail::queue::v1::ListJobsReply& reply);

}  // namespace mail::mailctl
