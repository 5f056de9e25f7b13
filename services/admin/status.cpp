// SPDX-License-Identifier: Apache-2.0
// Directory error -> gRPC status, and status code names for metrics labels.
#include "status.h"

namespace mail::admin {

grpc::Status to_grpc_status(const directory::Error& e) {
  using directory::ErrorCode;
  switch (e.code) {
    case ErrorCode::already_exists: return {grpc::StatusCode::ALREADY_EXISTS, e.message};
    case ErrorCode::not_found: return {grpc::StatusCode::NOT_FOUND, e.message};
    case ErrorCode::invalid_argument: return {grpc::StatusCode::INVALID_ARGUMENT, e.message};
    case ErrorCode::failed_precondition: return {grpc::StatusCode::FAILED_PRECONDITION, e.message};
    case ErrorCode::unavailable: return {grpc::StatusCode::UNAVAILABLE, e.message};
    case ErrorCode::limit: return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.message};
    case ErrorCode::internal: break;
  }
  return {grpc::StatusCode::INTERNAL, "internal error (see the admin service log)"};
}

const char* status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "OTHER";
  }
}

}  // namespace mail::admin
