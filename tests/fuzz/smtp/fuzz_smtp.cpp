// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for libs/smtp: the command parser on every line of the
// input, the DATA decoder (one shot against arbitrary chunking), dot-stuffing
// round trips, reply formatting and the AUTH argument syntax. Besides crashes it checks
// the invariants the session relies on and traps when one breaks. Also linked
// into smtp_fuzz_replay_test, which runs it without clang.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/smtp/auth.h"
#include "mail/smtp/command.h"
#include "mail/smtp/data.h"
#include "mail/smtp/reply.h"

namespace {

using namespace mail::smtp;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Every CR is followed by LF and every LF preceded by CR.
bool crlf_only(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

// One reply line: ends in CRLF, has no other CR or LF, fits 512 octets.
bool one_reply_line(std::string_view r) {
  return r.size() >= 5 && r.size() <= 512 && r.ends_with("\r\n") && r.find_first_of("\r\n") == r.size() - 2;
}

void fuzz_commands(std::string_view in) {
  Limits limits;
  limits.max_command_line = 512;
  limits.max_auth_line = 1024;
  while (!in.empty()) {
    size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in = eol == std::string_view::npos ? std::string_view{} : in.substr(eol + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    auto r = parse_command(line, limits);
    if (auto* e = std::get_if<ParseError>(&r)) {
      check(e->code >= 500 && e->code <= 559);
      check(one_reply_line(e->wire()));
      continue;
    }
    const auto& cmd = std::get<Command>(r);
    check(verb_name(cmd.verb) != "?");
    check(cmd.argument.size() <= line.size());
    if (cmd.verb == Verb::kMail || cmd.verb == Verb::kRcpt) {
      check(cmd.address.size() <= limits.max_path);
      check(cmd.is_null == cmd.address.empty());
      check(cmd.address.find_first_of("\r\n<>") == std::string::npos || cmd.address.front() == '"');
      if (cmd.size) check(*cmd.size <= limits.max_message_size);
      if (cmd.verb == Verb::kRcpt) check(!cmd.is_null && cmd.params.empty());
    }
    if (cmd.verb == Verb::kAuth) {
      check(!cmd.mechanism.empty() && cmd.mechanism.size() <= 20);
    }
  }
}

struct Decoded {
  size_t consumed = 0;
  std::string output;
  DataError error = DataError::kNone;
  bool done = false;
  bool operator==(const Decoded&) const = default;
};

Decoded decode(std::string_view wire, const Limits& limits, std::string_view chunk_sizes) {
  DataDecoder d(limits);
  Decoded r;
  size_t pos = 0, k = 0;
  while (pos < wire.size() && !d.done()) {
    size_t n = chunk_sizes.empty() ? wire.size() : 1 + static_cast<unsigned char>(chunk_sizes[k++ % chunk_sizes.size()]) % 16;
    n = std::min(n, wire.size() - pos);
    size_t used = d.feed(wire.substr(pos, n));
    check(used <= n);
    check(used == n || d.done());
    pos += used;
    r.output += d.take_output();
    check(r.output.size() <= limits.max_message_size);
  }
  check(d.bytes_seen() == pos);
  // Data ends only at <CRLF>.<CRLF> (or at "." CRLF as the very first line).
  if (d.done()) check(wire.substr(0, pos).ends_with("\r\n.\r\n") || (pos == 3 && wire.starts_with(".\r\n")));
  r.consumed = pos;
  r.error = d.error();
  r.done = d.done();
  if (r.error == DataError::kNone) check(crlf_only(r.output));
  if (r.error == DataError::kNone && r.done) check(r.output.empty() || r.output.ends_with("\r\n"));
  if (r.error != DataError::kNone) {
    check(one_reply_line(data_error_reply(r.error).wire()));
    r.output.clear();
  }
  return r;
}

void fuzz_data(std::string_view in) {
  Limits limits;
  limits.max_text_line = 64;
  limits.max_message_size = 4096;
  const Decoded whole = decode(in, limits, {});
  // The first bytes of the input choose the chunking.
  check(decode(in, limits, in.substr(0, 8)) == whole);
  check(decode(in, limits, "\x00") == whole);  // byte at a time
  // A terminator after the input must end the data unless a CR is pending
  // or a leading dot is, in which case one more CRLF.CRLF always does.
  if (!whole.done) {
    std::string terminated(in);
    terminated += "\r\n.\r\n\r\n.\r\n";
    check(decode(terminated, limits, {}).done);
  }
}

void fuzz_dot_stuff(std::string_view in) {
  Limits limits;
  limits.max_text_line = 1 << 20;
  limits.max_message_size = 1 << 20;
  const std::string wire = dot_stuff(in) + "QUIT\r\n";
  Decoded got = decode(wire, limits, in.substr(0, 4));
  // The decoder refuses NUL (the stuffer passes any byte on): then only the
  // framing must hold.
  if (in.find('\0') != std::string_view::npos) {
    check(got.done && got.error == DataError::kNul && got.consumed == wire.size() - 6);
    return;
  }
  check(got.done && got.error == DataError::kNone);
  check(got.consumed == wire.size() - 6);
  std::string want;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      want += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (in[i] == '\n') {
      want += "\r\n";
    } else {
      want += in[i];
    }
  }
  if (!want.empty() && !want.ends_with("\r\n")) want += "\r\n";
  check(got.output == want);
}

void fuzz_auth(std::string_view in) {
  // The SASL mechanisms are fuzzed in tests/fuzz/sasl; here the AUTH
  // argument syntax, whose errors must be one reply line.
  auto r = parse_auth_args(in.substr(0, 600));
  if (auto* e = std::get_if<ParseError>(&r)) check(one_reply_line(e->wire()));
  check(one_reply_line(format_reply(550, "5.0.0", in.substr(0, 600))));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz_commands(in);
  fuzz_data(in);
  fuzz_dot_stuff(in);
  fuzz_auth(in);
  return 0;
}
