// SPDX-License-Identifier: Apache-2.0
// RFC 5322 header-section utilities: find where the header ends, split it
// into fields, count / find / remove fields, unfold values.
// Pure and bounded (Limits); tolerant of the broken headers real mail has:
// nothing in the input can make these functions fail except a limit.
// Line ends: CRLF, and bare LF for files on disk. A bare CR is data.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mail::mime {

struct Limits {
  size_t max_header_bytes = 1024 * 1024;  ///< whole header section, blank line included
  size_t max_fields = 10000;              ///< fields, invalid entries included
  size_t max_line = 998;                  ///< RFC 5322 §2.1.1; informational, not enforced here
  // Used by parse_structure() (structure.h) and the structured-field parsers.
  // There max_header_bytes and max_fields bound each part's header.
  /// Nesting of multipart and message/rfc822 parts below the root; also
  /// bounds the recursion of the parser and writers, so keep it modest.
  size_t max_depth = 32;
  size_t max_parts = 10000;     ///< parts in one tree, the root included
  size_t max_boundary = 200;    ///< boundary parameter length (RFC 2046 allows 70)
  size_t max_params = 100;      ///< parameters (or language tags) in one field
  size_t max_addresses = 1000;  ///< addresses and group markers in one address list
};

/// Offset just past the empty line that ends the header section: past
/// "\r\n\r\n" or "\n\n" (or the first "\r\n" / "\n" when the message starts
/// with an empty line: an empty header section). nullopt when there is no
/// empty line in msg. Callers holding the whole message then treat all of it
/// as header with an empty body (see split_message); callers holding a
/// prefix read more or give up at their limit.
std::optional<size_t> find_header_end(std::string_view msg);

/// A message split at its header end. header includes the empty line.
/// With no empty line, the whole message is header and body is empty.
struct Split {
  std::string_view header;
  std::string_view body;
};
Split split_message(std::string_view msg);

/// One field as written. Views point into the string given to parse_header().
struct Field {
  /// Field name as written, without whitespace before the colon
  /// ("Subject  :" → "Subject"). Empty for invalid entries.
  std::string_view name;
  /// Everything after the colon up to the field's last line end, folding
  /// line breaks kept: " hello\r\n world". For invalid entries: the whole
  /// entry without its final line end.
  std::string_view value;
  size_t offset = 0;  ///< of the field's first byte in the parsed string
  size_t length = 0;  ///< bytes, every line end included
  /// False for a line with no colon, a name with characters outside
  /// printable US-ASCII (e.g. an mbox "From " line), or continuation lines
  /// before the first field. Invalid entries are kept so that offsets cover
  /// the whole header; lookups ignore them.
  bool valid = true;
};

enum class ErrorKind { kHeaderTooLarge, kTooManyFields };
struct Error {
  ErrorKind kind;
  std::string text;
};

struct Header {
  std::vector<Field> fields;
  /// Bytes consumed: fields plus the empty line when one was found.
  size_t end = 0;
  /// True when an empty line ended the section; false when input ran out.
  bool complete = false;
};

/// Split a header section into fields. The input may be the header alone or
/// the whole message: parsing stops after the first empty line. Fields and
/// the empty line are contiguous: fields[i].offset + length == next offset.
std::variant<Header, Error> parse_header(std::string_view header, const Limits& limits = {});

/// Like parse_header, but never fails: over a limit, the fields of the
/// longest prefix of whole lines that fits max_header_bytes and max_fields
/// (complete is then false and end is where the prefix stops). Linear; no
/// memory beyond the returned fields.
Header parse_header_prefix(std::string_view header, const Limits& limits = {});

/// Number of valid fields named name (ASCII case-insensitive).
size_t count_fields(const std::vector<Field>& fields, std::string_view name);
/// First valid field named name, or nullptr.
const Field* find_field(const std::vector<Field>& fields, std::string_view name);

/// A copy of header (or whole message) without any field named name, each
/// dropped with its continuation lines. Bytes after the header end are kept
/// unchanged. Linear time, no limits needed: nothing is stored per field.
std::string remove_fields(std::string_view header, std::string_view name);

/// RFC 5322 §2.2.3 unfolding: every line break (CRLF or LF) followed by a
/// space or tab is removed; the whitespace stays.
std::string unfold(std::string_view value);
/// The value unfolded, with leading and trailing spaces/tabs removed.
std::string field_value(const Field& field);

}  // namespace mail::mime
