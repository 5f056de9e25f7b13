// SPDX-License-Identifier: Apache-2.0
// SMTP client command formatting: path quoting and length limits (RFC 5321
// 4.1.2, 4.5.3.1), ESMTP parameters, xtext (RFC 3461 4) and AUTH PLAIN.
// Inputs are untrusted envelope values; every byte is checked before it is
// put on a line. No I/O, no logging.
#include "mail/smtp/client_command.h"

#include <algorithm>

#include "mail/common/base64.h"
#include "mail/common/strings.h"
#include "syntax.h"

namespace mail::smtp {
namespace {

using detail::is_alnum;
using detail::is_atext;

constexpr size_t kMaxLocal = 64;     // RFC 5321 4.5.3.1.1
constexpr size_t kMaxDomain = 255;   // RFC 5321 4.5.3.1.2
constexpr size_t kMaxPath = 256;     // RFC 5321 4.5.3.1.3, brackets included
constexpr size_t kMaxAuthLine = 12288;  // RFC 4954 4, without CRLF

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool non_ascii(unsigned char c) { return c >= 0x80; }

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
}
bool has_non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return non_ascii(static_cast<unsigned char>(c)); });
}

// Control characters first (the one error that must never be masked by
// another), then UTF-8 use.
std::optional<FormatError> check_bytes(std::string_view s, bool smtputf8) {
  if (has_control(s)) return FormatError::kControl;
  if (has_non_ascii(s) && (!smtputf8 || !detail::utf8_valid(s))) return FormatError::kNeedsSmtpUtf8;
  return std::nullopt;
}

// Dot-atom: atext (and UTF-8 with SMTPUTF8) runs separated by single dots.
bool is_dot_atom(std::string_view s, bool utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(c) && !(utf8 && non_ascii(c))) {
      return false;
    }
  }
  return true;
}

// A quoted-string as RFC 5321 4.1.2 has it: qtextSMTP or quoted-pairSMTP
// between the quotes (the bytes are known to be free of controls).
bool is_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i + 1 >= s.size()) return false;  // the backslash quoted the closing quote
    } else if (s[i] == '"') {
      return false;
    }
  }
  return true;
}

