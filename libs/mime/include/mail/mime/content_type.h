// SPDX-License-Identifier: Apache-2.0
// MIME structured fields (RFC 2045 §5, RFC 2183, RFC 3282): Content-Type,
// Content-Disposition and Content-Language values parsed into the parts an
// IMAP server reports in BODYSTRUCTURE. Pure and bounded (Limits::max_params);
// tolerant: a value that cannot be parsed gives `valid = false` (the caller
// applies the RFC 2045 default), never an error.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime/header.h"

namespace mail::mime {

/// One parameter. The name is lowercased (names are case-insensitive); the
/// value is as written, a quoted string unquoted.
///
/// RFC 2231 continuations (`name*0`, `name*1*`, ...) are merged into one
/// parameter at the place of the first segment, in index order: `name` when
/// no segment is extended, else `name*` with the value still in RFC 2231
/// extended form (charset'language'%XX..., nothing decoded) as an IMAP client
/// expects to decode it; literal segments joined to an extended value are
/// percent-encoded. A single `name*` is kept as it is.
struct Param {
  std::string name;
  std::string value;
  bool operator==(const Param&) const = default;
};

struct ContentType {
  std::string type;     ///< lowercased, e.g. "text"
  std::string subtype;  ///< lowercased, e.g. "plain"
  std::vector<Param> params;
  /// False when there was no "type/subtype" (the caller uses its default;
  /// parameters that could be read are still returned).
  bool valid = false;
};

struct Disposition {
  std::string type;  ///< lowercased, e.g. "attachment"; empty when none could be read
  std::vector<Param> params;
  bool operator==(const Disposition&) const = default;
};

/// Parses a Content-Type value (folded or not).
ContentType parse_content_type(std::string_view value, const Limits& limits = {});
/// Parses a Content-Disposition value (folded or not).
Disposition parse_disposition(std::string_view value, const Limits& limits = {});
/// The language tags of a Content-Language value, comments and spaces removed
/// (at most limits.max_params tags).
std::vector<std::string> parse_language(std::string_view value, const Limits& limits = {});
/// The first token of a value (comments and spaces skipped), lowercased:
/// for Content-Transfer-Encoding. Empty when there is none.
std::string parse_token(std::string_view value);
/// The value of the parameter named name (lowercase), or nullptr.
const std::string* find_param(const std::vector<Param>& params, std::string_view name);

}  // namespace mail::mime
