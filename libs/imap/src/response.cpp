// SPDX-License-Identifier: Apache-2.0
// response.cpp: status lines, response codes, continuation requests, the
// string encoders and the simple untagged lines (see response.h). Texts are
// ours; CR, LF and NUL in them are replaced anyway. Strings that may carry
// peer or mail bytes go through quoted_or_literal().
#include "mail/imap/response.h"

#include "lexer.h"
#include "mail/common/strings.h"
#include "mail/imap/framing.h"
#include "mail/imap/mutf7.h"

namespace mail::imap {
namespace {

std::string clean(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ' ';
    out += clean(s);
  }
  return out;
}

std::string_view cond_name(Condition c) {
  switch (c) {
    case Condition::kOk: return "OK";
    case Condition::kNo: return "NO";
    case Condition::kBad: return "BAD";
  }
  return "BAD";
}

std::string status(std::string_view lead, std::string_view word, std::string_view text,
                   const std::optional<ResponseCode>& code, std::string_view fallback) {
  std::string out(lead);
  out += ' ';
  out += word;
  out += ' ';
  if (code) {
    out += '[';
    out += clean(code->text);
    out += "] ";
  }
  out += text.empty() ? std::string(fallback) : clean(text);
  out += "\r\n";
  return out;
}

std::string_view fallback(Condition c) {
  return c == Condition::kOk ? "completed" : c == Condition::kNo ? "failed" : "error";
}

ResponseCode simple(std::string_view s) { return ResponseCode{std::string(s)}; }

std::string numbers_line(std::string_view word, const std::vector<uint32_t>& numbers) {
  std::string out = "* ";
  out += word;
  for (uint32_t n : numbers) out += ' ' + std::to_string(n);
  return out;
}

}  // namespace

namespace code {
ResponseCode alert() { return simple("ALERT"); }
ResponseCode capability(const std::vector<std::string>& caps) { return simple("CAPABILITY " + join(caps)); }
ResponseCode parse() { return simple("PARSE"); }
ResponseCode trycreate() { return simple("TRYCREATE"); }
ResponseCode uidnext(uint32_t uid) { return simple("UIDNEXT " + std::to_string(uid)); }
ResponseCode uidvalidity(uint32_t v) { return simple("UIDVALIDITY " + std::to_string(v)); }
ResponseCode unseen(uint32_t seq) { return simple("UNSEEN " + std::to_string(seq)); }
ResponseCode permanentflags(const std::vector<std::string>& flags) { return simple("PERMANENTFLAGS " + flag_list(flags)); }
ResponseCode read_only() { return simple("READ-ONLY"); }
ResponseCode read_write() { return simple("READ-WRITE"); }
ResponseCode badcharset(const std::vector<std::string>& charsets) {
  if (charsets.empty()) return simple("BADCHARSET");
  std::string out = "BADCHARSET (";
  for (size_t i = 0; i < charsets.size(); ++i) {
    if (i) out += ' ';
    out += astring(charsets[i]);
  }
  return simple(out + ")");
}
ResponseCode appenduid(uint32_t uidvalidity, uint32_t uid) {
  return simple("APPENDUID " + std::to_string(uidvalidity) + " " + std::to_string(uid));
}
ResponseCode copyuid(uint32_t uidvalidity, std::string_view source_set, std::string_view dest_set) {
  return simple("COPYUID " + std::to_string(uidvalidity) + " " + std::string(source_set) + " " + std::string(dest_set));
}
ResponseCode uidnotsticky() { return simple("UIDNOTSTICKY"); }
ResponseCode highestmodseq(uint64_t modseq) { return simple("HIGHESTMODSEQ " + std::to_string(modseq)); }
ResponseCode nomodseq() { return simple("NOMODSEQ"); }
ResponseCode modified(std::string_view set) { return simple("MODIFIED " + std::string(set)); }
ResponseCode closed() { return simple("CLOSED"); }
ResponseCode authenticationfailed() { return simple("AUTHENTICATIONFAILED"); }
ResponseCode authorizationfailed() { return simple("AUTHORIZATIONFAILED"); }
ResponseCode unavailable() { return simple("UNAVAILABLE"); }
ResponseCode expired() { return simple("EXPIRED"); }
ResponseCode privacyrequired() { return simple("PRIVACYREQUIRED"); }
ResponseCode overquota() { return simple("OVERQUOTA"); }
ResponseCode cannot() { return simple("CANNOT"); }
ResponseCode nonexistent() { return simple("NONEXISTENT"); }
ResponseCode alreadyexists() { return simple("ALREADYEXISTS"); }
ResponseCode serverbug() { return simple("SERVERBUG"); }
ResponseCode limit() { return simple("LIMIT"); }
ResponseCode inuse() { return simple("INUSE"); }
ResponseCode noperm() { return simple("NOPERM"); }
ResponseCode contactadmin() { return simple("CONTACTADMIN"); }
ResponseCode clientbug() { return simple("CLIENTBUG"); }
ResponseCode expungeissued() { return simple("EXPUNGEISSUED"); }
ResponseCode toobig() { return simple("TOOBIG"); }
}  // namespace code