std::string quote(std::string_view local) {
  std::string out = "\"";
  for (char c : local) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// A domain name (LDH labels, U-labels with SMTPUTF8) or an address literal.
bool valid_domain(std::string_view d, bool utf8) {
  if (d.empty()) return false;
  if (d.front() == '[') {
    if (d.size() < 3 || d.back() != ']') return false;
    const auto inside = d.substr(1, d.size() - 2);
    return std::all_of(inside.begin(), inside.end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return c >= 33 && c <= 126 && c != '[' && c != ']' && c != '\\';  // dcontent
    });
  }
  // sub-domain = Let-dig [Ldh-str]: no hyphen at either end of a label.
  size_t label = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    const auto c = static_cast<unsigned char>(d[i]);
    if (c == '.') {
      if (label == 0 || d[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (c == '-' && label == 0) return false;
    if (!is_alnum(c) && c != '-' && !(utf8 && non_ascii(c))) return false;
    if (++label > 63) return false;
  }
  return label > 0 && d.back() != '-';
}

std::string xtext(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 33 && c <= 126 && c != '+' && c != '=') {
      out += ch;
    } else {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string line(std::string_view verb, std::string_view rest) {
  std::string out(verb);
  out += rest;
  out += "\r\n";
  return out;
}

Formatted format_greeting(std::string_view verb, std::string_view domain) {
  if (has_control(domain)) return FormatError::kControl;
  if (has_non_ascii(domain)) return FormatError::kNeedsSmtpUtf8;  // EHLO takes A-labels only (RFC 6531 3.7.1)
  if (domain.size() > kMaxDomain) return FormatError::kDomainTooLong;
  if (!valid_domain(domain, false)) return FormatError::kBadDomain;
  return line(verb, domain);
}

}  // namespace

std::string_view format_error_name(FormatError error) {
  switch (error) {
    case FormatError::kControl: return "control";
    case FormatError::kBadAddress: return "bad_address";
    case FormatError::kLocalTooLong: return "local_too_long";
    case FormatError::kDomainTooLong: return "domain_too_long";
    case FormatError::kPathTooLong: return "path_too_long";
    case FormatError::kBadDomain: return "bad_domain";
    case FormatError::kNeedsSmtpUtf8: return "needs_smtputf8";
    case FormatError::kBadArgument: return "bad_argument";
    case FormatError::kTooLong: return "too_long";
  }
  return "unknown";
}

Formatted format_path(std::string_view address, bool smtputf8) {
  if (auto e = check_bytes(address, smtputf8)) return *e;
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return FormatError::kBadAddress;
  const std::string_view local = address.substr(0, at), domain = address.substr(at + 1);
  // A local part already in quotes (as the server-side parser keeps them)
  // is passed on; anything else that is not a dot-atom gets quoted.
  std::string local_text;
  if (is_quoted_string(local) || is_dot_atom(local, smtputf8)) {
    local_text.assign(local);
  } else {
    local_text = quote(local);
  }
  if (local_text.size() > kMaxLocal) return FormatError::kLocalTooLong;
  if (domain.size() > kMaxDomain) return FormatError::kDomainTooLong;
  if (!valid_domain(domain, smtputf8)) return FormatError::kBadDomain;
  if (local_text.size() + 1 + domain.size() + 2 > kMaxPath) return FormatError::kPathTooLong;
  local_text += '@';
  local_text += domain;
  return local_text;
}

Formatted format_ehlo(std::string_view domain) { return format_greeting("EHLO ", domain); }
Formatted format_helo(std::string_view domain) { return format_greeting("HELO ", domain); }

Formatted format_mail(std::string_view sender, const MailParams& params) {
  std::string path;
  if (!sender.empty()) {
    Formatted p = format_path(sender, params.smtputf8);
    if (auto* e = std::get_if<FormatError>(&p)) return *e;
    path = std::get<std::string>(std::move(p));
  }
  std::string rest = "<" + path + ">";
  if (params.size) rest += " SIZE=" + std::to_string(*params.size);
  if (params.body == BodyType::k8BitMime) rest += " BODY=8BITMIME";
  if (params.body == BodyType::k7Bit) rest += " BODY=7BIT";
  if (params.smtputf8) rest += " SMTPUTF8";
  return line("MAIL FROM:", rest);
}

Formatted format_rcpt(std::string_view recipient, const RcptParams& params) {
  std::string path;
  if (common::iequals(recipient, "postmaster")) {
    path.assign(recipient);
  } else {
    Formatted p = format_path(recipient, params.smtputf8);
    if (auto* e = std::get_if<FormatError>(&p)) return *e;
    path = std::get<std::string>(std::move(p));
  }
  std::string rest = "<" + path + ">";
  const bool any_notify = params.notify_success || params.notify_failure || params.notify_delay;
  if (params.notify_never && any_notify) return FormatError::kBadArgument;
  if (params.notify_never) rest += " NOTIFY=NEVER";
  if (any_notify) {
    std::string list;
    for (auto [on, name] : {std::pair{params.notify_success, "SUCCESS"}, std::pair{params.notify_failure, "FAILURE"},
                            std::pair{params.notify_delay, "DELAY"}}) {
      if (!on) continue;
      if (!list.empty()) list += ',';
      list += name;
    }
    rest += " NOTIFY=" + list;
  }
  if (!params.orcpt.empty()) {
    if (has_control(params.orcpt)) return FormatError::kControl;
    // RFC 6533's utf-8 address type is not supported: ASCII only.
    if (has_non_ascii(params.orcpt)) return FormatError::kBadArgument;
    rest += " ORCPT=rfc822;" + xtext(params.orcpt);
  }
  return line("RCPT TO:", rest);
}

Formatted format_auth_plain(std::string_view authzid, std::string_view authcid, std::string_view password) {
  for (auto s : {authzid, authcid, password})
    if (s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return FormatError::kControl;
  if (authcid.empty() || password.empty()) return FormatError::kBadArgument;
  std::string message(authzid);
  message += '\0';
  message += authcid;
  message += '\0';
  message += password;
  std::string out = line("AUTH PLAIN ", common::base64_encode(message));
  if (out.size() > kMaxAuthLine + 2) return FormatError::kTooLong;
  return out;
}

std::string format_bdat(uint64_t size, bool last) {
  return line("BDAT ", std::to_string(size) + (last ? " LAST" : ""));
}

}  // namespace mail::smtp
