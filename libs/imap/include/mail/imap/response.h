// SPDX-License-Identifier: Apache-2.0
// response.h: IMAP response writers (RFC 3501 §7 and the extensions the
// parser knows): tagged and untagged status lines with response codes,
// continuation requests, the string encoders that choose atom / quoted /
// literal, flag lists, FETCH, SEARCH / ESEARCH, LIST / LSUB / STATUS lines.
// Pure: values in, wire bytes (CRLF-terminated) out. Human texts are ours
// but CR, LF and NUL in them are still replaced by SP, so no text can
// inject a response line; strings that may come from mail (header values,
// mailbox names, ID values) always go through the encoders.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/imap/command.h"
#include "mail/imap/date.h"
#include "mail/imap/fetch.h"
#include "mail/imap/framing.h"
#include "mail/imap/sequence_set.h"

namespace mail::imap {

enum class Condition { kOk, kNo, kBad };

/// A resp-text-code, without its brackets ("UIDNEXT 4392").
struct ResponseCode {
  std::string text;
  friend bool operator==(const ResponseCode&, const ResponseCode&) = default;
};

/// The response codes (RFC 3501 §7.1, RFC 5530, RFC 4315, RFC 7162 ...).
namespace code {
ResponseCode alert();
ResponseCode capability(const std::vector<std::string>& caps);
ResponseCode parse();
ResponseCode trycreate();
ResponseCode uidnext(uint32_t uid);
ResponseCode uidvalidity(uint32_t v);
ResponseCode unseen(uint32_t seq);
ResponseCode permanentflags(const std::vector<std::string>& flags);
ResponseCode read_only();
ResponseCode read_write();
ResponseCode badcharset(const std::vector<std::string>& charsets = {});
ResponseCode appenduid(uint32_t uidvalidity, uint32_t uid);
ResponseCode copyuid(uint32_t uidvalidity, std::string_view source_set, std::string_view dest_set);
ResponseCode uidnotsticky();
ResponseCode highestmodseq(uint64_t modseq);
ResponseCode nomodseq();
ResponseCode modified(std::string_view set);
ResponseCode closed();
ResponseCode authenticationfailed();
ResponseCode authorizationfailed();
ResponseCode unavailable();
ResponseCode expired();
ResponseCode privacyrequired();
ResponseCode overquota();
ResponseCode cannot();
ResponseCode nonexistent();
ResponseCode alreadyexists();
ResponseCode serverbug();
ResponseCode limit();
ResponseCode inuse();
ResponseCode noperm();
ResponseCode contactadmin();
ResponseCode clientbug();
ResponseCode expungeissued();
ResponseCode toobig();  ///< RFC 4469 / 7889: a literal over the limit
}  // namespace code

/// How strings are written for this session.
struct WriteOptions {
  bool utf8 = false;         ///< ENABLE UTF8=ACCEPT done: UTF-8 may be quoted, mailbox names are UTF-8
  size_t max_quoted = 1024;  ///< longer strings are sent as literals
};

// ---- status lines ---------------------------------------------------------

/// "tag OK [code] text\r\n" (text "completed" / "failed" / "error" when empty).
std::string tagged(std::string_view tag, Condition cond, std::string_view text,
                   const std::optional<ResponseCode>& code = std::nullopt);
std::string ok(std::string_view tag, std::string_view text, const std::optional<ResponseCode>& code = std::nullopt);
std::string no(std::string_view tag, std::string_view text, const std::optional<ResponseCode>& code = std::nullopt);
std::string bad(std::string_view tag, std::string_view text, const std::optional<ResponseCode>& code = std::nullopt);
/// The answer to a parse error: "tag BAD text" or "* BAD text" without a tag.
std::string bad(const Error& error);
/// The refusal of a literal literal_at_end() found kTooLarge (RFC 7888 §4):
/// "tag NO [TOOBIG] ..." for a synchronizing one (the client sends nothing
/// more of the command; the session goes on), "tag BAD [TOOBIG] ..." for a
/// non-synchronizing one (the server closes after it). "*" without a tag.
std::string refuse_literal(const std::optional<std::string>& tag, const FrameInfo& info);
/// "* OK [code] text\r\n" and friends; bye() is "* BYE ...".
std::string untagged(Condition cond, std::string_view text, const std::optional<ResponseCode>& code = std::nullopt);
std::string bye(std::string_view text, const std::optional<ResponseCode>& code = std::nullopt);
std::string preauth(std::string_view text, const std::optional<ResponseCode>& code = std::nullopt);
/// "* data\r\n", data trusted to be well-formed response syntax.
std::string untagged_data(std::string_view data);
/// "+ text\r\n" continuation request.
std::string continuation(std::string_view text = "Ready");
/// "+ base64\r\n": a SASL challenge (an empty one is "+ \r\n").
std::string sasl_challenge(std::string_view base64);

// ---- untagged data --------------------------------------------------------

std::string capability_line(const std::vector<std::string>& caps);  ///< "* CAPABILITY ..."
std::string exists(uint32_t n);                                      ///< "* n EXISTS"
std::string recent(uint32_t n);                                      ///< "* n RECENT"
std::string expunge(uint32_t seq);                                   ///< "* n EXPUNGE"
std::string flags_line(const std::vector<std::string>& flags);      ///< "* FLAGS (...)"
std::string enabled(const std::vector<std::string>& caps);           ///< "* ENABLED ..."
/// "* VANISHED [(EARLIER) ]1:3,5" (RFC 7162); uids in any order.
std::string vanished(const std::vector<uint32_t>& uids, bool earlier);
/// "* SEARCH 2 84 882[ (MODSEQ n)]".
std::string search_response(const std::vector<uint32_t>& numbers, std::optional<uint64_t> modseq = std::nullopt);
/// "* SORT 2 84 882".
std::string sort_response(const std::vector<uint32_t>& numbers);

/// RFC 4731 ESEARCH data; fields left unset are omitted.
struct EsearchResult {
  std::optional<uint32_t> min, max;
  std::optional<std::vector<uint32_t>> all;  ///< written as a sequence set
  std::optional<uint64_t> count;
  std::optional<uint64_t> modseq;
};
/// "* ESEARCH (TAG "tag")[ UID] MIN 2 MAX 9 ALL 2:4,9 COUNT 4\r\n".
std::string esearch(std::string_view tag, bool uid, const EsearchResult& result);

/// A LIST or LSUB entry. `mailbox` is the internal UTF-8 name; it is sent in
/// modified UTF-7 unless WriteOptions::utf8.
struct ListEntry {
  std::vector<std::string> attributes;  ///< "\\HasNoChildren", "\\Sent" ...
  char delimiter = '/';                 ///< '\0' writes NIL
  std::string mailbox;
};
std::string list_line(const ListEntry& entry, const WriteOptions& opts = {});
std::string lsub_line(const ListEntry& entry, const WriteOptions& opts = {});
/// "* STATUS name (MESSAGES 2 UIDNEXT 5)".
std::string status_line(std::string_view mailbox, const std::vector<std::pair<StatusItem, uint64_t>>& items,
                        const WriteOptions& opts = {});
/// RFC 9208: "* QUOTAROOT mailbox root..." and "* QUOTA root (RESOURCE usage limit ...)".
std::string quotaroot_line(std::string_view mailbox, const std::vector<std::string>& roots,
                           const WriteOptions& opts = {});
struct QuotaResource {
  std::string name;  ///< "STORAGE" (units of 1024 octets), "MESSAGE"
  uint64_t usage = 0;
  uint64_t limit = 0;
};
std::string quota_line(std::string_view root, const std::vector<QuotaResource>& resources);
/// "* NAMESPACE ((\"\" \"/\")) NIL NIL" for a single personal namespace.
std::string namespace_line(std::string_view personal_prefix = "", char delimiter = '/');
/// "* ID (\"name\" \"value\" ...)" or "* ID NIL".
std::string id_line(const std::vector<std::pair<std::string, std::string>>& params);

// ---- strings --------------------------------------------------------------

/// The atom as is when it is a valid atom other than NIL, else quoted_or_literal.
std::string astring(std::string_view s, const WriteOptions& opts = {});
/// "NIL" for nullopt, else quoted_or_literal.
std::string nstring(std::optional<std::string_view> s, const WriteOptions& opts = {});
/// A quoted string when it can be one: no CR, LF or NUL, no 8-bit octets
/// (unless opts.utf8 and valid UTF-8), at most opts.max_quoted; else a literal.
std::string quoted_or_literal(std::string_view s, const WriteOptions& opts = {});
/// "{N}\r\n" + octets; "~{N}\r\n" + octets with literal8.
std::string literal(std::string_view s, bool literal8 = false);
/// A mailbox name (internal UTF-8) as an astring, mUTF-7 unless opts.utf8.
std::string mailbox_name(std::string_view utf8_name, const WriteOptions& opts = {});
/// "(\\Seen $Junk)".
std::string flag_list(const std::vector<std::string>& flags);

// ---- FETCH ----------------------------------------------------------------

/// Builds "* seq FETCH (item value ...)\r\n" item by item, in call order.
class FetchResponse {
 public:
  explicit FetchResponse(uint32_t seq, WriteOptions opts = {});

  FetchResponse& uid(uint32_t uid);
  FetchResponse& flags(const std::vector<std::string>& flags);
  FetchResponse& internaldate(const DateTime& dt);
  FetchResponse& rfc822_size(uint64_t size);
  FetchResponse& modseq(uint64_t modseq);
  /// An item whose value is already response syntax (ENVELOPE, BODYSTRUCTURE).
  FetchResponse& raw(std::string_view name, std::string_view value);
  /// BODY[...] / BINARY[...] / RFC822* content, named from the request item:
  /// NIL for nullopt, else a literal (literal8 for BINARY content with NUL).
  FetchResponse& content(const FetchItem& item, std::optional<std::string_view> octets);
  /// BINARY.SIZE[part] n.
  FetchResponse& binary_size(const FetchBinarySize& item, uint64_t size);

  bool empty() const { return items_ == 0; }
  /// The finished response line.
  std::string str() const;

 private:
  void begin_item(std::string_view name);

  std::string out_;
  size_t items_ = 0;
  WriteOptions opts_;
};

}  // namespace mail::imap
