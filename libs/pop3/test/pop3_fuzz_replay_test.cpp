// SPDX-License-Identifier: Apache-2.0
// Runs the pop3 libFuzzer target without libFuzzer: every seed in
// tests/fuzz/pop3/corpus, then a few thousand deterministic random and mutated
// inputs. The target aborts on a broken invariant, which fails this test.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int run(const std::string& s) { return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

std::vector<std::string> load_seeds() {
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(MAIL_POP3_FUZZ_CORPUS)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    seeds.push_back(ss.str());
  }
  return seeds;
}

TEST(Pop3FuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_POP3_FUZZ_CORPUS)) << "missing seed corpus " << MAIL_POP3_FUZZ_CORPUS;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 3u);
  for (const auto& s : seeds) EXPECT_EQ(run(s), 0);
}

TEST(Pop3FuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {"\r\n", "\n", "\r", ".", " ", "..", "\r\n.\r\n", "RETR ", "TOP 1 ",
                                           "PASS ", "AUTH PLAIN ", "=", "0", "18446744073709551615", std::string(1, '\0'), "\x7f"};
  std::mt19937_64 rng(0x90903);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s;
    if (iter % 4 == 0) {
      size_t len = pick(300);
      for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>(rng()));
    } else {
      s = seeds[pick(seeds.size())];
      for (size_t m = 1 + pick(6); m > 0; --m) {
        size_t pos = s.empty() ? 0 : pick(s.size() + 1);
        switch (pick(4)) {
          case 0:
            if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(rng());
            break;
          case 1:
            if (pos < s.size()) s.erase(pos, 1 + pick(8));
            break;
          case 2:
            s.insert(pos, tokens[pick(tokens.size())]);
            break;
          default:
            s.insert(pos, seeds[pick(seeds.size())].substr(0, pick(40)));
            break;
        }
      }
    }
    ASSERT_EQ(run(s), 0);
  }
  // Sizes around the line limits.
  for (size_t n : {251u, 252u, 253u, 254u, 12285u, 12286u, 12287u}) {
    run("PASS " + std::string(n - 5, 'x'));
    run("AUTH PLAIN " + std::string(n - 11, 'A'));
  }
}

}  // namespace
