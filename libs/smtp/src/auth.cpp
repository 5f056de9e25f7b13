// SPDX-License-Identifier: Apache-2.0
// SMTP AUTH helpers: argument parsing, SASL response decoding and the PLAIN and
// LOGIN exchanges. All input is untrusted network text; base64 is decoded
// strictly; identities must be UTF-8 and no field may contain NUL. Credentials
// are only handed back, never checked or logged here.
#include "mail/smtp/auth.h"

#include "mail/common/base64.h"
#include "syntax.h"

namespace mail::smtp {
namespace {

ParseError err(int code, std::string_view enhanced, std::string_view text) {
  return ParseError{code, std::string(enhanced), std::string(text)};
}

bool base64_chars(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(detail::is_alnum(c) || c == '+' || c == '/' || c == '=')) return false;
  }
  return true;
}

ParseError malformed() { return err(501, "5.5.2", "Malformed authentication response"); }

}  // namespace

std::variant<AuthRequest, ParseError> parse_auth_args(std::string_view args) {
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  while (!args.empty() && args.back() == ' ') args.remove_suffix(1);
  size_t sp = args.find(' ');
  std::string_view mech = args.substr(0, sp);
  // sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
  // (matched case-insensitively, as clients do send "auth login").
  if (mech.empty() || mech.size() > 20) return err(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  AuthRequest req;
  for (char ch : mech) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(detail::is_alnum(c) || c == '-' || c == '_')) return err(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    req.mechanism += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : ch;
  }
  if (sp != std::string_view::npos) {
    std::string_view ir = args.substr(sp + 1);
    while (!ir.empty() && ir.front() == ' ') ir.remove_prefix(1);
    if (ir.find(' ') != std::string_view::npos || !base64_chars(ir))
      return err(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    req.initial_response = ir == "=" ? std::string() : std::string(ir);
  }
  return req;
}

std::optional<Credentials> parse_plain_message(std::string_view message) {
  size_t first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;  // a third NUL
  Credentials c{std::string(message.substr(0, first)), std::string(message.substr(first + 1, second - first - 1)),
                std::string(message.substr(second + 1))};
  if (c.authcid.empty() || c.password.empty()) return std::nullopt;
  if (!detail::utf8_valid(c.authzid) || !detail::utf8_valid(c.authcid)) return std::nullopt;
  return c;
}

std::optional<Credentials> decode_plain(std::string_view base64) {
  auto raw = common::base64_decode(base64);
  if (!raw) return std::nullopt;
  return parse_plain_message(*raw);
}

std::string format_challenge(std::string_view challenge) {
  return "334 " + common::base64_encode(challenge) + "\r\n";
}

std::variant<std::string, ParseError> decode_sasl_response(std::string_view line, const Limits& limits) {
  if (line.size() > limits.max_auth_line) return err(500, "5.5.6", "Authentication exchange line is too long");
  if (line == "*") return err(501, "5.0.0", "Authentication cancelled");
  auto raw = common::base64_decode(line);
  if (!raw) return err(501, "5.5.2", "Cannot decode response");
  return std::move(*raw);
}

SaslStep SaslExchange::fail(ParseError error) {
  phase_ = Phase::kIdle;
  user_.clear();
  SaslStep s;
  s.kind = SaslStep::kFailed;
  s.reply = error.wire();
  return s;
}

SaslStep SaslExchange::login_user(std::string user) {
  if (user.empty() || user.find('\0') != std::string::npos || !detail::utf8_valid(user)) return fail(malformed());
  user_ = std::move(user);
  phase_ = Phase::kLoginPassword;
  return SaslStep{SaslStep::kChallenge, "334 " + std::string(kLoginPasswordPrompt) + "\r\n", {}};
}

SaslStep SaslExchange::start(const AuthRequest& request) {
  phase_ = Phase::kIdle;
  user_.clear();
  if (request.mechanism == "PLAIN") {
    if (!request.initial_response) {
      phase_ = Phase::kPlain;
      return SaslStep{SaslStep::kChallenge, "334 \r\n", {}};
    }
    auto raw = common::base64_decode(*request.initial_response);
    if (!raw) return fail(err(501, "5.5.2", "Cannot decode response"));
    auto creds = parse_plain_message(*raw);
    if (!creds) return fail(malformed());
    return SaslStep{SaslStep::kDone, {}, std::move(*creds)};
  }
  if (request.mechanism == "LOGIN") {
    if (!request.initial_response) {
      phase_ = Phase::kLoginUser;
      return SaslStep{SaslStep::kChallenge, "334 " + std::string(kLoginUsernamePrompt) + "\r\n", {}};
    }
    auto raw = common::base64_decode(*request.initial_response);
    if (!raw) return fail(err(501, "5.5.2", "Cannot decode response"));
    return login_user(std::move(*raw));
  }
  return fail(err(504, "5.5.4", "Unrecognized authentication type"));
}

SaslStep SaslExchange::step(std::string_view line) {
  if (phase_ == Phase::kIdle) return fail(err(503, "5.5.1", "No authentication exchange in progress"));
  auto decoded = decode_sasl_response(line, limits_);
  if (auto* e = std::get_if<ParseError>(&decoded)) return fail(*e);
  std::string& raw = std::get<std::string>(decoded);
  switch (phase_) {
    case Phase::kPlain: {
      auto creds = parse_plain_message(raw);
      if (!creds) return fail(malformed());
      phase_ = Phase::kIdle;
      return SaslStep{SaslStep::kDone, {}, std::move(*creds)};
    }
    case Phase::kLoginUser:
      return login_user(std::move(raw));
    case Phase::kLoginPassword: {
      if (raw.empty() || raw.find('\0') != std::string::npos) return fail(malformed());
      SaslStep s{SaslStep::kDone, {}, Credentials{{}, std::move(user_), std::move(raw)}};
      phase_ = Phase::kIdle;
      user_.clear();
      return s;
    }
    case Phase::kIdle:
      break;
  }
  return fail(err(503, "5.5.1", "No authentication exchange in progress"));
}

}  // namespace mail::smtp
