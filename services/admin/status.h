// SPDX-License-Identifier: Apache-2.0
// The one place where directory errors become gRPC statuses:
//   already_exists -> ALREADY_EXISTS      not_found           -> NOT_FOUND
//   invalid_argument -> INVALID_ARGUMENT  failed_precondition -> FAILED_PRECONDITION
//   unavailable -> UNAVAILABLE (retry later)
//   internal -> INTERNAL with a generic text (details go to the log only)
#pragma once
#include <grpcpp/support/status.h>

#include "mail/directory/result.h"

namespace mail::admin {

grpc::Status to_grpc_status(const directory::Error& error);

/// "OK", "ALREADY_EXISTS", ...: the label value used in metrics.
const char* status_code_name(grpc::StatusCode code);

}  // namespace mail::admin
