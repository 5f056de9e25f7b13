// SPDX-License-Identifier: Apache-2.0
// result.h: the data-path result type, a value or an error with a code and a
// text (STYLE.md, "Errors"). Interfaces that can fail for reasons a peer or a
// backend causes (a row not there, a database down, a limit reached) return
// Result<T> instead of throwing through a session; each service maps
// Error::code to its protocol reply or gRPC status in one place.
//
// Trusts: the caller. Asking a failed Result for its value, or a successful
// one for its error, is a bug in the caller and asserts (it is never caused by
// peer input). Diagnostics: none of its own.
#pragma once
#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace mail::common {

/// What kind of failure, coarse enough to map to any protocol or gRPC status.
enum class ErrorCode {
  not_found,    ///< the thing asked for does not exist
  unavailable,  ///< a dependency is down or timed out: retry later
  conflict,     ///< a concurrent change, a lock held elsewhere, a duplicate
  invalid,      ///< the request itself is malformed or not allowed
  limit,        ///< a size, count or rate limit was reached
  permission,   ///< the caller may not do this
  internal,     ///< a bug or an unexpected state on our side
};

/// "not_found", "unavailable", ... (for logs and metrics labels).
std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string text;  ///< for logs; say what failed, never secrets
  bool operator==(const Error&) const = default;
};

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

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
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

/// Success with nothing to return, or an error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

/// Shorthand for building an error result: `return fail(ErrorCode::not_found, "no such mailbox");`
inline Error fail(ErrorCode code, std::string text) { return Error{code, std::move(text)}; }

}  // namespace mail::common
