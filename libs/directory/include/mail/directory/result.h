// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or a typed directory error. The directory returns these
// on every call; the admin service maps ErrorCode to a gRPC status in exactly
// one place (services/admin/src/status.cpp). Messages are written for the
// operator ("account demo@example.test already exists") and never contain
// passwords or hashes.
#pragma once
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace mail::directory {

enum class ErrorCode {
  already_exists,       ///< the thing to create is there already
  not_found,            ///< the thing named does not exist
  invalid_argument,     ///< malformed input; retrying will not help
  failed_precondition,  ///< refused in the current state (domain still has accounts)
  unavailable,          ///< database down or pool exhausted; retry later
  internal,             ///< a bug or a misconfiguration (e.g. missing grants)
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
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

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Done>;

}  // namespace mail::directory
