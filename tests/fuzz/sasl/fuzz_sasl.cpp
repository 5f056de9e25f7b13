// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for libs/sasl: the input is a script. Its first byte picks
// the mechanism, whether an initial response is sent, and small or default
// Limits; the rest, split at LF, is the initial response and the client's
// response lines. Invariants: every challenge is one of the mechanism's
// prompts; credentials obey every rule the library promises (non-empty UTF-8
// authcid without NUL within bounds, non-empty NUL-free password within
// bounds, matching authzid); an ended exchange is no longer in progress. The
// raw input also goes through parse_plain and decode_response directly.
// A broken invariant aborts, which fails the replay test too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/common/strings.h"
#include "mail/sasl/sasl.h"

namespace {

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz_sasl: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

using namespace mail::sasl;

void check_credentials(const Credentials& c, const Limits& limits) {
  FUZZ_CHECK(!c.authcid.empty() && c.authcid.size() <= limits.max_identity);
  FUZZ_CHECK(c.authzid.size() <= limits.max_identity);
  FUZZ_CHECK(c.authcid.find('\0') == std::string::npos && c.authzid.find('\0') == std::string::npos);
  FUZZ_CHECK(mail::common::utf8_valid(c.authcid) && mail::common::utf8_valid(c.authzid));
  FUZZ_CHECK(!c.password.empty() && c.password.size() <= limits.max_password);
  FUZZ_CHECK(c.password.find('\0') == std::string::npos);
  FUZZ_CHECK(authzid_matches(c.authzid, c.authcid));
}

std::string_view next_line(std::string_view& in) {
  size_t eol = in.find('\n');
  std::string_view line = in.substr(0, eol);
  in = eol == std::string_view::npos ? std::string_view{} : in.substr(eol + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  if (!in.empty()) {
    const unsigned char mode = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    if (mode & 4) limits = Limits{64, 16, 16};
    const Mechanism mech = mode & 1 ? Mechanism::kLogin : Mechanism::kPlain;
    Exchange x(mech, limits);
    std::string_view rest = in;
    Step step = mode & 2 ? x.start(next_line(rest)) : x.start(std::nullopt);
    int rounds = 0;
    while (auto* c = std::get_if<Challenge>(&step)) {
      FUZZ_CHECK(x.in_progress());
      if (mech == Mechanism::kPlain)
        FUZZ_CHECK(c->base64.empty());
      else
        FUZZ_CHECK(c->base64 == kLoginUsernamePrompt || c->base64 == kLoginPasswordPrompt);
      FUZZ_CHECK(++rounds <= 2);
      if (rest.empty()) break;
      step = x.respond(next_line(rest));
    }
    if (auto* c = std::get_if<Credentials>(&step)) check_credentials(*c, limits);
    if (!std::holds_alternative<Challenge>(step)) {
      FUZZ_CHECK(!x.in_progress());
      FUZZ_CHECK(std::holds_alternative<Error>(x.respond("")));
    }
    FUZZ_CHECK(!error_name(Error::kMalformed).empty());
  }
  // The building blocks on the raw bytes.
  auto plain = parse_plain(in, limits);
  if (auto* c = std::get_if<Credentials>(&plain)) check_credentials(*c, limits);
  auto decoded = decode_response(in, limits);
  if (auto* s = std::get_if<std::string>(&decoded)) FUZZ_CHECK(s->size() <= in.size());
  return 0;
}
