// SPDX-License-Identifier: Apache-2.0
// search.h: the AST of an IMAP SEARCH program (RFC 3501 §6.4.4, RFC 7162
// MODSEQ, RFC 5032 OLDER/YOUNGER) and of SORT criteria (RFC 5256), plus
// ESEARCH return options (RFC 4731, RFC 5182 SAVE). Built by the command
// parser, whose depth bound (Limits::max_search_depth) keeps the tree
// shallow enough for recursive walkers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mail/imap/date.h"
#include "mail/imap/sequence_set.h"

namespace mail::imap {

struct SearchKey;

/// ALL and the keys about system flags and session state.
struct SearchFlag {
  enum Kind {
    kAll, kAnswered, kDeleted, kDraft, kFlagged, kNew, kOld, kRecent, kSeen,
    kUnanswered, kUndeleted, kUndraft, kUnflagged, kUnseen,
  };
  Kind kind = kAll;
};
/// KEYWORD flag / UNKEYWORD flag.
struct SearchKeyword {
  std::string flag;
  bool negated = false;
};
/// BCC, BODY, CC, FROM, SUBJECT, TEXT, TO with a string.
struct SearchText {
  enum Field { kBcc, kBody, kCc, kFrom, kSubject, kText, kTo };
  Field field = kText;
  std::string value;  ///< raw bytes in the command's CHARSET
};
/// HEADER field-name string.
struct SearchHeader {
  std::string field;
  std::string value;
};
/// BEFORE/ON/SINCE (internal date) and SENTBEFORE/SENTON/SENTSINCE (Date:).
struct SearchDate {
  enum Which { kBefore, kOn, kSince, kSentBefore, kSentOn, kSentSince };
  Which which = kOn;
  Date date;
};
/// LARGER n / SMALLER n (RFC822.SIZE).
struct SearchSize {
  bool larger = true;
  uint32_t size = 0;
};
/// A bare sequence set, or UID set.
struct SearchSet {
  bool uid = false;
  SequenceSet set;
};
/// MODSEQ ["/flags/name" priv|shared|all] n.
struct SearchModseq {
  std::optional<std::string> entry;  ///< "/flags/\\Seen" as sent
  std::optional<std::string> entry_type;  ///< "priv" / "shared" / "all", lower-cased
  uint64_t modseq = 0;
};
/// OLDER n / YOUNGER n (RFC 5032), seconds.
struct SearchAge {
  bool younger = false;
  uint32_t seconds = 0;
};
/// NOT key: exactly one child.
struct SearchNot {
  std::vector<SearchKey> child;
};
/// OR key key: exactly two children.
struct SearchOr {
  std::vector<SearchKey> children;
};
/// "(" key *(SP key) ")" and the top-level list: all must match.
struct SearchAnd {
  std::vector<SearchKey> children;
};

struct SearchKey {
  std::variant<SearchFlag, SearchKeyword, SearchText, SearchHeader, SearchDate, SearchSize, SearchSet,
               SearchModseq, SearchAge, SearchNot, SearchOr, SearchAnd>
      node;
};

/// A canonical, upper-case rendering of a key in IMAP syntax ("(OR SEEN
/// (NOT FROM \"x\"))"); for tests and logs. Strings come out quoted with
/// non-printable bytes escaped as \xNN, so this is not wire syntax.
std::string describe(const SearchKey& key);

/// RFC 4731 RETURN (...) options; an empty "RETURN ()" means ALL.
struct SearchReturn {
  bool min = false, max = false, all = false, count = false, save = false;
  friend bool operator==(const SearchReturn&, const SearchReturn&) = default;
};

/// RFC 5256 sort-key, optionally reversed.
struct SortCriterion {
  enum Key { kArrival, kCc, kDate, kFrom, kSize, kSubject, kTo, kDisplayFrom, kDisplayTo };
  Key key = kArrival;
  bool reverse = false;
  friend bool operator==(const SortCriterion&, const SortCriterion&) = default;
};

}  // namespace mail::imap
