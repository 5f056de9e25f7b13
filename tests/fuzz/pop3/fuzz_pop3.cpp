// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for libs/pop3: the command parser, the
// dot-stuffer and TOP writer (whole versus chunked, and stuffing undone gives
// the input back with its line ends made CRLF), and the maildrop model driven by the input as a script.
// Invariant failures abort, so the replay gtest fails on them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/pop3/command.h"
#include "mail/pop3/maildrop.h"
#include "mail/pop3/response.h"

namespace {

#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "fuzz_pop3: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

using namespace mail::pop3;

void check_error(const Error& e) {
  FUZZ_CHECK(!e.text.empty());
  FUZZ_CHECK(e.text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
}

void fuzz_parsers(std::string_view line) {
  for (const Limits& limits : {Limits{}, Limits{16, 32}}) {
    auto r = parse_command(line, limits);
    if (auto* e = std::get_if<Error>(&r)) {
      check_error(*e);
    } else {
      const auto& c = std::get<Command>(r);
      size_t bound = c.verb == Verb::kAuth ? limits.max_auth_line : limits.max_line;
      FUZZ_CHECK(line.size() + 2 <= bound);
      if (c.msg) FUZZ_CHECK(*c.msg >= 1);
      if (c.verb == Verb::kPass) FUZZ_CHECK(!c.password.empty() && line.ends_with(c.password));
      if (c.verb == Verb::kApop) FUZZ_CHECK(c.digest.size() == 32);
    }
  }
}

// Undo dot-stuffing of a complete multi-line body (terminator included).
std::string unstuff(std::string_view out) {
  FUZZ_CHECK(out.size() >= 3 && out.substr(out.size() - 3) == ".\r\n");
  FUZZ_CHECK(out.size() == 3 || out[out.size() - 4] == '\n');
  out.remove_suffix(3);
  std::string data;
  bool line_start = true;
  for (char c : out) {
    if (line_start && c == '.') {
      line_start = false;
      continue;  // the stuffed dot; the real one follows
    }
    data.push_back(c);
    line_start = c == '\n';
  }
  return data;
}

// The one line-end rule of the shared stuffer: CRLF, a bare LF and a bare CR
// each become CRLF.
std::string crlf_lines(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r' || in[i] == '\n') {
      out += "\r\n";
      if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out += in[i];
    }
  }
  return out;
}

void check_stuffed(std::string_view in, std::string_view out) {
  const std::string want = crlf_lines(in);
  std::string back = unstuff(out);
  FUZZ_CHECK(back.size() >= want.size() && std::string_view(back).substr(0, want.size()) == want);
  std::string_view added = std::string_view(back).substr(want.size());
  FUZZ_CHECK(added.empty() || added == "\r\n");
  // Only CRLF line ends, and no unstuffed line "." inside the body.
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r') FUZZ_CHECK(i + 1 < out.size() && out[i + 1] == '\n');
    if (out[i] == '\n') FUZZ_CHECK(i > 0 && out[i - 1] == '\r');
  }
  std::string_view body = out.substr(0, out.size() - 3);
  FUZZ_CHECK(body.find("\n.\r\n") == std::string_view::npos);
  FUZZ_CHECK(!body.starts_with(".\r\n"));
}

void fuzz_writers(std::string_view data, size_t chunk) {
  std::string whole = dot_stuff(data);
  check_stuffed(data, whole);
  DotStuffer s;
  std::string pieces;
  for (size_t i = 0; i < data.size(); i += chunk) s.feed(data.substr(i, chunk), pieces);
  s.finish(pieces);
  FUZZ_CHECK(pieces == whole);

  size_t lines = chunk % 5;
  std::string t = top(data, lines);
  std::string tb = unstuff(t);
  // TOP sends a prefix of the message, line ends made CRLF (plus a line end at most).
  FUZZ_CHECK(tb.size() <= crlf_lines(data).size() + 2);
  TopWriter w(lines);
  std::string tp;
  for (size_t i = 0; i < data.size(); i += chunk)
    if (w.feed(data.substr(i, chunk), tp)) break;
  w.finish(tp);
  FUZZ_CHECK(tp == t);
}

void fuzz_maildrop(std::string_view data) {
  Maildrop m({{"a", 10}, {"b", 20}, {"c", 30}, {"d", 0}});
  for (unsigned char b : data.substr(0, 64)) {
    size_t n = b >> 3;  // 0..31: mostly out of range
    switch (b & 7) {
      case 0:
      case 1:
        (void)m.dele(n % 6);
        break;
      case 2:
        m.rset();
        break;
      case 3: {
        auto r = m.list(n % 6);
        FUZZ_CHECK(std::holds_alternative<ListEntry>(r) == (n % 6 >= 1 && n % 6 <= 4 && !m.is_deleted(n % 6)));
        break;
      }
      default:
        (void)m.uidl(n);
        break;
    }
    Stat st = m.stat();
    uint64_t sum = 0;
    for (const auto& e : m.list()) sum += e.size;
    FUZZ_CHECK(st.octets == sum);
    FUZZ_CHECK(st.count == m.list().size() && st.count + m.deleted().size() == m.size());
  }
  auto reply = list_all_reply(m.list());
  FUZZ_CHECK(reply.ends_with(".\r\n"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  fuzz_parsers(data);
  size_t chunk = size == 0 ? 1 : 1 + static_cast<unsigned char>(data[0]) % 17;
  fuzz_writers(data, chunk);
  fuzz_maildrop(data);
  return 0;
}
