// SPDX-License-Identifier: Apache-2.0
// The typed error every POP3 parser and model function returns instead of
// throwing. Its text is safe to put after "-ERR " (no CR/LF, no peer bytes).
#pragma once
#include <string>

namespace mail::pop3 {

enum class ErrorKind {
  kUnknownCommand,   ///< keyword not recognised (or empty line)
  kSyntax,           ///< wrong number of arguments, bad characters, bad digest
  kBadNumber,        ///< a message number or line count that is not a valid number
  kLineTooLong,      ///< longer than Limits allows
  kNoSuchMessage,    ///< out of range, or marked deleted
  kAlreadyDeleted,   ///< DELE of a message already marked deleted
};

struct Error {
  ErrorKind kind;
  std::string text;  ///< human text for "-ERR <text>"; never contains CR or LF

  friend bool operator==(const Error&, const Error&) = default;
};

}  // namespace mail::pop3
