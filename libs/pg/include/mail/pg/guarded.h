// SPDX-License-Identifier: Apache-2.0
// guarded.h: where the libpqxx adapters turn exceptions into the data path's
// result type (mail/common/result.h). Every Pg* backend runs its work
// through pg::guarded(), so nothing thrown by libpqxx or the pool crosses
// into a session or an RPC handler: a database down or busy is
// `unavailable` (retry later), a concurrent change `unavailable` or
// `already_exists`, anything else `internal`. Messages keep only the first
// line of the server's text (no query, no data).
#pragma once
#include <pqxx/pqxx>

#include <string>

#include "mail/common/result.h"
#include "mail/pg/pool.h"

namespace mail::pg {

inline std::string first_line(const char* what) {
  std::string s(what);
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

/// Runs f() (which returns a common::Result), converting every exception
/// into a typed error.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  using common::Error;
  using common::ErrorCode;
  try {
    return f();
  } catch (const PoolTimeout&) {
    return Error{ErrorCode::unavailable, "database busy: no connection free"};
  } catch (const pqxx::broken_connection&) {
    return Error{ErrorCode::unavailable, "database unavailable"};
  } catch (const pqxx::in_doubt_error&) {
    return Error{ErrorCode::unavailable, "database connection lost during commit; check before retrying"};
  } catch (const pqxx::transaction_rollback&) {
    return Error{ErrorCode::unavailable, "conflicting concurrent change; retry"};
  } catch (const pqxx::unique_violation&) {
    return Error{ErrorCode::already_exists, "already exists (concurrent change)"};
  } catch (const pqxx::foreign_key_violation&) {
    return Error{ErrorCode::failed_precondition, "conflicting concurrent change; retry"};
  } catch (const pqxx::sql_error& e) {
    return Error{ErrorCode::internal, "database error: " + first_line(e.what())};
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, first_line(e.what())};
  }
}

}  // namespace mail::pg
