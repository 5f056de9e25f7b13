// SPDX-License-Identifier: Apache-2.0
// command.h: the IMAP4rev1 command parser (RFC 3501 §6 and §9) with the
// extensions we plan to serve: LITERAL+ (7888), SASL-IR (4959), UIDPLUS
// UID EXPUNGE (4315), IDLE (2177), NAMESPACE (2342), ID (2971), ENABLE
// (5161), UNSELECT (3691), MOVE (6851), QUOTA (9208), SORT (5256), ESEARCH
// (4731), SEARCHRES (5182), CONDSTORE/QRESYNC (7162), LIST-EXTENDED (5258),
// LIST-STATUS (5819), SPECIAL-USE (6154), UTF8=ACCEPT APPEND (6855),
// BINARY (3516), STATUS=SIZE (8438).
//
// Pure: one whole frame in (as the session engine hands it to on_frame():
// lines joined by CRLF with the literal octets between, no final CRLF), a
// Command or a typed Error out. Which verbs are allowed in which state is
// the server's business. Trusts nothing in the frame; every length and
// count is bounded by Limits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mail/imap/date.h"
#include "mail/imap/error.h"
#include "mail/imap/fetch.h"
#include "mail/imap/limits.h"
#include "mail/imap/search.h"
#include "mail/imap/sequence_set.h"

namespace mail::imap {

// Strings (user names, mailbox names, search values...) are returned as the
// raw octets the client sent: mailbox names in modified UTF-7 (or UTF-8
// after ENABLE UTF8=ACCEPT), except that a mailbox named INBOX in any case
// is returned as "INBOX". Flags are returned as sent ("\\Seen", "$Junk");
// keywords (capability names, options) are upper-cased. A quoted string
// with 8-bit octets must be valid UTF-8 (whether UTF-8 is allowed at all is
// the server's call); a literal may carry any octets but NUL (a SEARCH
// value in another CHARSET), and a literal8 ("~{N}", APPEND only) even NUL.

struct Capability {};
struct Noop {};
struct Logout {};
struct Starttls {};
struct Authenticate {
  std::string mechanism;                        ///< upper-cased
  std::optional<std::string> initial_response;  ///< RFC 4959, as sent ("=" = empty)
};
struct Login {
  std::string user;
  std::string password;
};

/// RFC 7162 QRESYNC select parameter.
struct Qresync {
  uint32_t uidvalidity = 0;
  uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;  ///< (known seqs, their uids)
};
struct SelectParams {
  bool condstore = false;
  std::optional<Qresync> qresync;
};
struct Select {
  std::string mailbox;
  SelectParams params;
};
struct Examine {
  std::string mailbox;
  SelectParams params;
};
struct Create {
  std::string mailbox;
  std::vector<std::string> use;  ///< RFC 6154 USE (\Drafts ...), as sent
};
struct Delete {
  std::string mailbox;
};
struct Rename {
  std::string from;
  std::string to;
};
struct Subscribe {
  std::string mailbox;
};
struct Unsubscribe {
  std::string mailbox;
};

enum class StatusItem { kMessages, kRecent, kUidNext, kUidValidity, kUnseen, kHighestModseq, kSize };

/// LIST, basic or RFC 5258 extended.
struct List {
  // Selection options.
  bool subscribed = false, remote = false, recursive_match = false, special_use = false;
  std::string reference;
  std::vector<std::string> patterns;  ///< one for basic LIST; may hold % and *
  // Return options.
  bool return_subscribed = false, return_children = false, return_special_use = false;
  std::vector<StatusItem> return_status;  ///< RFC 5819; empty = not asked
  bool extended = false;  ///< any extended syntax was used
};
struct Lsub {
  std::string reference;
  std::string pattern;
};
struct Status {
  std::string mailbox;
  std::vector<StatusItem> items;
};
struct Append {
  std::string mailbox;
  std::vector<std::string> flags;
  std::optional<DateTime> date_time;
  std::string message;
  bool binary = false;  ///< sent as literal8 "~{N}" (RFC 3516): may hold NUL
  bool utf8 = false;    ///< sent as UTF8 (~{N}) (RFC 6855)
};
struct Check {};
struct Close {};
struct Unselect {};
struct Expunge {};
struct UidExpunge {
  SequenceSet set;
};
struct Search {
  bool uid = false;
  std::optional<SearchReturn> ret;  ///< RFC 4731: present = answer ESEARCH
  std::optional<std::string> charset;  ///< upper-cased
  SearchKey key;  ///< a SearchAnd of the top-level keys
};
struct Sort {
  bool uid = false;
  std::vector<SortCriterion> criteria;
  std::string charset;  ///< upper-cased; mandatory in SORT
  SearchKey key;
};
struct Fetch {
  bool uid = false;
  SequenceSet set;
  std::vector<FetchItem> items;  ///< macros expanded; UID FETCH does not add kUid (the server does)
  std::optional<uint64_t> changed_since;  ///< RFC 7162
  bool vanished = false;                  ///< RFC 7162 (UID FETCH with CHANGEDSINCE only)
};
struct Store {
  enum Mode { kReplace, kAdd, kRemove };
  bool uid = false;
  SequenceSet set;
  std::optional<uint64_t> unchanged_since;
  Mode mode = kReplace;
  bool silent = false;
  std::vector<std::string> flags;
};
struct Copy {
  bool uid = false;
  SequenceSet set;
  std::string mailbox;
};
struct Move {
  bool uid = false;
  SequenceSet set;
  std::string mailbox;
};
struct Idle {};
struct Namespace {};
struct Id {
  /// nullopt for "ID NIL"; values are nstring (nullopt = NIL).
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> params;
};
struct Enable {
  std::vector<std::string> capabilities;  ///< upper-cased
};
struct GetQuota {
  std::string root;
};
struct GetQuotaRoot {
  std::string mailbox;
};
struct SetQuota {
  std::string root;
  std::vector<std::pair<std::string, uint64_t>> limits;  ///< resource upper-cased
};

using CommandBody =
    std::variant<Capability, Noop, Logout, Starttls, Authenticate, Login, Select, Examine, Create, Delete, Rename,
                 Subscribe, Unsubscribe, List, Lsub, Status, Append, Check, Close, Unselect, Expunge, UidExpunge,
                 Search, Sort, Fetch, Store, Copy, Move, Idle, Namespace, Id, Enable, GetQuota, GetQuotaRoot,
                 SetQuota>;

struct Command {
  std::string tag;
  CommandBody body;
};

using Result = std::variant<Command, Error>;

/// Parse one frame. Keywords are case-insensitive; arguments are separated
/// by exactly one SP; nothing may follow the last argument.
Result parse_command(std::string_view frame, const Limits& limits = {});

/// The upper-case verb of a parsed command ("UID FETCH", "EXAMINE").
std::string_view verb_name(const Command& command);

}  // namespace mail::imap
