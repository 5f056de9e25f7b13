// SPDX-License-Identifier: Apache-2.0
// result.cpp: names of the data-path error codes (see result.h).
#include "mail/common/result.h"

namespace mail::common {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::failed_precondition: return "failed_precondition";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::limit: return "limit";
    case ErrorCode::internal: return "internal";
  }
  return "?";
}

}  // namespace mail::common
