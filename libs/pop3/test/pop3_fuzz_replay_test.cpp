// SPDX-License-Identifier: Apache-2.0
// Runs the pop3 libFuzzer target without libFuzzer: every seed in
// tests/fuzz/pop3/corpus, then a few thousand deterministic random and mutated
// inputs. The target aborts on a broken invariant, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

std::vector<std::string> load_seeds() { return load_dir(MAIL_POP3_FUZZ_CORPUS); }

TEST(Pop3FuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_POP3_FUZZ_CORPUS)) << "missing seed corpus " << MAIL_POP3_FUZZ_CORPUS;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 3u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(Pop3FuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {"\r\n", "\n", "\r", ".", " ", "..", "\r\n.\r\n", "RETR ", "TOP 1 ",
                                           "PASS ", "AUTH PLAIN ", "=", "0", "18446744073709551615", std::string(1, '\0'), "\x7f"};
  std::mt19937_64 rng(0x90903);
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s = iter % 4 == 0 ? mail::fuzz::random_bytes(rng, 300) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    ASSERT_EQ(run_one(s), 0);
  }
  // Sizes around the line limits.
  for (size_t n : {251u, 252u, 253u, 254u, 12285u, 12286u, 12287u}) {
    run_one("PASS " + std::string(n - 5, 'x'));
    run_one("AUTH PLAIN " + std::string(n - 11, 'A'));
  }
}

}  // namespace
