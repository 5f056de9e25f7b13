// SPDX-License-Identifier: Apache-2.0
// mailctl queue commands (see queue_commands.h).
#include "queue_commands.h"

#include <grpcpp/grpcpp.h>

#include "commands.h"
#include "format.h"
#include "queue_format.h"

namespace mail::mailctl {
namespace {

namespace pb = mail::queue::v1;
using grpc::StatusCode;

template <class Req, class Rep>
grpc::Status call(grpc::Status (pb::Queue::StubInterface::*rpc)(grpc::ClientContext*, const Req&, Rep*),
                  pb::Queue::StubInterface& stub, const Req& req, Rep* rep, std::chrono::seconds deadline) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  return (stub.*rpc)(&ctx, req, rep);
}

// The failure in one line on `err`; the exit code.
int report(const grpc::Status& s, const Command& cmd, std::ostream& err) {
  const std::string msg = sanitize(s.error_message().empty() ? status_name(s.error_code()) : s.error_message());
  const std::string server = sanitize(cmd.queue_server, 300);
  switch (s.error_code()) {
    case StatusCode::UNAVAILABLE:
    case StatusCode::DEADLINE_EXCEEDED:
      err << "mailctl: queue server " << server << " unavailable: " << msg << "\n";
      return kExitUnreachable;
    case StatusCode::UNAUTHENTICATED:
    case StatusCode::PERMISSION_DENIED:
      err << "mailctl: queue server " << server << " refused our token (" << status_name(s.error_code())
          << "): " << msg << "\n";
      return kExitRefused;
    default:
      err << "mailctl: " << msg << "\n";
      return kExitRefused;
  }
}

pb::JobState state_of(const std::string& s) {
  if (s == "queued") return pb::QUEUED;
  if (s == "deferred") return pb::DEFERRED;
  if (s == "held") return pb::HELD;
  if (s == "active") return pb::ACTIVE;
  return pb::JOB_STATE_ANY;
}

std::string what(const Command& cmd) {
  if (cmd.name.empty()) return "domain " + cmd.queue.domain;
  return "job " + cmd.name + (cmd.queue.domain.empty() ? "" : " to " + cmd.queue.domain);
}

std::string counts(const pb::ActionReply& r) {
  return std::to_string(r.legs()) + (r.legs() == 1 ? " leg" : " legs") + " of " + std::to_string(r.jobs()) +
         (r.jobs() == 1 ? " job" : " jobs");
}

}  // namespace

int execute_queue(const Command& cmd, pb::Queue::StubInterface& stub, std::ostream& out, std::ostream& err) {
  using S = pb::Queue::StubInterface;
  pb::Target target;
  target.set_queue_id(cmd.name);
  target.set_domain(cmd.queue.domain);
  pb::ActionReply act;
  grpc::Status st;
  switch (cmd.verb) {
    case Verb::queue_list: {
      pb::ListJobsRequest req;
      if (cmd.queue.sender) req.set_sender(*cmd.queue.sender);
      req.set_recipient(cmd.queue.recipient);
      req.set_domain(cmd.queue.domain);
      req.set_state(state_of(cmd.queue.state));
      req.set_older_than_seconds(static_cast<uint64_t>(cmd.queue.older_than_s));
      req.set_limit(cmd.queue.limit);
      pb::ListJobsReply rep;
      st = call(&S::ListJobs, stub, req, &rep, kQueueRpcDeadline);
      if (!st.ok()) return report(st, cmd, err);
      out << render_job_list(rep);
      // On stderr: stdout stays one line per job for scripts.
      if (rep.more())
        err << "mailctl: more jobs match; these are the oldest " << rep.jobs_size()
            << " (narrow the filters or raise --limit)\n";
      return kExitOk;
    }
    case Verb::queue_show: {
      pb::GetJobRequest req;
      req.set_queue_id(cmd.name);
      pb::JobDetail rep;
      st = call(&S::GetJob, stub, req, &rep, kQueueRpcDeadline);
      if (!st.ok()) return report(st, cmd, err);
      out << render_job(rep);
      return kExitOk;
    }
    case Verb::queue_retry:
      st = call(&S::Retry, stub, target, &act, kQueueActionDeadline);
      if (!st.ok()) return report(st, cmd, err);
      out << "retry " << sanitize(what(cmd)) << ": " << counts(act) << " due now";
      if (act.legs() == 0) out << " (nothing queued to retry: finished, held or under way)";
      out << "\n";
      return kExitOk;
    case Verb::queue_hold:
      st = call(&S::Hold, stub, target, &act, kQueueActionDeadline);
      if (!st.ok()) return report(st, cmd, err);
      out << "hold " << sanitize(what(cmd)) << ": " << counts(act) << " held\n";
      return kExitOk;
    case Verb::queue_release:
      st = call(&S::Release, stub, target, &act, kQueueActionDeadline);
      if (!st.ok()) return report(st, cmd, err);
      out << "release " << sanitize(what(cmd)) << ": " << counts(act) << " released, due now\n";
      return kExitOk;
    case Verb::queue_delete: {
      pb::DeleteRequest req;
      *req.mutable_target() = target;
      req.set_bounce(cmd.queue.bounce);
      st = call(&S::Delete, stub, req, &act, kQueueActionDeadline);
      if (!st.ok()) return report(st, cmd, err);
      out << "delete " << sanitize(what(cmd)) << ": " << counts(act) << " deleted, ";
      if (!cmd.queue.bounce) out << "no bounce (silently)\n";
      else out << act.bounces() << (act.bounces() == 1 ? " bounce" : " bounces") << " queued to the sender\n";
      return kExitOk;
    }
    default:
      err << "mailctl: not a queue command\n";
      return kExitUsage;
  }
}

void print_queued_as_sender(const std::string& address, const std::string& server, pb::Queue::StubInterface& stub,
                            std::ostream& out) {
  pb::ListJobsRequest req;
  req.set_sender(address);
  req.set_limit(kAccountQueuedShown);
  req.set_with_total(true);
  pb::ListJobsReply rep;
  grpc::Status st = call(&pb::Queue::StubInterface::ListJobs, stub, req, &rep, kQueueRpcDeadline);
  out << "queued:    ";
  if (st.ok()) {
    out << render_sender_summary(rep) << "\n";
    return;
  }
  const std::string why = st.error_code() == StatusCode::UNAVAILABLE || st.error_code() == StatusCode::DEADLINE_EXCEEDED
                              ? "unreachable"
                          : st.error_code() == StatusCode::UNAUTHENTICATED ||
                                  st.error_code() == StatusCode::PERMISSION_DENIED
                              ? "refused our token"
                              : status_name(st.error_code());
  out << "unknown (queue server " << sanitize(server, 300) << " " << why << ": "
      << sanitize(st.error_message().empty() ? status_name(st.error_code()) : st.error_message(), 200) << ")\n";
}

}  // namespace mail::mailctl
