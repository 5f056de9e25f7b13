// SPDX-License-Identifier: Apache-2.0
// Runs the imap libFuzzer target without libFuzzer: every seed in
// tests/fuzz/imap/corpus, then a few thousand deterministic random and
// mutated inputs. The target aborts on a broken invariant, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

std::vector<std::string> load_seeds() { return load_dir(MAIL_IMAP_FUZZ_CORPUS); }

TEST(ImapFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_IMAP_FUZZ_CORPUS)) << "missing seed corpus " << MAIL_IMAP_FUZZ_CORPUS;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 10u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(ImapFuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {
      "\r\n", " ", "(", ")", "[", "]", "<", ">", "{", "}", "{0}\r\n", "{3}\r\n", "{5+}\r\n", "~{2}\r\n", "\"", "\\",
      "*", "$", ":", ",", "%", "&", "&-", "&AOk-", "NIL", "UID ", "NOT ", "OR ", "BODY.PEEK[", "HEADER.FIELDS (",
      "4294967295", "4294967296", "9223372036854775808", std::string(1, '\0'), "\xc3\xa9", "\xff", "17-Jul-1996 02:44:25 -0700"};
  std::mt19937_64 rng(0x1a4b);
  for (int iter = 0; iter < 30000; ++iter) {
    std::string s = iter % 4 == 0 ? mail::fuzz::random_bytes(rng, 300) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    ASSERT_EQ(run_one(s), 0) << testing::PrintToString(s);
  }
  // Deep nesting and long inputs.
  run_one("a SEARCH " + std::string(5000, '(') + "ALL" + std::string(5000, ')'));
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 2000; ++i) nots += "OR ";
  run_one(nots + "ALL");
  run_one("a FETCH " + std::string(3000, '1') + " FLAGS");
  std::string many = "a FETCH 1";
  for (int i = 0; i < 2000; ++i) many += ",1";
  run_one(many + " FLAGS");
}

}  // namespace
