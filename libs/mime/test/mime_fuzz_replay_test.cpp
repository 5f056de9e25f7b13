// SPDX-License-Identifier: Apache-2.0
// Runs the mime libFuzzer target without libFuzzer: every seed in
// tests/fuzz/mime/corpus and of the shared mail-gem corpus (when present),
// then a few thousand deterministic random and mutated inputs. The target aborts on a broken invariant, which fails this test.
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

std::vector<std::string> load_dir(const std::filesystem::path& dir, bool recursive) {
  std::vector<std::string> seeds;
  if (!std::filesystem::is_directory(dir)) return seeds;
  auto add = [&](const std::filesystem::directory_entry& entry) {
    if (!entry.is_regular_file()) return;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    seeds.push_back(ss.str());
  };
  if (recursive) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) add(entry);
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) add(entry);
  }
  return seeds;
}

std::vector<std::string> load_seeds() { return load_dir(MAIL_MIME_FUZZ_CORPUS, false); }

// Real messages as extra mutation material; optional (MimeCorpus requires them).
std::vector<std::string> load_mail_gem() { return load_dir(std::filesystem::path(MAIL_CORPUS_DIR) / "mail-gem", true); }

TEST(MimeFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_MIME_FUZZ_CORPUS)) << "missing seed corpus " << MAIL_MIME_FUZZ_CORPUS;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 3u);
  for (const auto& s : seeds) EXPECT_EQ(run(s), 0);
}

TEST(MimeFuzzReplay, MailGemCorpus) {
  for (const auto& s : load_mail_gem()) EXPECT_EQ(run(s), 0);
}

TEST(MimeFuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  for (auto& m : load_mail_gem()) seeds.push_back(m.substr(0, 4096));
  const std::vector<std::string> tokens = {"\r\n", "\n", "\r", ":", " ", "\t", "\r\n\r\n", "\n\n", "\r\n ",
                                           "Received:", "received :", "From ", "Subject: ", std::string(1, '\0'),
                                           "\xff", "X"};
  std::mt19937_64 rng(0x5322);
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
  // Long and many-field inputs around the default limits.
  std::string many;
  for (int i = 0; i < 10001; ++i) many += "R: x\r\n";
  EXPECT_EQ(run(many), 0);
  EXPECT_EQ(run("X: " + std::string(1024 * 1024, 'a') + "\r\n\r\nbody"), 0);
}

}  // namespace
