// SPDX-License-Identifier: Apache-2.0
// DATA decoder and dot-stuffer tests on raw wire bytes: terminator, stuffing,
// SMTP smuggling attempts, limits, and every way of splitting the input.
#include <gtest/gtest.h>

#include <random>

#include "mail/smtp/data.h"

using namespace mail::smtp;

namespace {

struct Result {
  size_t consumed = 0;
  std::string output;
  DataError error = DataError::kNone;
  bool done = false;
  bool operator==(const Result&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << "{consumed=" << r.consumed << " error=" << data_error_name(r.error) << " done=" << r.done
            << " output.size=" << r.output.size() << "}";
}

// Feeds `wire` in chunks whose sizes come from `next_chunk`, the way a session
// would: stop at done() and hand back what was not consumed.
template <class NextChunk>
Result decode(std::string_view wire, const Limits& limits, NextChunk next_chunk) {
  DataDecoder d(limits);
  Result r;
  size_t pos = 0;
  while (pos < wire.size() && !d.done()) {
    size_t n = std::min(next_chunk(), wire.size() - pos);
    size_t used = d.feed(wire.substr(pos, n));
    EXPECT_LE(used, n);
    if (used < n) {
      EXPECT_TRUE(d.done());
    }
    pos += used;
    r.output += d.take_output();
  }
  if (d.done()) {
    EXPECT_EQ(d.feed("more"), 0u);
  }
  r.consumed = pos;
  r.error = d.error();
  r.done = d.done();
  if (r.error != DataError::kNone) r.output.clear();  // rejected: the content is meaningless
  return r;
}

Result one_shot(std::string_view wire, const Limits& limits = {}) {
  DataDecoder d(limits);
  Result r;
  r.consumed = d.feed(wire);
  EXPECT_EQ(d.bytes_seen(), r.consumed);
  r.output = d.take_output();
  r.error = d.error();
  r.done = d.done();
  if (r.error != DataError::kNone) r.output.clear();
  return r;
}

constexpr size_t kAll = static_cast<size_t>(-1);

struct Case {
  std::string_view name;
  std::string_view wire;
  std::string_view output;
  DataError error;
  bool done;
  size_t consumed;  // kAll: everything
};

const Case kCases[] = {
    {"empty message", ".\r\n", "", DataError::kNone, true, 3},
    {"one line", "Hello\r\n.\r\n", "Hello\r\n", DataError::kNone, true, kAll},
    {"empty line first", "\r\n.\r\n", "\r\n", DataError::kNone, true, kAll},
    {"stuffed dot", "..\r\n.\r\n", ".\r\n", DataError::kNone, true, kAll},
    {"stuffed dots", "...\r\n.\r\n", "..\r\n", DataError::kNone, true, kAll},
    {"lone dot line inside", "a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", DataError::kNone, true, kAll},
    {"leading dot removed", ".foo\r\n..bar\r\n.\r\n", "foo\r\n.bar\r\n", DataError::kNone, true, kAll},
    {"dots mid line kept", "a.b.\r\n a .\r\n.\r\n", "a.b.\r\n a .\r\n", DataError::kNone, true, kAll},
    {"dot then space", ". \r\n.\r\n", " \r\n", DataError::kNone, true, kAll},
    {"8bit passes", "\xc3\xa9x\r\n.\r\n", "\xc3\xa9x\r\n", DataError::kNone, true, kAll},
    // NUL is refused (Postfix's message_reject_characters), read to the end.
    {"NUL refused", std::string_view("\xc3\xa9\0x\r\n.\r\n", 9), "", DataError::kNul, true, kAll},
    {"pipelined after end", "Hi\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\n", "Hi\r\n", DataError::kNone, true, 7},
    {"pipelined after empty", ".\r\nQUIT\r\n", "", DataError::kNone, true, 3},
    {"not finished", "abc", "abc", DataError::kNone, false, kAll},
    {"not finished after CRLF", "abc\r\n", "abc\r\n", DataError::kNone, false, kAll},
    {"not finished after dot", "abc\r\n.", "abc\r\n", DataError::kNone, false, kAll},
    {"not finished after dot CR", "abc\r\n.\r", "abc\r\n", DataError::kNone, false, kAll},
    {"dot without CRLF before it", "abc.\r\n", "abc.\r\n", DataError::kNone, false, kAll},
    // SMTP smuggling: none of these may end the data.
    {"CRLF dot LF", "a\r\n.\nMAIL FROM:<evil@x>\r\n.\r\n", "", DataError::kBareLf, true, kAll},
    {"LF dot CRLF", "a\n.\r\nMAIL FROM:<evil@x>\r\n.\r\n", "", DataError::kBareLf, true, kAll},
    {"LF dot LF", "a\n.\nb\r\n.\r\n", "", DataError::kBareLf, true, kAll},
    {"CR dot CR", "a\r.\rb\r\n.\r\n", "", DataError::kBareCr, true, kAll},
    {"CRLF dot CR", "a\r\n.\rb\r\n.\r\n", "", DataError::kBareCr, true, kAll},
    {"CR dot CRLF", "a\r.\r\nb\r\n.\r\n", "", DataError::kBareCr, true, kAll},
    {"LF dot LF only", "a\n.\n", "", DataError::kBareLf, false, kAll},
    {"CRLF dot LF only", "a\r\n.\n", "", DataError::kBareLf, false, kAll},
    {"dot LF first line", ".\n.\r\n", "", DataError::kBareLf, false, kAll},
    {"dot LF first line ends later", ".\n.\r\n.\r\n", "", DataError::kBareLf, true, kAll},
    {"bare LF first byte", "\n.\r\n", "", DataError::kBareLf, false, kAll},
    {"bare LF first byte ends later", "\n.\r\n.\r\n", "", DataError::kBareLf, true, kAll},
    {"bare CR", "a\rb\r\n.\r\n", "", DataError::kBareCr, true, kAll},
    {"CR CR LF", "a\r\r\n.\r\n", "", DataError::kBareCr, true, kAll},
    {"LF CR", "a\n\r\n.\r\n", "", DataError::kBareLf, true, kAll},
    {"first error wins", "a\rb\nc\r\n.\r\n", "", DataError::kBareCr, true, kAll},
    {"error then pipelined", "a\nb\r\n.\r\nQUIT\r\n", "", DataError::kBareLf, true, 8},
};

}  // namespace

TEST(DataDecoder, Table) {
  for (const auto& c : kCases) {
    const size_t want_consumed = c.consumed == kAll ? c.wire.size() : c.consumed;
    const Result want{want_consumed, std::string(c.output), c.error, c.done};
    EXPECT_EQ(one_shot(c.wire), want) << c.name;
    EXPECT_EQ(decode(c.wire, {}, [] { return size_t{1}; }), want) << c.name << " (byte at a time)";
    for (size_t split = 0; split <= c.wire.size(); ++split) {
      // Two chunks, split everywhere ("\r" | "\n", "\r\n" | ".", ...).
      bool first = true;
      auto two = [&] {
        size_t n = first ? split : c.wire.size();
        first = false;
        return std::max<size_t>(n, 1);
      };
      EXPECT_EQ(decode(c.wire, {}, two), want) << c.name << " split at " << split;
    }
  }
}

TEST(DataDecoder, ErrorNamesAndReplies) {
  EXPECT_EQ(data_error_name(DataError::kBareLf), "bare_lf");
  EXPECT_EQ(data_error_name(DataError::kBareCr), "bare_cr");
  EXPECT_EQ(data_error_name(DataError::kLineTooLong), "line_too_long");
  EXPECT_EQ(data_error_name(DataError::kTooBig), "too_big");
  EXPECT_EQ(data_error_reply(DataError::kTooBig).wire(), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(data_error_reply(DataError::kBareLf).code, 550);
  EXPECT_EQ(data_error_name(DataError::kNul), "nul");
  Limits l;
  EXPECT_EQ(data_error_reply(DataError::kLineTooLong, l).code, 554) << "RFC 5321 4.3.2: no 500 after DATA";
  EXPECT_EQ(data_error_reply(DataError::kNul).code, 554);
  for (const std::string wire : {std::string("a\0b\r\n.\r\n", 8), std::string("\0\r\n.\r\n", 6),
                                 std::string("x\r\n.\0\r\n.\r\n", 10)}) {
    auto r = one_shot(wire);
    EXPECT_EQ(r.error, DataError::kNul) << wire.size();
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(r.output.empty());
  }
}

TEST(DataDecoder, LineLength) {
  const std::string ok_line(998, 'x');  // + CRLF = 1000, the RFC limit
  EXPECT_EQ(one_shot(ok_line + "\r\n.\r\n").error, DataError::kNone);
  EXPECT_EQ(one_shot("." + std::string(997, 'x') + "\r\n.\r\n").error, DataError::kNone);  // stuffing counts
  EXPECT_EQ(one_shot("." + std::string(998, 'x') + "\r\n.\r\n").error, DataError::kLineTooLong);
  auto r = one_shot(ok_line + "x\r\nmore\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(r.error, DataError::kLineTooLong);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.consumed, 999u + 2 + 6 + 3);
  // A very long line without any CRLF is caught early and memory stays small.
  DataDecoder d;
  const std::string chunk(4096, 'y');
  for (int i = 0; i < 100; ++i) d.feed(chunk);
  EXPECT_EQ(d.error(), DataError::kLineTooLong);
  EXPECT_TRUE(d.output().empty());
  EXPECT_EQ(d.feed("\r\n.\r\n"), 5u);
  EXPECT_TRUE(d.done());
  // Configurable.
  Limits limits;
  limits.max_text_line = 10;
  EXPECT_EQ(one_shot("12345678\r\n.\r\n", limits).error, DataError::kNone);
  EXPECT_EQ(one_shot("123456789\r\n.\r\n", limits).error, DataError::kLineTooLong);
  limits.max_text_line = 100000;
  EXPECT_EQ(one_shot(std::string(5000, 'z') + "\r\n.\r\n", limits).error, DataError::kNone);
}

TEST(DataDecoder, TooBigStaysBounded) {
  Limits limits;
  limits.max_message_size = 100;
  // Exactly at the limit is fine (100 bytes = 10 lines of 8 + CRLF).
  std::string exact;
  for (int i = 0; i < 10; ++i) exact += "12345678\r\n";
  auto r = one_shot(exact + ".\r\n", limits);
  EXPECT_EQ(r.error, DataError::kNone);
  EXPECT_EQ(r.output, exact);
  EXPECT_EQ(one_shot(exact + "x\r\n.\r\n", limits).error, DataError::kTooBig);

  // 20 MB through a 100-byte limit: output never grows past the limit, the
  // decoder keeps consuming and still finds the end.
  DataDecoder d(limits);
  const std::string line = std::string(70, 'm') + "\r\n";
  std::string chunk;
  while (chunk.size() < 64 * 1024) chunk += line;
  uint64_t fed = 0;
  for (int i = 0; i < 320; ++i) {
    ASSERT_EQ(d.feed(chunk), chunk.size());
    fed += chunk.size();
    ASSERT_LE(d.output().size(), 100u);
    ASSERT_LE(d.output().capacity(), 1024u);
  }
  EXPECT_EQ(d.error(), DataError::kTooBig);
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.feed(".\r\nQUIT\r\n"), 3u);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.bytes_seen(), fed + 3);
  EXPECT_EQ(d.message_size(), fed);
  EXPECT_TRUE(d.output().empty());
}

TEST(DataDecoder, ResetAndTake) {
  DataDecoder d;
  d.feed("a\nb\r\n.\r\n");
  EXPECT_EQ(d.error(), DataError::kBareLf);
  d.reset();
  EXPECT_EQ(d.error(), DataError::kNone);
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.feed("x\r\n"), 3u);
  EXPECT_EQ(d.take_output(), "x\r\n");
  EXPECT_EQ(d.output(), "");
  EXPECT_EQ(d.feed("y\r\n.\r\n"), 6u);
  EXPECT_EQ(d.take_output(), "y\r\n");
  EXPECT_EQ(d.bytes_seen(), 9u);
}

