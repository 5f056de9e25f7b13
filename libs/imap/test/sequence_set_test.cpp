// SPDX-License-Identifier: Apache-2.0
// Tests of sequence-set parsing, resolving against a message count or
// highest UID, iteration, and formatting UID lists back into sets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/imap/sequence_set.h"

using namespace mail::imap;

namespace {

ResolvedSet resolved(std::string_view text, uint32_t max) {
  auto set = parse_sequence_set(text, Limits{});
  EXPECT_TRUE(set) << text;
  return set ? resolve(*set, max) : ResolvedSet{};
}

TEST(ImapSequenceSet, Parse) {
  EXPECT_EQ(parse_sequence_set("1", {}), (SequenceSet{{{1, 1}}, false}));
  EXPECT_EQ(parse_sequence_set("*", {}), (SequenceSet{{{kStar, kStar}}, false}));
  EXPECT_EQ(parse_sequence_set("5:3,7,9:*", {}), (SequenceSet{{{5, 3}, {7, 7}, {9, kStar}}, false}));
  EXPECT_EQ(parse_sequence_set("4294967295", {}), (SequenceSet{{{4294967295u, 4294967295u}}, false}));
  auto saved = parse_sequence_set("$", {});
  ASSERT_TRUE(saved);
  EXPECT_TRUE(saved->saved);
  EXPECT_FALSE(saved->has_star());
  EXPECT_TRUE(parse_sequence_set("1:*", {})->has_star());
  for (std::string_view bad : {"", "0", "01", "1:", ":1", "1,", ",1", "1,,2", "1:2:3", "4294967296", "a", "1:0", "$,1",
                               "$$", "1 2", "-1", "**"}) {
    Error e;
    EXPECT_FALSE(parse_sequence_set(bad, {}, &e)) << bad;
    EXPECT_EQ(e.kind, ErrorKind::kSyntax) << bad;
  }
  Limits limits;
  limits.max_sequence_ranges = 3;
  EXPECT_TRUE(parse_sequence_set("1,2,3", limits));
  Error e;
  EXPECT_FALSE(parse_sequence_set("1,2,3,4", limits, &e));
  EXPECT_EQ(e.kind, ErrorKind::kTooMany);
}

TEST(ImapSequenceSet, Resolve) {
  using I = ResolvedSet::Interval;
  EXPECT_EQ(resolved("1:*", 5).intervals, (std::vector<I>{{1, 5}}));
  EXPECT_EQ(resolved("*:3", 5).intervals, (std::vector<I>{{3, 5}}));
  EXPECT_EQ(resolved("7:3", 10).intervals, (std::vector<I>{{3, 7}}));
  EXPECT_EQ(resolved("1,2,3,5:6,4", 10).intervals, (std::vector<I>{{1, 6}}));
  EXPECT_EQ(resolved("8,1:2,20", 10).intervals, (std::vector<I>{{1, 2}, {8, 8}}));
  // RFC 3501 §6.4.8: for UIDs "n:*" includes the highest UID even if n is larger.
  EXPECT_EQ(resolved("50:*", 3).intervals, (std::vector<I>{{3, 3}}));
  EXPECT_TRUE(resolved("1:*", 0).intervals.empty());
  EXPECT_EQ(resolved("4294967294:*", 4294967295u).count(), 2u);
  auto r = resolved("2:4,9", 10);
  EXPECT_EQ(r.count(), 4u);
  EXPECT_TRUE(r.contains(3));
  EXPECT_TRUE(r.contains(9));
  EXPECT_FALSE(r.contains(1));
  EXPECT_FALSE(r.contains(5));
  EXPECT_FALSE(r.contains(10));
  std::vector<uint32_t> seen;
  r.for_each([&](uint32_t n) { seen.push_back(n); });
  EXPECT_EQ(seen, (std::vector<uint32_t>{2, 3, 4, 9}));
  // The last UID iterates without wrapping.
  seen.clear();
  resolved("4294967295", 4294967295u).for_each([&](uint32_t n) { seen.push_back(n); });
  EXPECT_EQ(seen, (std::vector<uint32_t>{4294967295u}));
  EXPECT_TRUE(resolve(*parse_sequence_set("$", {}), 10).intervals.empty());
  EXPECT_TRUE(within(*parse_sequence_set("1:5,*", {}), 5));
  EXPECT_FALSE(within(*parse_sequence_set("1:6", {}), 5));
  EXPECT_FALSE(within(*parse_sequence_set("1", {}), 0));
}

TEST(ImapSequenceSet, Format) {
  EXPECT_EQ(format_sequence_set(std::vector<uint32_t>{1, 2, 3, 5, 7, 8, 9}), "1:3,5,7:9");
  EXPECT_EQ(format_sequence_set(std::vector<uint32_t>{9, 3, 1, 2, 2, 8}), "1:3,8:9");
  EXPECT_EQ(format_sequence_set(std::vector<uint32_t>{}), "");
  EXPECT_EQ(format_sequence_set(std::vector<uint32_t>{4294967295u, 4294967294u}), "4294967294:4294967295");
  EXPECT_EQ(format_sequence_set(*parse_sequence_set("5:3,7,9:*", {})), "5:3,7,9:*");
  EXPECT_EQ(format_sequence_set(*parse_sequence_set("$", {})), "$");
  EXPECT_EQ(format_sequence_set(resolved("5:3,4,9:*", 10)), "3:5,9:10");
}

}  // namespace
