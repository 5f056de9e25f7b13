// SPDX-License-Identifier: Apache-2.0
// Runs the mime libFuzzer target without libFuzzer: every seed in
// tests/fuzz/mime/corpus and of the shared mail-gem corpus (when present),
// then a few thousand deterministic random and mutated inputs (tokens of
// headers, MIME delimiters and address syntax spliced in). The target aborts
// on a broken invariant, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

std::vector<std::string> load_seeds() { return load_dir(MAIL_MIME_FUZZ_CORPUS, false); }

// Real messages as extra mutation material; optional (MimeCorpus requires them).
std::vector<std::string> load_mail_gem() { return load_dir(std::filesystem::path(MAIL_CORPUS_DIR) / "mail-gem", true); }

TEST(MimeFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_MIME_FUZZ_CORPUS)) << "missing seed corpus " << MAIL_MIME_FUZZ_CORPUS;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 3u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(MimeFuzzReplay, MailGemCorpus) {
  for (const auto& s : load_mail_gem()) EXPECT_EQ(run_one(s), 0);
}

TEST(MimeFuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  for (auto& m : load_mail_gem()) seeds.push_back(m.substr(0, 4096));
  const std::vector<std::string> tokens = {"\r\n", "\n", "\r", ":", " ", "\t", "\r\n\r\n", "\n\n", "\r\n ",
                                           "Received:", "received :", "From ", "Subject: ", std::string(1, '\0'),
                                           "\xff", "X", "--b\r\n", "--b--", "--o\r\n", "--i\r\n",
                                           "Content-Type: multipart/mixed; boundary=b\r\n", "Content-Type: message/rfc822\r\n",
                                           "; name*0*=a'b'%41", "(", ")", "\"", "\\", "<", ">", ",", ";", "@", "{"};
  std::mt19937_64 rng(0x5322);
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s = iter % 4 == 0 ? mail::fuzz::random_bytes(rng, 300) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    ASSERT_EQ(run_one(s), 0);
  }
  // Long and many-field inputs around the default limits.
  std::string many;
  for (int i = 0; i < 10001; ++i) many += "R: x\r\n";
  EXPECT_EQ(run_one(many), 0);
  EXPECT_EQ(run_one("X: " + std::string(1024 * 1024, 'a') + "\r\n\r\nbody"), 0);
}

}  // namespace