namespace {

// Random wire text biased toward the interesting bytes.
std::string random_wire(std::mt19937& rng, size_t len) {
  static const char kBytes[] = {'\r', '\n', '.', 'a', ' ', '\r', '\n', '.', 'b', '\0'};
  std::string s(len, 'a');
  for (auto& c : s) c = kBytes[rng() % sizeof kBytes];
  return s;
}

// The straightforward line-by-line reading of RFC 5321 4.5.2 for input that
// is well-formed (CRLF only): the reference the decoder must agree with.
std::optional<std::pair<std::string, size_t>> reference_decode(std::string_view wire) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t eol = wire.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view line = wire.substr(pos, eol - pos);
    pos = eol + 2;
    if (line == ".") return std::make_pair(out, pos);
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);
    out.append(line);
    out += "\r\n";
  }
}

}  // namespace

TEST(DataDecoder, RandomSplitsMatchOneShot) {
  std::mt19937 rng(20240601);
  Limits limits;
  limits.max_text_line = 40;
  limits.max_message_size = 300;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string wire = random_wire(rng, rng() % 400);
    if (rng() % 2) wire += "\r\n.\r\nQUIT\r\n";
    const Result whole = one_shot(wire, limits);
    EXPECT_EQ(decode(wire, limits, [] { return size_t{1}; }), whole) << iter;
    EXPECT_EQ(decode(wire, limits, [&] { return size_t{1 + rng() % 7}; }), whole) << iter;
    EXPECT_EQ(decode(wire, limits, [&] { return size_t{1 + rng() % 200}; }), whole) << iter;
  }
}

