// SPDX-License-Identifier: Apache-2.0
// A compact, versioned byte form of a MIME tree (structure.h), so that a
// store can keep the tree parse_structure() computed once and FETCH can
// answer ENVELOPE, BODY and BODYSTRUCTURE, and find the bytes of a part,
// without reading the message again.
//
// Format (version 1): one version byte, then the root part. Integers are
// unsigned LEB128 varints; a string is its length then its bytes. A part is
// a flag set (which optional fields follow), its header offset as a gap
// after the end of the previous sibling (or the parent's body start), its
// header size, body size and line count, type and subtype, parameters, the
// optional content fields, languages, the envelope (addresses with a flag
// set; sender and reply-to that equal from are one flag each), then its
// children. body_offset is not stored (header_offset + header_size).
//
// Pure. Trusts nothing it decodes: every read is bounded by the input,
// every count by what is left of it and by Limits (the same the parser
// keeps: max_depth, max_parts, max_params, max_addresses), offsets are
// checked to nest (a child lies in its parent's body, siblings in order),
// and only multiparts (any number) and message/rfc822 (at most one) have
// children. Corrupt, truncated or other-version input is a DecodeError,
// never a crash; the caller then parses the message again.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "mail/mime/header.h"
#include "mail/mime/structure.h"

namespace mail::mime {

/// The version byte encode_structure() writes; decode_structure() reads only it.
inline constexpr uint8_t kStructureFormat = 1;

/// The tree as bytes (starting with kStructureFormat).
std::string encode_structure(const Part& root);

struct DecodeError {
  enum class Kind {
    kVersion,    ///< empty input, or a version this code does not read
    kTruncated,  ///< the input ends inside a value
    kInvalid,    ///< a value out of range: offsets that do not nest, a bad varint, trailing bytes...
    kLimit,      ///< deeper, more parts, parameters or addresses than Limits allows
  };
  Kind kind = Kind::kInvalid;
  size_t offset = 0;  ///< of the input where decoding stopped
  std::string text;
};

/// The tree encode_structure() wrote, or why the bytes are not one.
std::variant<Part, DecodeError> decode_structure(std::string_view bytes, const Limits& limits = {});

}  // namespace mail::mime
