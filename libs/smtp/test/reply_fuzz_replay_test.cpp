// SPDX-License-Identifier: Apache-2.0
// Runs the libFuzzer target tests/fuzz/smtp_reply/fuzz_smtp_reply.cpp under
// GoogleTest: every seed in its corpus, then seeded random and mutated
// inputs, so the reply parser's invariants are checked in every build (a
// violation traps).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::mutate_seed;
using mail::fuzz::random_bytes;
using mail::fuzz::run_one;

TEST(SmtpReplyFuzzReplay, Corpus) {
  auto seeds = load_dir(MAIL_SMTP_REPLY_CORPUS_DIR);
  ASSERT_GE(seeds.size(), 5u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(SmtpReplyFuzzReplay, RandomAndMutated) {
  auto seeds = load_dir(MAIL_SMTP_REPLY_CORPUS_DIR);
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {"\r\n", "\r", "\n", "250-", "250 ", "550 5.1.1 ", "2.0.0 ", "-", " ",
                                           "AUTH=", "SIZE ", "@", "\"", "\\", "\xc3\xa9", std::string("\0", 1)};
  std::mt19937_64 rng(20261203);
  int runs = 0;
  for (int i = 0; i < 1500; ++i, ++runs) EXPECT_EQ(run_one(random_bytes(rng, 300)), 0);
  for (int i = 0; i < 4000; ++i, ++runs) EXPECT_EQ(run_one(mutate_seed(rng, seeds, tokens)), 0);
  EXPECT_EQ(runs, 5500);
}

}  // namespace