TEST(DataDecoder, AgreesWithReferenceOnCleanInput) {
  std::mt19937 rng(7);
  int checked = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    // Lines of random content without CR or LF, joined by CRLF.
    std::string wire;
    int lines = rng() % 8;
    for (int l = 0; l < lines; ++l) {
      std::string line = random_wire(rng, rng() % 6);
      for (auto& c : line)
        if (c == '\r' || c == '\n' || c == '\0') c = '.';  // NUL is refused: not clean
      wire += line + "\r\n";
    }
    wire += ".\r\nRSET\r\n";
    auto ref = reference_decode(wire);
    ASSERT_TRUE(ref);
    auto got = one_shot(wire);
    EXPECT_EQ(got.error, DataError::kNone);
    EXPECT_TRUE(got.done);
    EXPECT_EQ(got.output, ref->first) << iter;
    EXPECT_EQ(got.consumed, ref->second) << iter;
    ++checked;
  }
  EXPECT_EQ(checked, 3000);
}

TEST(DotStuffer, Table) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ".\r\n"},
      {"a", "a\r\n.\r\n"},
      {"a\r\n", "a\r\n.\r\n"},
      {".", "..\r\n.\r\n"},
      {".a\r\n", "..a\r\n.\r\n"},
      {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
      {"a.b\r\n", "a.b\r\n.\r\n"},
      {"\r\n.\r\n", "\r\n..\r\n.\r\n"},
      // Line endings normalised, so no bare CR/LF can reach the peer.
      {"a\n.b\n", "a\r\n..b\r\n.\r\n"},
      {"a\rb", "a\r\nb\r\n.\r\n"},
      {"a\r", "a\r\n.\r\n"},
      {"a\r\r\n", "a\r\n\r\n.\r\n"},
      {"\n.\n", "\r\n..\r\n.\r\n"},
  };
  for (auto [in, want] : cases) {
    EXPECT_EQ(dot_stuff(in), want) << in;
    for (size_t split = 0; split <= in.size(); ++split) {
      DotStuffer s;
      std::string out;
      s.feed(in.substr(0, split), out);
      s.feed(in.substr(split), out);
      s.finish(out);
      EXPECT_EQ(out, want) << in << " split at " << split;
    }
  }
}

