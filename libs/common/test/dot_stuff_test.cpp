// SPDX-License-Identifier: Apache-2.0
// Tests of the one dot-stuffer: a table of raw inputs and their exact wire
// bytes, the same bytes for every split of the input (into two pieces at
// every byte, three pieces at every pair of bytes, and one byte at a time),
// and reuse after finish().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/common/dot_stuff.h"

using mail::common::dot_stuff;
using mail::common::DotStuffer;

namespace {

struct Case {
  std::string in;
  std::string want;
};

std::string s(const char* p, size_t n) { return std::string(p, n); }

const std::vector<Case> kCases = {
    {"", ".\r\n"},
    {"a", "a\r\n.\r\n"},
    {"a\r\n", "a\r\n.\r\n"},
    {"a\r", "a\r\n.\r\n"},
    {"a\n", "a\r\n.\r\n"},                              // bare LF → CRLF
    {"a\rb", "a\r\nb\r\n.\r\n"},                         // bare CR → CRLF
    {"a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},                 // CR, then CRLF
    {"a\n\rb", "a\r\n\r\nb\r\n.\r\n"},                   // LF then CR: two line ends
    {".", "..\r\n.\r\n"},
    {".\r\n", "..\r\n.\r\n"},
    {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
    {"..x\r\n.y\r\n", "...x\r\n..y\r\n.\r\n"},
    {"a.b\r\n x.\r\n", "a.b\r\n x.\r\n.\r\n"},
    {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},                // the smuggling shapes all get stuffed
    {"a\r.\r\n", "a\r\n..\r\n.\r\n"},
    {"a\r\n.\n", "a\r\n..\r\n.\r\n"},
    {"a\n.\r\n", "a\r\n..\r\n.\r\n"},
    {"\r\n\r\n", "\r\n\r\n.\r\n"},
    {"\n\n", "\r\n\r\n.\r\n"},
    {"\r", "\r\n.\r\n"},
    {s("\0", 1), s("\0\r\n.\r\n", 6)},                   // NUL passes (the receiver refuses it)
    {s("a\0.\r\n", 5), s("a\0.\r\n.\r\n", 8)},
};

TEST(DotStuff, Table) {
  for (const auto& c : kCases) EXPECT_EQ(dot_stuff(c.in), c.want) << testing::PrintToString(c.in);
}

TEST(DotStuff, SplitAtEveryByte) {
  for (const auto& c : kCases) {
    const std::string_view in = c.in;
    for (size_t i = 0; i <= in.size(); ++i) {
      for (size_t j = i; j <= in.size(); ++j) {
        DotStuffer st;
        std::string out;
        st.feed(in.substr(0, i), out);
        st.feed(in.substr(i, j - i), out);
        st.feed(in.substr(j), out);
        st.finish(out);
        EXPECT_EQ(out, c.want) << testing::PrintToString(c.in) << " split at " << i << "," << j;
      }
    }
    DotStuffer st;
    std::string out;
    for (char ch : in) st.feed(std::string_view(&ch, 1), out);
    st.finish(out);
    EXPECT_EQ(out, c.want) << testing::PrintToString(c.in) << " byte at a time";
  }
}

// A longer message with every interesting pair of bytes, at every split.
TEST(DotStuff, LongMessageSplitAtEveryByte) {
  std::string in;
  const char pieces[] = {'.', '\r', '\n', 'x', '\0'};
  for (char a : pieces)
    for (char b : pieces)
      for (char c : pieces) {
        in += a;
        in += b;
        in += c;
      }
  const std::string want = dot_stuff(in);
  for (size_t i = 0; i <= in.size(); ++i) {
    DotStuffer st;
    std::string out;
    st.feed(std::string_view(in).substr(0, i), out);
    st.feed(std::string_view(in).substr(i), out);
    st.finish(out);
    ASSERT_EQ(out, want) << "split at " << i;
  }
  // Only CRLF line ends, and no line "." before the terminator.
  const std::string_view body = std::string_view(want).substr(0, want.size() - 3);
  for (size_t k = 0; k < want.size(); ++k) {
    if (want[k] == '\r') {
      EXPECT_EQ(want[k + 1], '\n') << k;
    }
    if (want[k] == '\n') {
      EXPECT_EQ(want[k - 1], '\r') << k;
    }
  }
  EXPECT_EQ(body.find("\r\n.\r\n"), std::string_view::npos);
  EXPECT_TRUE(want.ends_with("\r\n.\r\n"));
}

TEST(DotStuff, ReusableAfterFinishAndReset) {
  DotStuffer st;
  std::string out;
  st.feed("x\r", out);
  EXPECT_FALSE(st.at_line_start());
  st.finish(out);
  EXPECT_TRUE(st.at_line_start());
  st.feed(".y\r\n", out);
  st.finish(out);
  EXPECT_EQ(out, "x\r\n.\r\n..y\r\n.\r\n");
  st.feed("abc\r", out);
  st.reset();
  out.clear();
  st.feed(".", out);
  st.finish(out);
  EXPECT_EQ(out, "..\r\n.\r\n");
}

}  // namespace

TEST(ToCrlf, OneRuleForLineEndsWithoutStuffing) {
  EXPECT_EQ(mail::common::to_crlf("a\r\nb\nc\rd\r"), "a\r\nb\r\nc\r\nd\r\n");
  EXPECT_EQ(mail::common::to_crlf(".x\n\n"), ".x\r\n\r\n") << "no dot-stuffing";
  EXPECT_EQ(mail::common::to_crlf("no end"), "no end") << "nothing added at the end";
}
