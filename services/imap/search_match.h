// SPDX-License-Identifier: Apache-2.0
// search_match.h: deciding which messages an IMAP SEARCH program (RFC 3501
// §6.4.4, RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER) matches, and the SORT
// keys of a message (RFC 5256 §2, RFC 5957 DISPLAYFROM/DISPLAYTO).
//
// Pure: the session loads the data, this decides. A program is compiled
// once per command (search strings converted from the command's CHARSET to
// UTF-8 and case-folded, sequence sets resolved to sequence numbers), then
// each message is matched at the cheapest level that can decide it:
//   kIndex  flags, keywords, \Recent, UID, sequence number, MODSEQ
//   kMeta   RFC822.SIZE, INTERNALDATE
//   kHeader the header section (FROM, SUBJECT, HEADER, SENT*)
//   kBody   the whole message (BODY, TEXT)
// match() answers kUnknown when the level loaded is below what the keys it
// still has to decide need, so `SEEN BODY x` reads no body of an unseen
// message. Comparisons are case-insensitive substring matches of the folded
// UTF-8 (mime::fold_case), over header values with RFC 2047 words decoded
// and bodies with their transfer encoding and charset decoded; an empty
// string matches every message that has the field (or a body). Dates:
// BEFORE/ON/SINCE compare the day of INTERNALDATE in UTC (the zone FETCH
// reports it in); SENT* the date as the Date: field writes it (a message
// without a valid Date: matches no SENT* key).
// Trusts: the key tree from the parser (its depth is bounded there); the
// message octets are untrusted mail, read through libs/mime's bounded parsers.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/imap/search.h"
#include "mail/imap/sequence_set.h"
#include "mail/mime/header.h"
#include "mail/store/imap_messages.h"

namespace mail::imapd {

/// What a key needs loaded, cheapest first: the view (flags, keywords,
/// sequence numbers), the meta (sizes, dates, MODSEQ), the search fields
/// (From/To/Cc/Bcc/Subject/Date, store.messages.search_fields), the header
/// section, the whole message.
enum class SearchLevel { kIndex = 0, kMeta = 1, kFields = 2, kHeader = 3, kBody = 4 };
enum class Tri { kFalse, kTrue, kUnknown };

/// One message as the matcher sees it. The session fills the index fields
/// always, and the others as it loads each level (pointers stay null below).
/// The caches are the matcher's, per message.
struct SearchMessage {
  uint32_t seq = 0;
  int64_t uid = 0;
  int64_t modseq = 0;  ///< from the meta (kMeta)
  int flags = 0;  ///< store::Flag bits
  bool recent = false;
  std::vector<std::string> keywords;
  // kMeta
  const store::MessageMeta* meta = nullptr;
  // kFields: mime::search_fields() of the header section, stored; or else
  // the header section (below), which the matcher computes them from.
  std::optional<std::string_view> search_fields;
  // kHeader: the header section (trace prefix included)
  std::optional<std::string_view> header;
  // kBody: the whole message
  std::optional<std::string_view> message;

  // Caches, filled on first use.
  std::optional<std::vector<mime::Field>> fields;
  std::optional<std::string> computed_fields;  ///< search_fields(*header), when none was stored
  std::optional<std::string> folded_header;  ///< every field, decoded and folded, for TEXT
  std::optional<std::string> folded_body;    ///< mime::body_text, folded
};

/// Why a program could not be compiled.
enum class SearchError { kBadCharset };

struct SearchSettings {
  size_t max_body_text = 4 * 1024 * 1024;  ///< decoded text searched per message
};

class SearchProgram {
 public:
  /// Resolves a SEARCH sequence set (UID or not, "$" included) to sequence
  /// numbers of the view; the session supplies it.
  using Resolver = std::function<imap::ResolvedSet(const imap::SearchSet&)>;

  /// `charset` as the command gave it (nullopt: US-ASCII). `now` in seconds
  /// since the epoch, for OLDER/YOUNGER.
  static std::variant<SearchProgram, SearchError> compile(const imap::SearchKey& key,
                                                          const std::optional<std::string>& charset,
                                                          const Resolver& resolve, int64_t now,
                                                          SearchSettings settings = {});

  /// The highest level any key needs.
  SearchLevel level() const;
  /// Whether some key needs exactly `level` (so that loading it can decide
  /// something).
  bool needs(SearchLevel level) const { return (levels_ >> static_cast<int>(level)) & 1; }
  /// Whether a MODSEQ key appears (RFC 7162 §3.1.5: the reply then carries
  /// the highest MODSEQ of the matches).
  bool uses_modseq() const { return uses_modseq_; }
  /// The verdict with the data up to `loaded` present in `m`.
  Tri match(SearchMessage& m, SearchLevel loaded) const;

  struct Node;  // defined in search_match.cpp

 private:
  SearchProgram() = default;
  std::shared_ptr<const Node> root_;
  SearchSettings settings_;
  bool uses_modseq_ = false;
  unsigned levels_ = 0;  ///< bit per SearchLevel a leaf needs
};

/// The charsets SEARCH and SORT accept (for NO [BADCHARSET (...)]).
std::vector<std::string> search_charsets();
/// Whether `charset` is one of them (any case).
bool search_charset_ok(std::string_view charset);

// ---- SORT -----------------------------------------------------------------------

/// What SORT compares of one message, computed from its meta and header.
struct SortKeys {
  int64_t arrival = 0;  ///< INTERNALDATE
  int64_t date = 0;     ///< Date: as UTC, else INTERNALDATE (RFC 5256 §2.2)
  uint64_t size = 0;
  std::string subject;  ///< base subject, folded
  std::string from, to, cc;              ///< first address's mailbox, folded
  std::string display_from, display_to;  ///< RFC 5957: display name, else addr-spec; folded
};

SortKeys sort_keys(const store::MessageMeta& meta, std::string_view header);

/// Whether message a sorts before b under `criteria`, the sequence number
/// breaking ties (RFC 5256 §3).
bool sort_before(const std::vector<imap::SortCriterion>& criteria, const SortKeys& a, uint32_t seq_a,
                 const SortKeys& b, uint32_t seq_b);

/// Whether SORT needs the header section for `criteria` (ARRIVAL and SIZE
/// do not).
bool sort_needs_header(const std::vector<imap::SortCriterion>& criteria);

}  // namespace mail::imapd
