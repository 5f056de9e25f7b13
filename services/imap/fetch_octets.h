// SPDX-License-Identifier: Apache-2.0
// fetch_octets.h: what of a message the items of one FETCH need, and each
// item's octets from what was read. Pure (no I/O): session_fetch.cpp reads
// from the store what the plan says, into MessageOctets, and takes every
// item's value from there.
//
// Where octets come from (so that answers stay those of a whole-message
// parse, byte for byte, while reads shrink):
//   - ENVELOPE, BODY, BODYSTRUCTURE: the stored MIME tree
//     (mail/store/message_structure.h); no octets. Without a stored tree,
//     ENVELOPE comes from the header section (as it always did) and BODY,
//     BODYSTRUCTURE parse the whole message once, and the tree is saved.
//   - BODY[HEADER], BODY[HEADER.FIELDS[.NOT]], RFC822.HEADER: the header
//     section (MessageMeta::header_size octets), parsed on its own.
//   - BODY[n...], BODY[n.MIME], BODY[TEXT], RFC822.TEXT, any BODY[]<partial>:
//     only the range the tree places them in (partials narrow it further),
//     read by store range reads; nearby ranges are merged into one read.
//   - BODY[], RFC822: the whole message; everything else of that message
//     is then taken from it.
// Trusts: the tree, once decoded and checked against the message's size
// (offsets nest and end at RFC822.SIZE); nothing from the client beyond
// the parser's bounds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/imap/fetch.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"

namespace mail::imapd {

/// What the items of one FETCH need of each message.
struct FetchPlan {
  bool modseq = false;     ///< MODSEQ is asked for (or implied by CHANGEDSINCE)
  bool meta = false;       ///< sizes, dates or octets are asked for
  bool whole = false;      ///< BODY[], RFC822: the whole message
  bool header = false;     ///< the header section (BODY[HEADER*], RFC822.HEADER)
  bool structure = false;  ///< the tree, computed when not stored (BODY, BODYSTRUCTURE, parts, TEXT)
  bool envelope = false;   ///< ENVELOPE: the stored tree, else the header section
  bool ranges = false;     ///< items read by range (see ranges_needed())
  bool sets_seen = false;  ///< a non-PEEK body item
  /// Whether the stored trees are worth looking up.
  bool wants_tree() const { return structure || envelope; }
};

/// The plan for the items, or the name of one that is not served.
std::optional<std::string> plan_fetch(const std::vector<imap::FetchItem>& items, FetchPlan& plan);

/// The octets read of one message (offsets are the message's as FETCH
/// sends it), and its tree.
struct MessageOctets {
  std::optional<std::string> whole;
  std::optional<std::string> header;      ///< the header section alone
  std::optional<mime::Part> header_tree;  ///< parse_structure(*header)
  std::optional<mime::Part> tree;         ///< of the whole message: stored, or parsed from *whole
  struct Piece {
    uint64_t offset = 0;
    std::string bytes;
  };
  std::vector<Piece> pieces;  ///< ranges read, ascending
};

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

/// The ranges of a message of `size` octets with tree `tree` that the
/// range items need (nothing for the others), ascending; ranges that
/// overlap or lie fewer than `gap` octets apart are one.
std::vector<ByteRange> ranges_needed(const std::vector<imap::FetchItem>& items, const mime::Part& tree,
                                     uint64_t size, uint64_t gap);

/// The octets BODY[section]<partial> (or RFC822.HEADER / RFC822.TEXT as
/// such an item) sends, from what was read; `scratch` holds a built value
/// (HEADER.FIELDS) that the view returned may point into.
std::string_view item_octets(const MessageOctets& m, const imap::FetchSection& item, uint64_t size,
                             std::string& scratch);

/// The FetchSection an RFC822.HEADER (kRfc822Header) or RFC822.TEXT item stands for.
imap::FetchSection rfc822_section(imap::FetchAttr attr);

/// The envelope of the message from what was read (the tree's, else the header's).
mime::Envelope envelope_of(const MessageOctets& m);

}  // namespace mail::imapd
