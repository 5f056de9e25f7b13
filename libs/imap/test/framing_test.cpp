// SPDX-License-Identifier: Apache-2.0
// Tests of literal_at_end() and tag_of(): announcements of both kinds,
// sizes over the limit, lines that merely look like literals, and a frame
// split at every byte the way the session engine would read it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/imap/command.h"
#include "mail/imap/framing.h"

using namespace mail::imap;

namespace {

TEST(ImapFraming, LiteralAtEnd) {
  struct Case {
    std::string line;
    FrameInfo want;
  };
  const std::vector<Case> cases = {
      {"a LOGIN {5}", {FrameInfo::kLiteral, 5, true, false}},
      {"a LOGIN {5+}", {FrameInfo::kLiteral, 5, false, false}},
      {"a LOGIN alice {0}", {FrameInfo::kLiteral, 0, true, false}},
      {"a APPEND x (\\Seen) {310}", {FrameInfo::kLiteral, 310, true, false}},
      {"a APPEND x ~{12}", {FrameInfo::kLiteral, 12, true, true}},
      {"a APPEND x UTF8 (~{12+}", {FrameInfo::kLiteral, 12, false, true}},
      {"a FETCH 1 (BODY[HEADER.FIELDS {4}", {FrameInfo::kLiteral, 4, true, false}},
      {"{3}", {FrameInfo::kLiteral, 3, true, false}},
      {"a LOGIN {52428800}", {FrameInfo::kLiteral, 52428800, true, false}},
      {"a LOGIN {52428801}", {FrameInfo::kTooLarge, 52428801, true, false}},
      {"a LOGIN {52428801+}", {FrameInfo::kTooLarge, 52428801, false, false}},
      {"a LOGIN {99999999999999999999}", {FrameInfo::kTooLarge, 0, true, false}},
      {"a LOGIN {18446744073709551615}", {FrameInfo::kTooLarge, 18446744073709551615ull, true, false}},
      {"a NOOP", {}},
      {"", {}},
      {"}", {}},
      {"{}", {}},
      {"a LOGIN {}", {}},
      {"a LOGIN {+}", {}},
      {"a LOGIN {5", {}},
      {"a LOGIN 5}", {}},
      {"a LOGIN {5 }", {}},
      {"a LOGIN {-5}", {}},
      {"a LOGIN {5++}", {}},
      {"a LOGIN x{5}", {}},
      {"a LOGIN \"{5}", {}},
      {"a LOGIN {5} ", {}},
  };
  for (const auto& c : cases) EXPECT_EQ(literal_at_end(c.line), c.want) << c.line;
  Limits small;
  small.max_literal = 4096;
  EXPECT_EQ(literal_at_end("a LOGIN {4097+}", small).kind, FrameInfo::kTooLarge);
  EXPECT_EQ(literal_at_end("a LOGIN {4096+}", small).kind, FrameInfo::kLiteral);
}

TEST(ImapFraming, TagOf) {
  EXPECT_EQ(tag_of("a001 NOOP"), "a001");
  EXPECT_EQ(tag_of("a001"), "a001");
  EXPECT_EQ(tag_of("x] garbage \x01"), "x]");
  EXPECT_EQ(tag_of("a001 \"unterminated"), "a001");
  EXPECT_EQ(tag_of(""), std::nullopt);
  EXPECT_EQ(tag_of(" NOOP"), std::nullopt);
  EXPECT_EQ(tag_of("+ NOOP"), std::nullopt);
  EXPECT_EQ(tag_of("a+1 NOOP"), std::nullopt);
  EXPECT_EQ(tag_of("a\x01 NOOP"), std::nullopt);
  EXPECT_EQ(tag_of("a\xc3\xa9 NOOP"), std::nullopt);
  EXPECT_EQ(tag_of(std::string(200, 'a') + " NOOP"), std::nullopt);
  EXPECT_TRUE(is_valid_tag("A.1-x]"));
  EXPECT_FALSE(is_valid_tag("*"));
  EXPECT_FALSE(is_valid_tag(""));
}

// Reads a byte stream the way the session engine does: a line up to CRLF,
// then parse_frame() (literal_at_end) decides whether N literal octets and
// another line follow. Returns the frames handed to on_frame().
std::vector<std::string> read_frames(const std::string& stream, size_t chunk) {
  std::vector<std::string> frames;
  std::string buffered, frame;
  size_t need_literal = 0;
  bool in_literal = false;
  for (size_t i = 0; i < stream.size(); i += chunk) {
    buffered += stream.substr(i, chunk);
    while (true) {
      if (in_literal) {
        if (buffered.size() < need_literal) break;
        frame += buffered.substr(0, need_literal);
        buffered.erase(0, need_literal);
        in_literal = false;
        continue;
      }
      size_t crlf = buffered.find("\r\n");
      if (crlf == std::string::npos) break;
      std::string line = buffered.substr(0, crlf);
      buffered.erase(0, crlf + 2);
      frame += line;
      FrameInfo fi = literal_at_end(line);
      if (fi.kind == FrameInfo::kLiteral) {
        frame += "\r\n";
        need_literal = static_cast<size_t>(fi.size);
        in_literal = true;
      } else {
        frames.push_back(frame);
        frame.clear();
      }
    }
  }
  return frames;
}

TEST(ImapFraming, SplitAtEveryByte) {
  const std::string stream =
      "a1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n"
      "a2 APPEND INBOX (\\Seen) {12}\r\nSubject: x\r\n\r\n"
      "a3 SEARCH HEADER {2}\r\n{} {3}\r\n{3}\r\n"
      "a4 NOOP\r\n";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    auto frames = read_frames(stream, chunk);
    ASSERT_EQ(frames.size(), 4u) << "chunk " << chunk;
    EXPECT_EQ(frames[0], "a1 LOGIN {5}\r\nalice {6+}\r\nsecret");
    EXPECT_EQ(frames[1], "a2 APPEND INBOX (\\Seen) {12}\r\nSubject: x\r\n");
    EXPECT_EQ(frames[3], "a4 NOOP");
    std::vector<std::string> verbs;
    for (const auto& f : frames) {
      Result r = parse_command(f);
      ASSERT_TRUE(std::holds_alternative<Command>(r)) << testing::PrintToString(f) << ": " << std::get<Error>(r).text;
      verbs.emplace_back(verb_name(std::get<Command>(r)));
    }
    EXPECT_EQ(verbs, (std::vector<std::string>{"LOGIN", "APPEND", "SEARCH", "NOOP"}));
  }
  // Every prefix of a frame's first line: only the whole announcement is one.
  const std::string line = "a1 LOGIN {123+}";
  for (size_t n = 0; n < line.size(); ++n)
    EXPECT_EQ(literal_at_end(line.substr(0, n)).kind, FrameInfo::kComplete) << line.substr(0, n);
  EXPECT_EQ(literal_at_end(line).size, 123u);
}

}  // namespace
