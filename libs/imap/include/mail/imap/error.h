// SPDX-License-Identifier: Apache-2.0
// error.h: the typed error every libs/imap parser returns instead of
// throwing. Its text is ours (never peer bytes) and safe to put after
// "tag BAD " or "tag NO ": no CR, LF or NUL.
#pragma once
#include <optional>
#include <string>

namespace mail::imap {

enum class ErrorKind {
  kSyntax,          ///< the grammar does not match (answer BAD)
  kUnknownCommand,  ///< a well-formed tag but a verb we do not know (BAD)
  kTooLong,         ///< a line, string, literal or frame over its Limits bound
  kTooMany,         ///< too many tokens, list items, ranges, or nesting too deep
};

struct Error {
  ErrorKind kind = ErrorKind::kSyntax;
  std::string text;                ///< human reason, e.g. "FETCH: expected ')'"
  std::optional<std::string> tag;  ///< the command's tag when one could be read

  friend bool operator==(const Error&, const Error&) = default;
};

}  // namespace mail::imap