std::string tagged(std::string_view tag, Condition cond, std::string_view text, const std::optional<ResponseCode>& code) {
  return status(tag.empty() ? std::string_view("*") : tag, cond_name(cond), text, code, fallback(cond));
}
std::string ok(std::string_view tag, std::string_view text, const std::optional<ResponseCode>& code) {
  return tagged(tag, Condition::kOk, text, code);
}
std::string no(std::string_view tag, std::string_view text, const std::optional<ResponseCode>& code) {
  return tagged(tag, Condition::kNo, text, code);
}
std::string bad(std::string_view tag, std::string_view text, const std::optional<ResponseCode>& code) {
  return tagged(tag, Condition::kBad, text, code);
}
std::string bad(const Error& error) {
  std::optional<ResponseCode> c;
  if (error.kind == ErrorKind::kTooLong) c = code::toobig();
  if (error.kind == ErrorKind::kTooMany) c = code::limit();
  return tagged(error.tag && is_valid_tag(*error.tag) ? std::string_view(*error.tag) : std::string_view("*"),
                Condition::kBad, error.text, c);
}
std::string refuse_literal(const std::optional<std::string>& tag, const FrameInfo& info) {
  std::string_view t = tag && is_valid_tag(*tag) ? std::string_view(*tag) : std::string_view("*");
  return tagged(t, info.synchronizing ? Condition::kNo : Condition::kBad, "literal too large", code::toobig());
}
std::string untagged(Condition cond, std::string_view text, const std::optional<ResponseCode>& code) {
  return status("*", cond_name(cond), text, code, fallback(cond));
}
std::string bye(std::string_view text, const std::optional<ResponseCode>& code) {
  return status("*", "BYE", text, code, "logging out");
}
std::string preauth(std::string_view text, const std::optional<ResponseCode>& code) {
  return status("*", "PREAUTH", text, code, "ready");
}
std::string untagged_data(std::string_view data) { return "* " + clean(data) + "\r\n"; }
std::string continuation(std::string_view text) { return "+ " + clean(text.empty() ? "Ready" : text) + "\r\n"; }
std::string sasl_challenge(std::string_view base64) { return "+ " + clean(base64) + "\r\n"; }

std::string capability_line(const std::vector<std::string>& caps) { return "* CAPABILITY " + join(caps) + "\r\n"; }
std::string exists(uint32_t n) { return "* " + std::to_string(n) + " EXISTS\r\n"; }
std::string recent(uint32_t n) { return "* " + std::to_string(n) + " RECENT\r\n"; }
std::string expunge(uint32_t seq) { return "* " + std::to_string(seq) + " EXPUNGE\r\n"; }
std::string flags_line(const std::vector<std::string>& flags) { return "* FLAGS " + flag_list(flags) + "\r\n"; }
std::string enabled(const std::vector<std::string>& caps) {
  return caps.empty() ? "* ENABLED\r\n" : "* ENABLED " + join(caps) + "\r\n";
}
std::string vanished(const std::vector<uint32_t>& uids, bool earlier) {
  return std::string("* VANISHED ") + (earlier ? "(EARLIER) " : "") + format_sequence_set(uids) + "\r\n";
}
std::string search_response(const std::vector<uint32_t>& numbers, std::optional<uint64_t> modseq) {
  std::string out = numbers_line("SEARCH", numbers);
  if (modseq && !numbers.empty()) out += " (MODSEQ " + std::to_string(*modseq) + ")";
  return out + "\r\n";
}
std::string sort_response(const std::vector<uint32_t>& numbers) { return numbers_line("SORT", numbers) + "\r\n"; }

std::string literal(std::string_view s, bool literal8) {
  std::string out = literal8 ? "~{" : "{";
  out += std::to_string(s.size());
  out += "}\r\n";
  out.append(s);
  return out;
}

std::string quoted_or_literal(std::string_view s, const WriteOptions& opts) {
  bool eight = false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n' || c == '\0') return literal(s);
    if (c >= 0x80) eight = true;
  }
  if (s.size() > opts.max_quoted) return literal(s);
  if (eight && (!opts.utf8 || !common::utf8_valid(s))) return literal(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string astring(std::string_view s, const WriteOptions& opts) {
  bool atom = !s.empty() && s.size() <= opts.max_quoted && !detail::iequal(s, "NIL");
  for (char c : s)
    if (!detail::is_astring_char(static_cast<unsigned char>(c))) atom = false;
  return atom ? std::string(s) : quoted_or_literal(s, opts);
}

std::string nstring(std::optional<std::string_view> s, const WriteOptions& opts) {
  return s ? quoted_or_literal(*s, opts) : std::string("NIL");
}

std::string mailbox_name(std::string_view utf8_name, const WriteOptions& opts) {
  return astring(opts.utf8 ? std::string(utf8_name) : mutf7_encode(utf8_name), opts);
}

std::string flag_list(const std::vector<std::string>& flags) { return "(" + join(flags) + ")"; }

}  // namespace mail::imap
