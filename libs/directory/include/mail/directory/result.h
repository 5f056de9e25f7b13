// SPDX-License-Identifier: Apache-2.0
// The directory returns the data-path result type of libs/common on every
// call (mail/common/result.h); these names keep the directory's code short.
// The admin service maps ErrorCode to a gRPC status in exactly one place
// (services/admin/status.cpp).
#pragma once
#include "mail/common/result.h"

namespace mail::directory {

using common::Done;
using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using common::to_string;

}  // namespace mail::directory
