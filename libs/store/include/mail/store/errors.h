// SPDX-License-Identifier: Apache-2.0
// errors.h: the expected refusals of the store's mailbox operations (a name
// that is taken, a mailbox that is not there, a full quota...) as a typed
// error, and Result<T>, a value or one of them. The IMAP server maps each to
// its tagged NO and response code in one place ([NONEXISTENT], [ALREADYEXISTS],
// [OVERQUOTA], [CANNOT], RFC 5530).
// Trusts: the caller. Asking a failed Result for its value is a bug and
// asserts. Database failures are not expected conditions: they stay libpqxx
// exceptions, which the service's adapter converts (pg::guarded).
#pragma once
#include <cassert>
#include <utility>
#include <variant>

namespace mail::store {

enum class Error {
  kNotFound,              ///< no such mailbox (or message) in this account
  kAlreadyExists,         ///< the name to create or rename to is taken
  kHasChildren,           ///< DELETE of a mailbox with inferiors (as Dovecot refuses)
  kInboxCannotBeDeleted,  ///< DELETE INBOX
  kOverQuota,             ///< APPEND or COPY would pass the account's quota
  kNameInvalid,           ///< empty, too long, control characters, wildcards, empty levels
  kSpecialUseInUse,       ///< another mailbox of the account has that special use
};

/// A stable lower-case name for logs and tests ("not_found", "over_quota", ...).
const char* to_string(Error e);

/// Marker value for operations that return nothing on success.
struct Done {};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(error) {}         // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  Error error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace mail::store
