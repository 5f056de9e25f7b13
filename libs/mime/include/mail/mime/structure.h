// SPDX-License-Identifier: Apache-2.0
// The MIME tree of a message (RFC 2045, RFC 2046) as an IMAP server needs it
// for FETCH BODY, BODYSTRUCTURE and BODY[section] (RFC 3501 §6.4.5, §7.4.2):
// every part with the byte offsets of its header and body in the message (so
// sections are served without copying), its content fields, and its sizes.
// Pure and bounded by Limits; tolerant of broken mail: parse_structure never
// fails, a limit makes the rest of a part opaque (Part::limited) instead.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime/content_type.h"
#include "mail/mime/envelope.h"
#include "mail/mime/header.h"

namespace mail::mime {

/// One node of the tree. Offsets are into the message given to
/// parse_structure(); body_offset == header_offset + header_size.
struct Part {
  size_t header_offset = 0;
  size_t header_size = 0;  ///< header section, its empty line included; 0 when none
  size_t body_offset = 0;
  size_t body_size = 0;  ///< octets, as stored (line ends not normalised)
  /// Text lines of the body: line ends, plus one for a last line without one.
  /// Reported for text/* and message/rfc822 parts.
  size_t body_lines = 0;

  /// Lowercased media type. Defaults (RFC 2045 §5.2): text/plain with
  /// charset us-ascii, or message/rfc822 directly inside multipart/digest
  /// (RFC 2046 §5.1.5). A text/* part without a charset (or RFC 2231
  /// charset*) parameter gets charset us-ascii, first.
  std::string type = "text";
  std::string subtype = "plain";
  std::vector<Param> params;
  std::optional<std::string> id;           ///< Content-ID, unfolded
  std::optional<std::string> description;  ///< Content-Description, unfolded, not decoded
  std::optional<std::string> encoding;     ///< Content-Transfer-Encoding token, lowercased; nullopt is 7bit
  std::optional<std::string> md5;          ///< Content-MD5
  std::optional<Disposition> disposition;  ///< Content-Disposition, when it has a type
  std::vector<std::string> language;       ///< Content-Language tags
  std::optional<std::string> location;     ///< Content-Location, unfolded

  /// multipart/*: its body parts (at least one, see parse_structure()).
  /// message/rfc822: one, the encapsulated message. Otherwise empty.
  std::vector<Part> children;
  /// Set on the top of a message: the root, and the child of a
  /// message/rfc822 part.
  std::optional<Envelope> envelope;
  /// A limit was reached here: header fields past Limits::max_header_bytes /
  /// max_fields are ignored, or children beyond max_depth / max_parts are
  /// missing (a multipart or message/rfc822 part may then have none).
  bool limited = false;

  bool is_multipart() const { return type == "multipart"; }
  bool is_message() const { return type == "message" && subtype == "rfc822"; }
  bool is_text() const { return type == "text"; }
  bool operator==(const Part&) const = default;
};

/// The tree of a whole message (header and body). Line ends CRLF or bare LF.
///
/// Multiparts are split at delimiter lines ("--" boundary, optional "--",
/// transport padding); the preamble and epilogue belong to no child, the line
/// end before a delimiter belongs to the delimiter, and a missing close
/// delimiter ends the last child at the end of the multipart. A multipart
/// whose boundary is missing, longer than Limits::max_boundary, or never
/// found has one child without a header: its whole body, as text/plain.
/// A message/rfc822 part (not base64 or quoted-printable encoded) has its
/// body parsed as a message.
Part parse_structure(std::string_view message, const Limits& limits = {});

/// parse_structure(prefix + message, limits), given tree ==
/// parse_structure(message, limits): for a body stored once and sent with
/// a different trace prefix (Return-Path, Delivered-To) per recipient.
/// When the prefix leaves the root's type, parameters, encoding and header
/// end as they were (as trace lines do), only the header is parsed again
/// and the tree is shifted; otherwise the concatenation is parsed whole.
Part parse_structure_prefixed(std::string_view prefix, std::string_view message, const Part& tree,
                              const Limits& limits = {});

/// The IMAP body structure of part: BODY when extensible is false,
/// BODYSTRUCTURE (with extension data) when true (RFC 3501 §9 "body").
/// Type, subtype, parameter names, encoding and disposition type are
/// uppercased; values are as in the message. A multipart without children
/// and a message/rfc822 without its message (limits) are written with an
/// empty text/plain body and an all-NIL envelope so the output stays valid.
std::string imap_body_structure(const Part& part, bool extensible);
void append_imap_body_structure(std::string& out, const Part& part, bool extensible);

}  // namespace mail::mime
