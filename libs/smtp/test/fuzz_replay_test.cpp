// SPDX-License-Identifier: Apache-2.0
// Runs the libFuzzer target tests/fuzz/smtp/fuzz_smtp.cpp under GoogleTest:
// every seed in its corpus, then seeded random and mutated inputs, so that the
// target's invariant checks run in every CI build (a violation traps).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

std::vector<std::string> load_corpus() { return load_dir(MAIL_SMTP_CORPUS_DIR); }

std::string mutate(std::string s, std::mt19937& rng) {
  static const std::string_view kTokens[] = {"\r\n", "\r", "\n", ".", "\r\n.\r\n", "\n.\n", "<", ">", "@",
                                             "\"", ":", " ", "=", "MAIL FROM:", "RCPT TO:", "SIZE=",
                                             "AUTH PLAIN ", "*", "\xc3\xa9", "\xff", std::string_view("\0", 1)};
  const int edits = 1 + rng() % 6;
  for (int e = 0; e < edits; ++e) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 4) {
      case 0:
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(rng());
        break;
      case 1:
        if (pos < s.size()) s.erase(pos, 1 + rng() % 8);
        break;
      case 2:
        s.insert(pos, kTokens[rng() % std::size(kTokens)]);
        break;
      case 3:
        s.resize(pos);
        break;
    }
  }
  return s;
}

}  // namespace

TEST(SmtpFuzzReplay, Corpus) {
  auto seeds = load_corpus();
  ASSERT_GE(seeds.size(), 5u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(SmtpFuzzReplay, RandomAndMutated) {
  auto seeds = load_corpus();
  ASSERT_FALSE(seeds.empty());
  std::mt19937 rng(1234567);
  int runs = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 300, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    run_one(s);
    ++runs;
  }
  for (int i = 0; i < 4000; ++i) {
    run_one(mutate(seeds[rng() % seeds.size()], rng));
    ++runs;
  }
  EXPECT_EQ(runs, 6000);
}
