// SPDX-License-Identifier: Apache-2.0
// Runs one parsed mailctl Command against the Admin gRPC API and prints the
// result (the queue commands: queue_commands.h). Trusts nothing in the
// replies beyond their types (text is sanitized).
#pragma once
#include <chrono>
#include <ostream>
#include <string>

#include "args.h"
#include "mail/admin/v1/admin.grpc.pb.h"
#include "mail/queue/v1/queue.grpc.pb.h"

namespace mail::mailctl {

inline constexpr std::chrono::seconds kRpcDeadline{10};

enum ExitCode { kExitOk = 0, kExitRefused = 1, kExitUsage = 2, kExitUnreachable = 3 };

/// `password` is the password already read for account add/passwd ("" otherwise).
/// `queue`, when given, is asked what an account shown still has queued.
int execute(const Command& cmd, mail::admin::v1::Admin::StubInterface& stub, const std::string& password,
            std::ostream& out, std::ostream& err, mail::queue::v1::Queue::StubInterface* queue = nullptr);

/// A gRPC status code in words ("unavailable", "not found", ...).
const char* status_name(grpc::StatusCode c);

}  // namespace mail::mailctl
