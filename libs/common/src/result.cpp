// SPDX-License-Identifier: Apache-2.0
// result.cpp: names of the data-path error codes (see result.h).
#include "mail/common/result.h"

namespace mail::common {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::invalid: return "invalid";
    case ErrorCode::limit: return "limit";
    case ErrorCode::permission: return "permission";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

}  // namespace mail::common
