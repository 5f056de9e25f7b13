// SPDX-License-Identifier: Apache-2.0
// POP3 command parser. Trusts nothing in the line: it is checked for length and
// control characters before any field is taken, numbers are parsed without
// overflow, and every error is a value with a fixed, peer-free text.
#include "mail/pop3/command.h"

#include <array>
#include <limits>
#include <vector>

#include "mail/common/strings.h"

namespace mail::pop3 {
namespace {

struct VerbInfo {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbInfo, 16> kVerbs{{
    {"USER", Verb::kUser}, {"PASS", Verb::kPass}, {"APOP", Verb::kApop}, {"QUIT", Verb::kQuit},
    {"STAT", Verb::kStat}, {"LIST", Verb::kList}, {"RETR", Verb::kRetr}, {"DELE", Verb::kDele},
    {"NOOP", Verb::kNoop}, {"RSET", Verb::kRset}, {"TOP", Verb::kTop},   {"UIDL", Verb::kUidl},
    {"CAPA", Verb::kCapa}, {"STLS", Verb::kStls}, {"AUTH", Verb::kAuth}, {"UTF8", Verb::kUtf8},
}};

Error error(ErrorKind kind, std::string text) { return Error{kind, std::move(text)}; }

Error arity(Verb verb) {
  return error(ErrorKind::kSyntax, std::string(verb_name(verb)) + ": wrong number of arguments");
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Decimal digits only; nullopt for empty, signs, other characters or overflow.
std::optional<size_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t value = 0;
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<size_t>(c - '0');
    if (value > (kMax - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::variant<size_t, Error> message_number(std::string_view s) {
  auto n = parse_number(s);
  if (!n || *n == 0) return error(ErrorKind::kBadNumber, "invalid message number");
  return *n;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool is_base64(std::string_view s) {
  // Characters and padding placement only; the SASL layer decodes.
  size_t pad = 0;
  for (char c : s) {
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      ++pad;
    } else if (pad > 0 || !(alnum || c == '+' || c == '/')) {
      return false;
    }
  }
  return pad <= 2 && s.size() % 4 == 0;
}

// Split on single spaces; an empty token (double, leading or trailing space)
// is kept as empty so the caller can refuse it.
std::vector<std::string_view> split_args(std::string_view rest) {
  std::vector<std::string_view> out;
  while (true) {
    auto sp = rest.find(' ');
    out.push_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
    if (out.size() > 3) break;  // no verb takes more than 2; stop early on junk
  }
  return out;
}

bool any_empty(const std::vector<std::string_view>& args) {
  for (auto a : args)
    if (a.empty()) return true;
  return false;
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& v : kVerbs)
    if (v.verb == verb) return v.name;
  return "?";
}

std::variant<Command, Error> parse_command(std::string_view line, const Limits& limits) {
  auto sp = line.find(' ');
  std::string_view keyword = line.substr(0, sp);
  const VerbInfo* info = nullptr;
  for (const auto& v : kVerbs)
    if (common::iequals(keyword, v.name)) info = &v;
  if (line.empty()) return error(ErrorKind::kUnknownCommand, "empty command");

  // Length first: nothing else is looked at in an oversized line.
  size_t bound = info && info->verb == Verb::kAuth ? limits.max_auth_line : limits.max_line;
  if (line.size() + 2 > bound) return error(ErrorKind::kLineTooLong, "line too long");
  if (!info) return error(ErrorKind::kUnknownCommand, "unknown command");
  for (char c : line)
    if (is_control(c)) return error(ErrorKind::kSyntax, "control character in command");

  Command cmd;
  cmd.verb = info->verb;
  bool has_rest = sp != std::string_view::npos;
  std::string_view rest = has_rest ? line.substr(sp + 1) : std::string_view{};

  // PASS takes the rest of the line verbatim: passwords may contain spaces.
  if (cmd.verb == Verb::kPass) {
    if (!has_rest || rest.empty()) return arity(cmd.verb);
    cmd.password = std::string(rest);
    return cmd;
  }

  std::vector<std::string_view> args;
  if (has_rest) args = split_args(rest);
  if (any_empty(args)) return error(ErrorKind::kSyntax, "empty argument");
  const size_t n = args.size();

  switch (cmd.verb) {
    case Verb::kQuit:
    case Verb::kStat:
    case Verb::kNoop:
    case Verb::kRset:
    case Verb::kCapa:
    case Verb::kStls:
    case Verb::kUtf8:
      if (n != 0) return arity(cmd.verb);
      return cmd;
    case Verb::kUser:
      if (n != 1) return arity(cmd.verb);
      cmd.user = std::string(args[0]);
      return cmd;
    case Verb::kApop:
      if (n != 2) return arity(cmd.verb);
      if (args[1].size() != 32 || !is_hex(args[1])) return error(ErrorKind::kSyntax, "APOP: invalid digest");
      cmd.user = std::string(args[0]);
      cmd.digest = common::ascii_lower(args[1]);
      return cmd;
    case Verb::kList:
    case Verb::kUidl:
      if (n > 1) return arity(cmd.verb);
      if (n == 1) {
        auto m = message_number(args[0]);
        if (auto* e = std::get_if<Error>(&m)) return *e;
        cmd.msg = std::get<size_t>(m);
      }
      return cmd;
    case Verb::kRetr:
    case Verb::kDele: {
      if (n != 1) return arity(cmd.verb);
      auto m = message_number(args[0]);
      if (auto* e = std::get_if<Error>(&m)) return *e;
      cmd.msg = std::get<size_t>(m);
      return cmd;
    }
    case Verb::kTop: {
      if (n != 2) return arity(cmd.verb);
      auto m = message_number(args[0]);
      if (auto* e = std::get_if<Error>(&m)) return *e;
      auto lines = parse_number(args[1]);
      if (!lines) return error(ErrorKind::kBadNumber, "invalid line count");
      cmd.msg = std::get<size_t>(m);
      cmd.lines = *lines;
      return cmd;
    }
    case Verb::kAuth:
      // A bare AUTH asks for the mechanism list (widely used before CAPA).
      if (n > 2) return arity(cmd.verb);
      if (n >= 1) cmd.mechanism = common::ascii_upper(args[0]);
      if (n == 2) {
        if (args[1] != "=" && !is_base64(args[1])) return error(ErrorKind::kSyntax, "AUTH: invalid initial response");
        cmd.initial_response = std::string(args[1]);
      }
      return cmd;
    case Verb::kPass:
      break;  // handled above
  }
  return error(ErrorKind::kUnknownCommand, "unknown command");
}

}  // namespace mail::pop3