TEST(DotStuffer, RoundTripsThroughDecoder) {
  std::mt19937 rng(99);
  Limits limits;
  limits.max_text_line = 100000;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string msg = random_wire(rng, rng() % 200);
    std::erase(msg, '\0');  // the decoder refuses NUL; the stuffer passes it on as any byte
    std::string wire;
    DotStuffer s;
    for (size_t pos = 0; pos < msg.size();) {
      size_t n = 1 + rng() % 9;
      s.feed(std::string_view(msg).substr(pos, n), wire);
      pos += n;
    }
    s.finish(wire);
    wire += "NOOP\r\n";
    auto got = one_shot(wire, limits);
    ASSERT_TRUE(got.done) << iter;
    EXPECT_EQ(got.error, DataError::kNone) << iter;
    EXPECT_EQ(got.consumed, wire.size() - 6);
    // What went in, with line endings made CRLF and a final CRLF ensured.
    std::string want;
    for (size_t i = 0; i < msg.size(); ++i) {
      if (msg[i] == '\r') {
        want += "\r\n";
        if (i + 1 < msg.size() && msg[i + 1] == '\n') ++i;
      } else if (msg[i] == '\n') {
        want += "\r\n";
      } else {
        want += msg[i];
      }
    }
    if (!want.empty() && !want.ends_with("\r\n")) want += "\r\n";
    EXPECT_EQ(got.output, want) << iter;
  }
}
