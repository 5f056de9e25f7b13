// SPDX-License-Identifier: Apache-2.0
// sasl.cpp: PLAIN and LOGIN for the server (see sasl.h). Every input is
// untrusted network text: lengths are checked before decoding, base64 is
// strict, the identities must be UTF-8 and no field may hold NUL. Nothing is
// logged; the LOGIN user name held between the prompts is wiped with the
// exchange.
#include "mail/sasl/sasl.h"

#include <algorithm>

#include "mail/common/base64.h"
#include "mail/common/strings.h"

namespace mail::sasl {
namespace {

void wipe_string(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

// An identity (authcid, authzid, LOGIN user name): UTF-8, no NUL, bounded.
std::optional<Error> check_identity(std::string_view id, const Limits& limits) {
  if (id.size() > limits.max_identity) return Error::kFieldTooLong;
  if (id.find('\0') != std::string_view::npos) return Error::kMalformed;
  if (!common::utf8_valid(id)) return Error::kNotUtf8;
  return std::nullopt;
}

std::optional<Error> check_password(std::string_view pw, const Limits& limits) {
  if (pw.empty() || pw.find('\0') != std::string_view::npos) return Error::kMalformed;
  if (pw.size() > limits.max_password) return Error::kFieldTooLong;
  return std::nullopt;
}

}  // namespace

std::optional<Mechanism> find_mechanism(std::string_view name) {
  if (common::iequals(name, "PLAIN")) return Mechanism::kPlain;
  if (common::iequals(name, "LOGIN")) return Mechanism::kLogin;
  return std::nullopt;
}

std::string_view mechanism_name(Mechanism mechanism) {
  return mechanism == Mechanism::kPlain ? "PLAIN" : "LOGIN";
}

std::vector<std::string_view> mechanism_names() {
  return {mechanism_name(Mechanism::kPlain), mechanism_name(Mechanism::kLogin)};
}

std::string_view error_name(Error error) {
  switch (error) {
    case Error::kCancelled: return "cancelled";
    case Error::kTooLong: return "too_long";
    case Error::kBadBase64: return "bad_base64";
    case Error::kMalformed: return "malformed";
    case Error::kNotUtf8: return "not_utf8";
    case Error::kFieldTooLong: return "field_too_long";
    case Error::kAuthzidMismatch: return "authzid_mismatch";
    case Error::kNotInProgress: return "not_in_progress";
  }
  return "unknown";
}

void Credentials::wipe() { wipe_string(password); }

std::variant<std::string, Error> decode_response(std::string_view line, const Limits& limits) {
  if (line.size() > limits.max_response) return Error::kTooLong;
  if (line == "*") return Error::kCancelled;
  auto raw = common::base64_decode(line);
  if (!raw) return Error::kBadBase64;
  return std::move(*raw);
}

bool authzid_matches(std::string_view authzid, std::string_view authcid) {
  if (authzid.empty() || authzid == authcid) return true;
  std::string a = common::normalize_address(authzid);
  return !a.empty() && a == common::normalize_address(authcid);
}

std::variant<Credentials, Error> parse_plain(std::string_view message, const Limits& limits) {
  // A bound on the whole message first: nothing bigger than its three
  // fields and two NULs is worth splitting.
  if (message.size() > 2 * limits.max_identity + limits.max_password + 2) return Error::kFieldTooLong;
  size_t first = message.find('\0');
  if (first == std::string_view::npos) return Error::kMalformed;
  size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return Error::kMalformed;
  std::string_view authzid = message.substr(0, first);
  std::string_view authcid = message.substr(first + 1, second - first - 1);
  std::string_view password = message.substr(second + 1);
  if (authcid.empty()) return Error::kMalformed;
  if (auto e = check_password(password, limits)) return *e;  // a third NUL lands here
  if (auto e = check_identity(authcid, limits)) return *e;
  if (auto e = check_identity(authzid, limits)) return *e;
  if (!authzid_matches(authzid, authcid)) return Error::kAuthzidMismatch;
  return Credentials{std::string(authzid), std::string(authcid), std::string(password)};
}

Exchange::~Exchange() { wipe_string(user_); }

Step Exchange::fail(Error error) {
  phase_ = Phase::kIdle;
  wipe_string(user_);
  return error;
}

Step Exchange::start(std::optional<std::string_view> initial_response) {
  phase_ = Phase::kIdle;
  wipe_string(user_);
  if (mechanism_ == Mechanism::kPlain) {
    phase_ = Phase::kPlain;
    if (!initial_response) return Challenge{""};
  } else {
    phase_ = Phase::kLoginUser;
    if (!initial_response) return Challenge{std::string(kLoginUsernamePrompt)};
  }
  // RFC 4954 4 / RFC 5034 4: "=" is an initial response of zero length.
  std::string_view ir = *initial_response == "=" ? std::string_view{} : *initial_response;
  if (ir == "*") return fail(Error::kBadBase64);  // cancelling before the exchange began is not a response
  return respond(ir);
}

Step Exchange::respond(std::string_view line) {
  if (phase_ == Phase::kIdle) return fail(Error::kNotInProgress);
  auto decoded = decode_response(line, limits_);
  if (auto* e = std::get_if<Error>(&decoded)) return fail(*e);
  return on_decoded(std::move(std::get<std::string>(decoded)));
}

Step Exchange::on_decoded(std::string decoded) {
  switch (phase_) {
    case Phase::kPlain: {
      auto parsed = parse_plain(decoded, limits_);
      wipe_string(decoded);
      if (auto* e = std::get_if<Error>(&parsed)) return fail(*e);
      phase_ = Phase::kIdle;
      return std::move(std::get<Credentials>(parsed));
    }
    case Phase::kLoginUser: {
      if (decoded.empty()) return fail(Error::kMalformed);
      if (auto e = check_identity(decoded, limits_)) return fail(*e);
      user_ = std::move(decoded);
      phase_ = Phase::kLoginPassword;
      return Challenge{std::string(kLoginPasswordPrompt)};
    }
    case Phase::kLoginPassword: {
      if (auto e = check_password(decoded, limits_)) {
        wipe_string(decoded);
        return fail(*e);
      }
      Credentials c{{}, std::move(user_), std::move(decoded)};
      user_.clear();
      phase_ = Phase::kIdle;
      return c;
    }
    case Phase::kIdle: break;
  }
  return fail(Error::kNotInProgress);
}

}  // namespace mail::sasl
