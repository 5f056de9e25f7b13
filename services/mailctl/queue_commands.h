// SPDX-License-Identifier: Apache-2.0
// mailctl queue: one Queue API call per command (the mta's, at
// --queue-server, with the administrators' token), with a deadline; the
// gRPC status becomes the exit code as for every mailctl command (0 done,
// 1 refused, 3 unreachable). Also the line `account show` adds about the
// account's mail still queued. Trusts nothing in the replies beyond their
// types (queue_format sanitizes every text).
#pragma once
#include <chrono>
#include <ostream>
#include <string>

#include "args.h"
#include "mail/queue/v1/queue.grpc.pb.h"

namespace mail::mailctl {

/// Deadline of list and show (the actions: kQueueActionDeadline).
inline constexpr std::chrono::seconds kQueueRpcDeadline{30};
/// A delete of a whole domain queues a bounce per job: it may take a while.
inline constexpr std::chrono::seconds kQueueActionDeadline{300};
/// How many of an account's queued messages account show names.
inline constexpr uint32_t kAccountQueuedShown = 5;

int execute_queue(const Command& cmd, mail::queue::v1::Queue::StubInterface& stub, std::ostream& out,
                  std::ostream& err);

/// "queued:    ..." for account show: what `address` still has queued as
/// sender, or in one line why that is unknown (the mta unreachable, our
/// token refused). Never fails the command.
void print_queued_as_sender(const std::string& address, const std::string& server,
                            mail::queue::v1::Queue::StubInterface& stub, std::ostream& out);

}  // namespace mail::mailctl
