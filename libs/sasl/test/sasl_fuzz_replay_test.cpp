// SPDX-License-Identifier: Apache-2.0
// Runs the sasl libFuzzer target (tests/fuzz/sasl/fuzz_sasl.cpp) without
// libFuzzer: every seed in its corpus, then deterministic random and mutated
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

std::vector<std::string> load_seeds() { return load_dir(MAIL_SASL_CORPUS_DIR); }

TEST(SaslFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_SASL_CORPUS_DIR)) << "missing seed corpus " << MAIL_SASL_CORPUS_DIR;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 5u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(SaslFuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {"\n", "=", "==", "*", "A", "AA", "AAAA", "/", "+", " ", "\r",
                                           std::string(1, '\0'), "AGRlbW8A", "wA", "w4k=", "\xff"};
  std::mt19937_64 rng(0x5a51);
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s = iter % 4 == 0 ? mail::fuzz::random_bytes(rng, 300) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    ASSERT_EQ(run_one(s), 0);
  }
  // Sizes around the small limits (mode 4: 64-octet lines, 16-octet fields).
  for (size_t n : {60u, 63u, 64u, 65u, 68u}) {
    run_one(std::string("\x06") + std::string(n, 'A'));
    run_one(std::string("\x02") + std::string(n, 'A'));
  }
}

}  // namespace
