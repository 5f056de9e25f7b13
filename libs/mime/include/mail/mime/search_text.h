// SPDX-License-Identifier: Apache-2.0
// search_text.h: the text IMAP SEARCH (RFC 3501 §6.4.4) and SORT (RFC 5256)
// compare: case folding and folded substring search (a simplified
// i;unicode-casemap, RFC 5051), the searchable text of a message body, and
// the RFC 5256 base subject. Pure; trusts nothing: any bytes in (invalid
// UTF-8 passes through folding unchanged), work linear in the input (body
// text: in the message and the tree), output bounded. No diagnostics.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mail/mime/structure.h"

namespace mail::mime {

/// Simple case folding (Unicode CaseFolding.txt, statuses C and S) for
/// case-insensitive substring search, UTF-8 in and out: ASCII, Latin-1
/// Supplement (µ → μ, ß kept: no full folding), Latin Extended-A, the
/// common Latin Extended-B letters (Pinyin, Romanian, Vietnamese, digraphs),
/// Latin Extended Additional (ẞ → ß), Greek and Greek Extended (ς → σ,
/// symbol forms ϐ ϑ ϕ ϖ ϰ ϱ ϵ → letters), Cyrillic and its supplement,
/// Armenian, Georgian, the Kelvin, Ångström and Ohm signs, Roman numerals,
/// circled and fullwidth Latin letters, Deseret. Also İ (U+0130) → i, which
/// simple folding leaves alone, so that "istanbul" finds "İSTANBUL".
/// Bytes that are not valid UTF-8 pass through unchanged. Idempotent:
/// fold_case(fold_case(s)) == fold_case(s).
std::string fold_case(std::string_view utf8);

/// Whether folded_needle (already fold_case()d, e.g. the SEARCH key once
/// per command) occurs in fold_case(haystack_utf8). An empty needle
/// matches. Matches are byte-exact on the folded text, so for valid UTF-8
/// on both sides they start and end on character boundaries.
bool contains_folded(std::string_view haystack_utf8, std::string_view folded_needle);

/// The searchable text of a message body, for SEARCH BODY and (after the
/// header) TEXT. `message` is the string `root` was parsed from
/// (parse_structure()); the root's own header is not included.
///
/// Every text/* part of the tree (any disposition, text/html with its
/// markup), in order: its body decoded (decode_transfer() with the part's
/// encoding), then converted to UTF-8 by to_utf8() with its charset
/// parameter (RFC 2231 "charset*" too); when to_utf8 gives nullopt (a
/// charset it does not know, and not UTF-8), utf8_or_latin1(). For a
/// message/rfc822 part: the decoded values (decode_header_value()) of the
/// valid fields of its message's header, then that message's body text in
/// the same way; an encapsulated message that is itself base64 or
/// quoted-printable encoded is decoded and parsed (default Limits, at most
/// kMaxReparse levels). Other parts (images, application/*, message/* but
/// rfc822, multiparts' preambles and epilogues) are skipped.
///
/// Pieces (one per text part and per header field) are separated by "\n".
/// The result is valid UTF-8 of at most max_bytes, cut at a character
/// boundary when the text is longer; a part is read only as far as needed
/// to fill what is left (up to 16 input bytes per output byte, so only a
/// part that shrinks more than that when decoded loses its tail early).
/// Offsets in the tree beyond `message` are skipped, not trusted.
std::string body_text(std::string_view message, const Part& root, size_t max_bytes);

/// Nesting of encoded message/rfc822 parts body_text() decodes and parses.
inline constexpr size_t kMaxReparse = 3;

/// The RFC 5256 §2.1 base subject of an already decoded (UTF-8) subject,
/// for SORT SUBJECT and THREAD: tabs, CR, LF and runs of spaces become one
/// space; then, repeatedly as the RFC's steps (2)-(6) say, trailing
/// "(fwd)" and spaces are removed, leading spaces and "Re:", "Fw:", "Fwd:"
/// leaders (with blobs: "[list] Re [x]:") are removed, a leading "[blob]"
/// is removed when something follows it, and a "[Fwd: ...]" wrapper is
/// unwrapped. Keywords match in any case. A blob is "[" then any bytes but
/// "[" and "]" then "]" (the RFC's BLOBCHAR is ASCII only; non-ASCII list
/// names are common). The result is fold_case()d (SORT compares with
/// i;unicode-casemap), so two subjects sort together exactly when their
/// base subjects are equal bytes. Empty when nothing is left
/// ("Re: (fwd)"). Idempotent; linear in the subject.
std::string base_subject(std::string_view decoded_subject);

// ---- Search fields --------------------------------------------------------

/// The header fields SEARCH names with keys of their own (RFC 3501 §6.4.4
/// FROM, TO, CC, BCC, SUBJECT, and SENTBEFORE/ON/SINCE's Date), kept with
/// each stored message so that SEARCH reads a few hundred bytes of text
/// rather than the header section: one line per valid field of those names
/// in `header_section` (parse_header_prefix(), default Limits), in order,
/// "name\tvalue\n" with the name lowercased; the value is
/// fold_case(decode_header_value()) of the field's, except Date's, which
/// stays as written (for parse_message_date()). CR and LF in a value
/// become spaces, and the text is valid UTF-8 without NULs (anything else
/// becomes U+FFFD), so it fits a PostgreSQL text column.
std::string search_fields(std::string_view header_section);

/// Whether `name` (any case) is one search_fields() keeps.
bool is_search_field(std::string_view name);

/// Whether a line of `fields` (search_fields()' text) named `name` (any
/// case) holds folded_needle; an empty needle asks whether there is one.
bool search_field_holds(std::string_view fields, std::string_view name, std::string_view folded_needle);

/// The value of the first line named `name` (any case), or nullopt.
std::optional<std::string_view> search_field(std::string_view fields, std::string_view name);

}  // namespace mail::mime
