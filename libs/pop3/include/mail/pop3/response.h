// SPDX-License-Identifier: Apache-2.0
// POP3 response writers: status lines, listings, CAPA, SASL challenges and the
// multi-line body writers (dot-stuffing for RETR, TopWriter for TOP).
// Pure: strings in, wire bytes out. Texts are trusted to be ours, but CR, LF
// and NUL are still replaced so that no text can inject a response line.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/common/dot_stuff.h"
#include "mail/pop3/error.h"
#include "mail/pop3/maildrop.h"

namespace mail::pop3 {

/// RFC 2449 §8 / RFC 3206 extended response codes, for err(text, code).
inline constexpr std::string_view kCodeInUse = "IN-USE";
inline constexpr std::string_view kCodeLoginDelay = "LOGIN-DELAY";
inline constexpr std::string_view kCodeSysTemp = "SYS/TEMP";
inline constexpr std::string_view kCodeSysPerm = "SYS/PERM";
inline constexpr std::string_view kCodeAuth = "AUTH";

/// "+OK text\r\n" ("+OK\r\n" when text is empty).
std::string ok(std::string_view text = {});
/// "-ERR text\r\n", or "-ERR [CODE] text\r\n" with a response code.
std::string err(std::string_view text, std::string_view code = {});
std::string err(const Error& error);
/// SASL server challenge (RFC 5034 §4): "+ base64\r\n".
std::string sasl_challenge(std::string_view base64);

/// "+OK count octets\r\n"
std::string stat_reply(const Stat& stat);
/// "+OK n size\r\n"
std::string list_reply(const ListEntry& entry);
/// "+OK N messages (M octets)\r\n" then "n size" lines and ".\r\n".
std::string list_all_reply(const std::vector<ListEntry>& entries);
/// "+OK n uid\r\n"
std::string uidl_reply(const UidlEntry& entry);
/// "+OK\r\n" then "n uid" lines and ".\r\n".
std::string uidl_all_reply(const std::vector<UidlEntry>& entries);

/// What the CAPA reply announces (RFC 2449 §6). Decide per session state:
/// e.g. USER and SASL only after STLS when plaintext auth is disabled.
struct CapaOptions {
  bool top = true;
  bool uidl = true;
  bool user = false;
  std::vector<std::string> sasl;  ///< mechanisms; none → no SASL line
  bool resp_codes = true;
  bool auth_resp_code = true;     ///< RFC 3206
  bool pipelining = true;
  bool stls = false;
  bool utf8 = false;              ///< RFC 6856
  std::string expire;             ///< "NEVER", "30", "0 USER"...; empty → omitted
  std::optional<unsigned> login_delay;
  std::string implementation;     ///< empty → omitted
};
/// The whole multi-line CAPA reply, "+OK ...\r\n" ... ".\r\n".
std::string capa_reply(const CapaOptions& options);
/// A CAPA reply from ready-made capability lines (each sanitised).
std::string capa_reply(const std::vector<std::string>& lines);

/// Dot-stuffing for multi-line replies (RFC 1939 §3) is the shared stuffer
/// (mail/common/dot_stuff.h), the same one SMTP's client uses: feed message
/// bytes in any chunking; CRLF, a bare LF and a bare CR each become CRLF and
/// start a line; a line that starts with '.' gets one more; finish() ends the
/// last line if needed, writes ".\r\n" and resets.
using DotStuffer = common::DotStuffer;
using common::dot_stuff;

/// TOP msg n (RFC 1939 §7): from the message bytes fed in any chunking, passes
/// on the header section, the blank line after it and the first n body lines,
/// dot-stuffed. Constant memory. A message with no blank line is all header
/// and is sent whole. A body line is ended by LF; a last line without one
/// counts as a line.
class TopWriter {
 public:
  explicit TopWriter(size_t body_lines) : remaining_(body_lines) {}
  /// Appends what to send of chunk to out. Returns true once nothing more is
  /// needed: the caller may stop reading the message and call finish().
  bool feed(std::string_view chunk, std::string& out);
  bool done() const { return done_; }
  void finish(std::string& out) { stuffer_.finish(out); }

 private:
  DotStuffer stuffer_;
  size_t remaining_;
  bool in_header_ = true;
  bool done_ = false;
  // Header-end detection: 0 at line start, 1 after a CR at line start, 2 otherwise.
  int line_state_ = 0;
};

/// TOP of a complete message: "+OK\r\n" is not included, the terminator is.
std::string top(std::string_view message, size_t body_lines);

}  // namespace mail::pop3
