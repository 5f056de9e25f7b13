// SPDX-License-Identifier: Apache-2.0
// Runs the proxy libFuzzer target without libFuzzer: every seed in
// tests/fuzz/proxy/corpus, then deterministic random and mutated inputs.
// The target aborts on a broken invariant, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

TEST(ProxyFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_PROXY_FUZZ_CORPUS)) << "missing seed corpus " << MAIL_PROXY_FUZZ_CORPUS;
  auto seeds = load_dir(MAIL_PROXY_FUZZ_CORPUS);
  ASSERT_GE(seeds.size(), 4u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(ProxyFuzzReplay, RandomAndMutated) {
  auto seeds = load_dir(MAIL_PROXY_FUZZ_CORPUS);
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {std::string("\r\n\r\n\0\r\nQUIT\n", 12),
                                           "\x21", "\x20", "\x11", "\x21\x11", std::string("\x00\x0c", 2), std::string("\x00\x00", 2),
                                           "\xff\xff", "/", "/8", "/128", ",", " ", "::", "::ffff:", ".", "|"};
  std::mt19937_64 rng(0x9209);
  for (int iter = 0; iter < 6000; ++iter) {
    std::string s = iter % 4 == 0 ? mail::fuzz::random_bytes(rng, 120) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    ASSERT_EQ(run_one(s), 0);
  }
}

}  // namespace
