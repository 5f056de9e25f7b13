// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the client side of libs/smtp: the reply parser on the
// input as a server's byte stream (whole, byte at a time, and in chunks the
// input itself chooses, which must all give the same replies), the EHLO
// interpretation of every 250 reply, and command formatting of the input as
// an address (what is formatted must be one clean line that our own server
// parser reads back). Invariant violations trap. Also linked into
// smtp_reply_fuzz_replay_test, which runs it without clang.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/smtp/client_command.h"
#include "mail/smtp/command.h"
#include "mail/smtp/ehlo.h"
#include "mail/smtp/reply_parser.h"

namespace {

using namespace mail::smtp;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool clean(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

struct Event {
  bool error = false;
  ReplyError reason{};
  ServerReply reply;
  bool operator==(const Event&) const = default;
};

void check_reply(const ServerReply& r, const ReplyLimits& limits) {
  check(r.code >= 200 && r.code <= 599);
  check(!r.lines.empty() && r.lines.size() <= limits.max_lines);
  for (const auto& l : r.lines) {
    check(clean(l.text) && clean(l.enhanced));
    check(l.text.size() <= limits.max_line);
    if (!l.enhanced.empty()) check(l.enhanced[0] == static_cast<char>('0' + r.code / 100));
  }
  check(clean(r.summary()));
  if (r.code != 250) return;
  auto caps = parse_ehlo(r);
  check(std::holds_alternative<Capabilities>(caps));
  const auto& c = std::get<Capabilities>(caps);
  check(c.extensions.size() < r.lines.size());
  for (const auto& m : c.auth) check(!m.empty() && m.size() <= 20);
  for (const auto& e : c.extensions) check(!e.keyword.empty() && clean(e.keyword) && e.keyword.find(' ') == std::string::npos);
}

// Runs the parser over `wire` in pieces: sizes from `sizes` (cycled), or
// all at once when empty. Stops at the first error.
std::vector<Event> parse_all(std::string_view wire, const ReplyLimits& limits, std::string_view sizes) {
  ReplyParser p(limits);
  std::vector<Event> events;
  size_t pos = 0, k = 0;
  while (pos < wire.size()) {
    size_t n = sizes.empty() ? wire.size() : 1 + static_cast<unsigned char>(sizes[k++ % sizes.size()]) % 32;
    std::string_view in = wire.substr(pos, std::min(n, wire.size() - pos));
    pos += in.size();
    while (!in.empty()) {
      const size_t before = in.size();
      ReplyStep s = p.parse(in);
      check(in.size() <= before);
      if (auto* r = std::get_if<ServerReply>(&s)) {
        check(in.size() < before);
        check_reply(*r, limits);
        events.push_back({false, {}, std::move(*r)});
      } else if (auto* e = std::get_if<ReplyError>(&s)) {
        // Sticky: nothing more is consumed.
        std::string_view again = in;
        check(std::holds_alternative<ReplyError>(p.parse(again)) && again.size() == in.size());
        events.push_back({true, *e, {}});
        return events;
      } else {
        check(in.empty());
      }
    }
  }
  return events;
}

void fuzz_replies(std::string_view in) {
  ReplyLimits limits;
  limits.max_line = 128;
  limits.max_lines = 8;
  limits.max_total = 512;
  limits.strict_crlf = !in.empty() && (in[0] & 1);
  const auto whole = parse_all(in, limits, {});
  check(parse_all(in, limits, std::string_view("\x00", 1)) == whole);  // byte at a time
  check(parse_all(in, limits, in.substr(0, 8)) == whole);
}

void fuzz_format(std::string_view in) {
  const bool utf8 = !in.empty() && (in.back() & 1);
  RcptParams params;
  params.smtputf8 = utf8;
  Formatted f = format_rcpt(in, params);
  if (!std::holds_alternative<std::string>(f)) return;
  const std::string& line = std::get<std::string>(f);
  check(line.ends_with("\r\n") && clean(std::string_view(line).substr(0, line.size() - 2)));
  Limits limits;
  auto parsed = parse_command(std::string_view(line).substr(0, line.size() - 2), limits);
  check(std::holds_alternative<Command>(parsed));
  const auto& cmd = std::get<Command>(parsed);
  check(cmd.verb == Verb::kRcpt && !cmd.address.empty());
  check(cmd.address.size() + 2 <= 256);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz_replies(in);
  fuzz_format(in.substr(0, 300));
  return 0;
}
