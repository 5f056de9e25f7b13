// SPDX-License-Identifier: Apache-2.0
// Reading a password for mailctl: from a file (its first line) or from standard
// input (with echo off and a confirmation when it is a terminal).
// Errors: a message in the result; the password is never printed.
#pragma once
#include <optional>
#include <string>

#include "args.h"

namespace mail::mailctl {

struct PasswordRead {
  std::optional<std::string> password;
  std::string error;  ///< set when password is empty
};

inline constexpr size_t kMaxPasswordInput = 1024;

PasswordRead read_password(const Command& cmd);

/// The first line of `text` without its line ending; error when empty or longer
/// than kMaxPasswordInput. Pure (exposed for tests).
PasswordRead first_line_password(const std::string& text, const std::string& source);

}  // namespace mail::mailctl
