// SPDX-License-Identifier: Apache-2.0
// Runs the stored-structure libFuzzer target (tests/fuzz/mime_structure)
// without libFuzzer: its seeds; the stored form of every message of the
// mime fuzz seeds and of the shared mail-gem corpus (when present); then a
// few thousand deterministic mutations of those (bytes flipped, cut,
// spliced, varint-looking tokens). The target aborts on a broken
// invariant, which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"
#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

std::vector<std::string> encoded(const std::vector<std::string>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(mail::mime::encode_structure(mail::mime::parse_structure(m)));
  return out;
}

TEST(MimeStructureFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_MIME_STRUCTURE_FUZZ_CORPUS))
      << "missing seed corpus " << MAIL_MIME_STRUCTURE_FUZZ_CORPUS;
  auto seeds = load_dir(MAIL_MIME_STRUCTURE_FUZZ_CORPUS, false);
  ASSERT_GE(seeds.size(), 3u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(MimeStructureFuzzReplay, StoredFormOfCorpora) {
  for (const auto& s : encoded(load_dir(MAIL_MIME_FUZZ_CORPUS, false))) EXPECT_EQ(run_one(s), 0);
  for (const auto& s : encoded(load_dir(std::filesystem::path(MAIL_CORPUS_DIR) / "mail-gem", true)))
    EXPECT_EQ(run_one(s), 0);
}

TEST(MimeStructureFuzzReplay, Mutated) {
  auto seeds = load_dir(MAIL_MIME_STRUCTURE_FUZZ_CORPUS, false);
  for (auto& s : encoded(load_dir(MAIL_MIME_FUZZ_CORPUS, false))) seeds.push_back(std::move(s));
  ASSERT_FALSE(seeds.empty());
  const std::vector<std::string> tokens = {std::string(1, '\0'), "\x01", "\x7f", "\x80", "\xff\xff\xff\xff\x0f",
                                           std::string(10, '\xff'), "\x80\x01", "\x09multipart", "\x07message",
                                           "\x06rfc822", "\x04text", "\x05plain", "\x08boundary"};
  std::mt19937_64 rng(0x2045);
  size_t accepted = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s = iter % 5 == 0 ? mail::fuzz::random_bytes(rng, 200) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    if (iter % 3 == 0 && !s.empty()) s[0] = static_cast<char>(mail::mime::kStructureFormat);
    ASSERT_EQ(run_one(s), 0);
    accepted += std::holds_alternative<mail::mime::Part>(mail::mime::decode_structure(s));
  }
  // Enough mutations decode for the checks on accepted trees to run.
  EXPECT_GT(accepted, 100u);
}

}  // namespace
