// SPDX-License-Identifier: Apache-2.0
// fetch.h: the items of a FETCH command (RFC 3501 §6.4.5, RFC 3516 BINARY,
// RFC 7162 MODSEQ) as the parser returns them, and the item names the
// FETCH response must use for each. Pure data.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mail::imap {

/// The items without a section. ALL, FAST and FULL are expanded into these.
enum class FetchAttr {
  kFlags, kInternalDate, kRfc822Size, kEnvelope,
  kBody,           ///< BODY without a section: BODYSTRUCTURE without extension data
  kBodyStructure, kUid,
  kRfc822,         ///< like BODY[] (sets \Seen)
  kRfc822Header,   ///< like BODY.PEEK[HEADER]
  kRfc822Text,     ///< like BODY[TEXT] (sets \Seen)
  kModseq,
};

/// section-spec: part numbers ("1.2.3") and an optional text part.
struct Section {
  enum Text { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  std::vector<uint32_t> part;        ///< empty: the whole message
  Text text = kNone;                 ///< kMime only with a part number
  std::vector<std::string> fields;   ///< HEADER.FIELDS[.NOT]: names, upper-cased
  friend bool operator==(const Section&, const Section&) = default;
};

/// <origin.length> of BODY[...]<...> / BINARY[...]<...>.
struct Partial {
  uint32_t origin = 0;
  uint32_t length = 0;  ///< nz-number
  friend bool operator==(const Partial&, const Partial&) = default;
};

/// BODY[section]<partial>, BODY.PEEK[...], BINARY[part]<partial>, BINARY.PEEK[...].
struct FetchSection {
  bool peek = false;    ///< .PEEK: do not set \Seen
  bool binary = false;  ///< BINARY (section is part numbers only)
  Section section;
  std::optional<Partial> partial;
  friend bool operator==(const FetchSection&, const FetchSection&) = default;
};

/// BINARY.SIZE[part].
struct FetchBinarySize {
  std::vector<uint32_t> part;
  friend bool operator==(const FetchBinarySize&, const FetchBinarySize&) = default;
};

using FetchItem = std::variant<FetchAttr, FetchSection, FetchBinarySize>;

/// The name of the item in the FETCH response: "FLAGS", "RFC822.SIZE",
/// "BODY[1.2.HEADER.FIELDS (DATE FROM)]<0>" (PEEK dropped, origin only),
/// "BINARY[1]", "BINARY.SIZE[2]".
std::string response_name(const FetchItem& item);
/// "1.2.HEADER" etc.: the text between the brackets.
std::string section_text(const Section& section);

}  // namespace mail::imap
