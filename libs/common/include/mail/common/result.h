// SPDX-License-Identifier: Apache-2.0
// result.h: the data-path result type, a value or an error with a code and a
// message (STYLE.md, "Errors"). Interfaces that can fail for reasons a peer or
// a backend causes (a row not there, a database down, a limit reached) return
// Result<T> instead of throwing through a session; each service maps
// ErrorCode to its protocol reply or gRPC status in one place (the admin
// service: services/admin/status.cpp).
//
// Trusts: the caller. Asking a failed Result for its value, or a successful
// one for its error, is a bug in the caller and asserts (it is never caused by
// peer input). Messages are for the operator and never hold secrets.
#pragma once
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace mail::common {

enum class ErrorCode {
  already_exists,       ///< the thing to create is there already
  not_found,            ///< the thing named does not exist
  invalid_argument,     ///< malformed input; retrying will not help
  failed_precondition,  ///< refused in the current state (domain still has accounts)
  unavailable,          ///< database down or pool exhausted; retry later
  limit,                ///< a size, count or rate limit was reached
  internal,             ///< a bug or a misconfiguration (e.g. missing grants)
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
  bool operator==(const Error&) const = default;
};

/// Marker value for calls that return nothing on success.
struct Done {};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  Result(ErrorCode code, std::string message) : v_(Error{code, std::move(message)}) {}

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

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

  /// The value, or `fallback` on error.
  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Done>;

}  // namespace mail::common
