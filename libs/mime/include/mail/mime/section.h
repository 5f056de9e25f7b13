// SPDX-License-Identifier: Apache-2.0
// FETCH BODY[section]<partial> (RFC 3501 §6.4.5): the octets of a section of
// a message, found in the tree from parse_structure(). Pure: the result is a
// view into the message, or a built string for HEADER.FIELDS[.NOT]. A part
// that does not exist gives empty data (as Dovecot returns an empty string).
// The same answer in two steps for a reader of stored messages: the extent
// (which bytes of the message a section needs, from the tree alone), then
// the data from just those bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime/header.h"
#include "mail/mime/structure.h"

namespace mail::mime {

enum class SectionText { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };

/// A section-spec: a part path ({} for the whole message, {1, 2} for
/// "1.2") and a section-text.
struct Section {
  std::vector<uint32_t> part;
  SectionText text = SectionText::kNone;
  std::vector<std::string> fields;  ///< HEADER.FIELDS[.NOT] names, any case
  bool operator==(const Section&) const = default;
};

/// Section octets: a view into the message, or (HEADER.FIELDS[.NOT]) a
/// string built from it. Use data(); it stays valid while the message does
/// (and, for a built string, while this object lives).
struct SectionData {
  std::string_view view;
  std::optional<std::string> built;
  /// False when the section does not exist (no such part, or HEADER / TEXT
  /// of a part that is not message/rfc822): the data is then empty, and a
  /// server may answer "" (as Dovecot does) or NIL.
  bool found = false;
  std::string_view data() const { return built ? std::string_view(*built) : view; }
};

/// The part a path names, with RFC 3501's numbering: the parts of a
/// multipart are 1..n; a non-multipart message (the top level or a
/// message/rfc822 part's message) has only a part 1, its body; below a
/// message/rfc822 part the numbers are those of its message. {} is the
/// root. nullptr when there is no such part.
const Part* find_part(const Part& root, std::span<const uint32_t> path);

/// The octets of section of message (whose tree is root):
/// - no path: the whole message; HEADER, TEXT, HEADER.FIELDS[.NOT] of it.
/// - a path with no text: the part's body (for a message/rfc822 part, the
///   whole encapsulated message; for a multipart, everything between its
///   header and its end).
/// - MIME: the part's header section. HEADER, TEXT, HEADER.FIELDS[.NOT]:
///   of the encapsulated message of a message/rfc822 part (empty for others).
/// Header fetches include the empty line that ends the header, when there is
/// one. HEADER.FIELDS keeps the matching fields as written, in order;
/// HEADER.FIELDS.NOT keeps all other lines (invalid entries included);
/// both look at the fields within limits (as parse_header_prefix), and a
/// last field without a line end gets CRLF.
SectionData fetch_section(std::string_view message, const Part& root, const Section& section,
                          const Limits& limits = {});

/// Where the octets of a section come from, so that a store can read just
/// those: bytes [offset, offset + size) of the message, sent as they are or
/// (filtered: HEADER.FIELDS[.NOT]) with fields taken out. found as in
/// SectionData; a section that is not found has size 0.
struct SectionExtent {
  size_t offset = 0;
  size_t size = 0;
  bool found = false;
  bool filtered = false;
  bool operator==(const SectionExtent&) const = default;
};

/// The extent of section in a message of message_size octets whose tree is
/// root (the whole message when the section is BODY[]). Offsets come from
/// the tree; the caller makes sure it describes a message of that size.
SectionExtent section_extent(const Part& root, const Section& section, size_t message_size);

/// The section's data from the octets of its extent (a view into bytes,
/// or, for HEADER.FIELDS[.NOT], a built string). fetch_section() is
/// section_data() of the bytes at section_extent().
SectionData section_data(std::string_view bytes, const SectionExtent& extent, const Section& section,
                         const Limits& limits = {});

/// The part of an extent that <origin.count> of its data needs: all of it
/// when the data is built (filtered), else only the octets sent, whose
/// data then is the answer as it is (see partial()).
SectionExtent partial_extent(const SectionExtent& extent, uint64_t origin, std::optional<uint64_t> count);

/// The <origin.count> part of data: empty when origin is past the end.
std::string_view partial(std::string_view data, uint64_t origin, std::optional<uint64_t> count = std::nullopt);

/// Parses a section-spec as written inside BODY[...]: "", "1.2", "HEADER",
/// "1.TEXT", "2.MIME", "HEADER.FIELDS (From \"To\")", ... (keywords in any
/// case; header names as atoms or quoted strings, literals being the IMAP
/// command parser's business). nullopt when it is not valid RFC 3501 syntax
/// or has more than
/// limits.max_depth numbers or limits.max_fields names.
std::optional<Section> parse_section(std::string_view spec, const Limits& limits = {});

}  // namespace mail::mime
