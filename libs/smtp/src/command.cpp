// SPDX-License-Identifier: Apache-2.0
// SMTP command line parser: verb dispatch, per-verb argument syntax, MAIL/RCPT
// paths (RFC 5321 4.1.2) and ESMTP parameters. The line is untrusted; every
// byte is checked, nothing is logged, and errors come back as ready replies.
#include "mail/smtp/command.h"

#include <array>

#include "mail/smtp/auth.h"
#include "syntax.h"

namespace mail::smtp {
namespace {

using detail::is_alnum;
using detail::is_atext;
using detail::is_digit;

struct VerbEntry {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbEntry, 14> kVerbs = {{
    {"HELO", Verb::kHelo}, {"EHLO", Verb::kEhlo}, {"MAIL", Verb::kMail}, {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData}, {"BDAT", Verb::kBdat}, {"RSET", Verb::kRset}, {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit}, {"VRFY", Verb::kVrfy}, {"EXPN", Verb::kExpn}, {"HELP", Verb::kHelp},
    {"STARTTLS", Verb::kStarttls}, {"AUTH", Verb::kAuth},
}};

bool iequal(std::string_view a, std::string_view upper) {
  if (a.size() != upper.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseError err(int code, std::string_view enhanced, std::string_view text) {
  return ParseError{code, std::string(enhanced), std::string(text)};
}

ParseError syntax(std::string_view usage) { return err(501, "5.5.4", std::string("Syntax: ") + std::string(usage)); }

// ---- paths -----------------------------------------------------------------

// A cursor over the inside of a path. Each scanner advances `pos` past what it
// accepted and returns false (leaving pos unspecified) on a syntax error.
struct Cursor {
  std::string_view s;
  size_t pos = 0;
  bool at_end() const { return pos >= s.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(s[pos]); }
};

// Domain = sub-domain *("." sub-domain), labels of letters, digits, hyphens or
// UTF-8 bytes (U-labels, SMTPUTF8); a trailing dot is tolerated as Postfix
// does. Or an address literal "[" 1*dcontent "]".
bool scan_domain(Cursor& c) {
  const size_t start = c.pos;
  if (!c.at_end() && c.peek() == '[') {
    ++c.pos;
    size_t content = 0;
    while (!c.at_end() && c.peek() != ']') {
      unsigned char ch = c.peek();
      if (ch < 33 || ch > 126 || ch == '[' || ch == '\\') return false;
      ++c.pos;
      ++content;
    }
    if (c.at_end() || content == 0) return false;
    ++c.pos;  // ']'
    return c.pos - start <= 255;
  }
  size_t label = 0, labels = 0;
  while (!c.at_end()) {
    unsigned char ch = c.peek();
    if (ch == '.') {
      if (label == 0) return false;
      label = 0;
      ++labels;
    } else if (is_alnum(ch) || ch == '-' || ch >= 0x80) {
      if (++label > 63) return false;
    } else {
      break;
    }
    ++c.pos;
  }
  if (label > 0) ++labels;
  return labels > 0 && c.pos - start <= 255;
}

// Local-part = Dot-string / Quoted-string. Dots are not policed (Postfix accepts
// "a..b" as real mail systems produce it); characters are.
bool scan_local_part(Cursor& c) {
  if (c.at_end()) return false;
  if (c.peek() == '"') {
    ++c.pos;
    while (!c.at_end()) {
      unsigned char ch = c.peek();
      if (ch == '"') {
        ++c.pos;
        return true;
      }
      if (ch == '\\') {
        ++c.pos;
        if (c.at_end()) return false;
        ch = c.peek();
        if (ch < 32 || ch == 127) return false;  // quoted-pairSMTP: %d92 %d32-126 (+UTF-8)
      } else if (ch < 32 || ch == 127) {
        return false;
      }
      ++c.pos;
    }
    return false;  // unterminated
  }
  const size_t start = c.pos;
  while (!c.at_end() && (is_atext(c.peek()) || c.peek() == '.' || c.peek() >= 0x80)) ++c.pos;
  return c.pos > start;
}

struct PathResult {
  std::string address;
  bool is_null = false;
  bool is_postmaster = false;
};

// Parses the inside of a path (between the brackets, or a bare address).
// `recipient` selects what an address without a domain may be (only
// "postmaster" for RCPT, nothing for MAIL).
std::optional<PathResult> parse_path_inside(std::string_view inside, bool recipient) {
  PathResult r;
  if (inside.empty()) {
    r.is_null = true;
    return r;
  }
  Cursor c{inside};
  // Source route: "@" Domain *( "," "@" Domain ) ":" — accepted, then dropped.
  if (c.peek() == '@') {
    for (;;) {
      if (c.at_end() || c.peek() != '@') return std::nullopt;
      ++c.pos;
      if (!scan_domain(c) || c.at_end()) return std::nullopt;
      if (c.peek() == ':') {
        ++c.pos;
        break;
      }
      if (c.peek() != ',') return std::nullopt;
      ++c.pos;
    }
  }
  const size_t mailbox_start = c.pos;
  if (!scan_local_part(c)) return std::nullopt;
  if (c.at_end()) {
    std::string_view local = inside.substr(mailbox_start);
    if (recipient && iequal(local, "POSTMASTER")) {
      r.address = std::string(local);
      r.is_postmaster = true;
      return r;
    }
    return std::nullopt;  // no domain
  }
  if (c.peek() != '@') return std::nullopt;
  ++c.pos;
  if (!scan_domain(c) || !c.at_end()) return std::nullopt;
  r.address = std::string(inside.substr(mailbox_start));
  if (!detail::utf8_valid(r.address)) return std::nullopt;
  return r;
}

// Splits "<path> params" or "bare@address params" into the path text (with
// brackets, if any) and the rest. The closing bracket is found with quoted
// strings taken into account, so `<"a>b"@d>` works.
bool split_path(std::string_view arg, std::string_view& path, std::string_view& rest) {
  const bool bracketed = !arg.empty() && arg[0] == '<';
  bool quoted = false;
  size_t i = bracketed ? 1 : 0;
  for (; i < arg.size(); ++i) {
    char ch = arg[i];
    if (quoted) {
      if (ch == '\\' && i + 1 < arg.size()) ++i;
      else if (ch == '"') quoted = false;
      continue;
    }
    if (ch == '"') quoted = true;
    else if (bracketed && ch == '>') break;
    else if (bracketed && ch == '<') return false;
    else if (!bracketed && (ch == ' ' || ch == '<' || ch == '>')) break;
  }
  if (quoted) return false;
  if (bracketed) {
    if (i >= arg.size()) return false;  // no '>'
    path = arg.substr(0, i + 1);
  } else {
    if (i < arg.size() && arg[i] != ' ') return false;  // a stray bracket
    path = arg.substr(0, i);
  }
  rest = arg.substr(path.size());
  return true;
}

// ---- parameters --------------------------------------------------------------

std::optional<ParseError> parse_params(std::string_view rest, std::vector<Param>& out) {
  while (!rest.empty()) {
    if (rest.front() == ' ') {
      rest.remove_prefix(1);
      continue;
    }
    size_t end = rest.find(' ');
    std::string_view tok = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    size_t eq = tok.find('=');
    std::string_view key = tok.substr(0, eq);
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (key.empty() || !is_alnum(static_cast<unsigned char>(key[0]))) return err(501, "5.5.4", "Bad parameter syntax");
    for (char ch : key)
      if (!is_alnum(static_cast<unsigned char>(ch)) && ch != '-') return err(501, "5.5.4", "Bad parameter syntax");
    Param p{upper(key), std::nullopt};
    if (eq != std::string_view::npos) {
      std::string_view value = tok.substr(eq + 1);
      // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531).
      if (value.empty() || !detail::utf8_valid(value)) return err(501, "5.5.4", "Bad parameter syntax");
      for (char ch : value) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (c < 33 || c == '=' || c == 127) return err(501, "5.5.4", "Bad parameter syntax");
      }
      p.value = std::string(value);
    }
    for (const auto& seen : out)
      if (seen.keyword == p.keyword) return err(501, "5.5.4", "Duplicate parameter " + p.keyword);
    out.push_back(std::move(p));
  }
  return std::nullopt;
}

std::optional<ParseError> apply_mail_params(Command& cmd, const Limits& limits) {
  for (const auto& p : cmd.params) {
    if (p.keyword == "SIZE") {
      unsigned long long n = 0;
      if (!p.value) return err(501, "5.5.4", "Bad SIZE parameter syntax");
      for (char ch : *p.value)
        if (!is_digit(static_cast<unsigned char>(ch))) return err(501, "5.5.4", "Bad SIZE parameter syntax");
      // Digits only, so a failure here is an overflow: certainly too big.
      if (!detail::parse_u64(*p.value, n) || n > limits.max_message_size)
        return err(552, "5.3.4", "Message size exceeds fixed maximum message size");
      cmd.size = n;
    } else if (p.keyword == "BODY") {
      if (p.value && iequal(*p.value, "7BIT")) cmd.body = BodyType::k7Bit;
      else if (p.value && iequal(*p.value, "8BITMIME")) cmd.body = BodyType::k8BitMime;
      else return err(555, "5.5.4", "Unsupported BODY type");
    } else if (p.keyword == "AUTH") {
      if (!p.value) return err(501, "5.5.4", "Bad AUTH parameter syntax");  // value ignored (RFC 4954 5)
    } else if (p.keyword == "SMTPUTF8") {
      if (p.value) return err(501, "5.5.4", "Bad SMTPUTF8 parameter syntax");
      cmd.smtputf8 = true;
    } else {
      return err(555, "5.5.4", "Unsupported parameter " + p.keyword);
    }
  }
  return std::nullopt;
}

// MAIL FROM:<path> [params] / RCPT TO:<path> [params]
std::optional<ParseError> parse_mail_rcpt(Command& cmd, const Limits& limits) {
  const bool rcpt = cmd.verb == Verb::kRcpt;
  const std::string_view prefix = rcpt ? "TO:" : "FROM:";
  const std::string_view usage = rcpt ? "RCPT TO:<address>" : "MAIL FROM:<address>";
  const std::string_view bad_path_code = rcpt ? "5.1.3" : "5.1.7";
  const std::string_view bad_path_text = rcpt ? "Bad recipient address syntax" : "Bad sender address syntax";
  std::string_view arg = cmd.argument;
  if (arg.size() < prefix.size() || !iequal(arg.substr(0, prefix.size()), prefix)) return syntax(usage);
  arg.remove_prefix(prefix.size());
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);  // "MAIL FROM: <x>"
  if (arg.empty()) return syntax(usage);

  std::string_view path, rest;
  if (!split_path(arg, path, rest)) return err(501, bad_path_code, bad_path_text);
  if (!rest.empty() && rest.front() != ' ') return syntax(usage);  // "<a@b>junk"
  if (path.size() > limits.max_path) return err(501, bad_path_code, "Address too long");
  const bool bracketed = !path.empty() && path.front() == '<';
  std::string_view inside = bracketed ? path.substr(1, path.size() - 2) : path;
  auto parsed = parse_path_inside(inside, rcpt);
  if (!parsed) return err(501, bad_path_code, bad_path_text);
  if (parsed->is_null && rcpt) return err(501, bad_path_code, bad_path_text);
  cmd.address = std::move(parsed->address);
  cmd.is_null = parsed->is_null;
  cmd.is_postmaster = parsed->is_postmaster;
  for (char ch : cmd.address)
    if (static_cast<unsigned char>(ch) >= 0x80) cmd.utf8_address = true;

  if (auto e = parse_params(rest, cmd.params)) return e;
  if (rcpt) {
    // No RCPT parameters are supported (no DSN).
    if (!cmd.params.empty()) return err(555, "5.5.4", "Unsupported parameter " + cmd.params.front().keyword);
    return std::nullopt;
  }
  if (auto e = apply_mail_params(cmd, limits)) return e;
  if (cmd.utf8_address && !cmd.smtputf8)
    return err(553, "5.6.7", "Non-ASCII sender address requires SMTPUTF8");
  return std::nullopt;
}

// BDAT chunk-size [SP "LAST"]
std::optional<ParseError> parse_bdat(Command& cmd) {
  std::string_view arg = cmd.argument;
  size_t sp = arg.find(' ');
  std::string_view digits = arg.substr(0, sp);
  std::string_view tail = sp == std::string_view::npos ? std::string_view{} : trim_blanks(arg.substr(sp));
  for (char ch : digits)
    if (!is_digit(static_cast<unsigned char>(ch))) return syntax("BDAT chunk-size [LAST]");
  unsigned long long n = 0;
  if (digits.empty()) return syntax("BDAT chunk-size [LAST]");
  if (!detail::parse_u64(digits, n)) return err(552, "5.3.4", "Message size exceeds fixed maximum message size");
  if (!tail.empty() && !iequal(tail, "LAST")) return syntax("BDAT chunk-size [LAST]");
  cmd.chunk_size = n;
  cmd.last_chunk = !tail.empty();
  return std::nullopt;
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& e : kVerbs)
    if (e.verb == verb) return e.name;
  return "?";
}

ParseError line_too_long_error() { return err(500, "5.5.2", "Error: line too long"); }

std::variant<Command, ParseError> parse_command(std::string_view line, const Limits& limits) {
  for (char ch : line)
    if (detail::is_ctl(static_cast<unsigned char>(ch))) return err(500, "5.5.2", "Error: bad syntax");

  size_t sp = line.find(' ');
  std::string_view word = line.substr(0, sp);
  const VerbEntry* entry = nullptr;
  for (const auto& e : kVerbs)
    if (iequal(word, e.name)) entry = &e;
  if (line.empty() || word.empty()) return err(500, "5.5.2", "Error: bad syntax");
  if (!entry) return err(500, "5.5.2", "Error: command not recognized");
  if (entry->verb == Verb::kAuth) {
    if (line.size() > limits.max_auth_line) return err(500, "5.5.6", "Authentication exchange line is too long");
  } else if (line.size() > limits.max_command_line) {
    return line_too_long_error();
  }

  Command cmd;
  cmd.verb = entry->verb;
  cmd.argument = std::string(sp == std::string_view::npos ? std::string_view{} : trim_blanks(line.substr(sp + 1)));
  const bool has_arg = !cmd.argument.empty();

  switch (cmd.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
      if (!has_arg) return syntax(cmd.verb == Verb::kHelo ? "HELO hostname" : "EHLO hostname");
      break;
    case Verb::kMail:
    case Verb::kRcpt:
      if (auto e = parse_mail_rcpt(cmd, limits)) return *e;
      break;
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStarttls:
      if (has_arg) return syntax(verb_name(cmd.verb));
      break;
    case Verb::kVrfy:
    case Verb::kExpn:
      if (!has_arg) return syntax(cmd.verb == Verb::kVrfy ? "VRFY address" : "EXPN mailing-list");
      break;
    case Verb::kBdat:
      if (auto e = parse_bdat(cmd)) return *e;
      break;
    case Verb::kAuth: {
      auto r = parse_auth_args(cmd.argument);
      if (auto* e = std::get_if<ParseError>(&r)) return *e;
      auto& req = std::get<AuthRequest>(r);
      cmd.mechanism = std::move(req.mechanism);
      cmd.initial_response = std::move(req.initial_response);
      break;
    }
    case Verb::kNoop:
    case Verb::kHelp:
      break;  // optional free text
  }
  return cmd;
}

}  // namespace mail::smtp
