// SPDX-License-Identifier: Apache-2.0
// Runs the mime_decode libFuzzer target (tests/fuzz/mime_decode) without
// libFuzzer: every seed in its corpus and every file of the shared mail-gem
// corpus (when present), then a few thousand deterministic random and
// mutated inputs with encoded-word, transfer-encoding, charset and subject
// tokens spliced in, and a few large inputs around the shapes that would
// make the decoders quadratic. The target aborts on a broken invariant,
// which fails this test.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "replay.h"

namespace {

using mail::fuzz::load_dir;
using mail::fuzz::run_one;

std::vector<std::string> load_seeds() { return load_dir(MAIL_MIME_DECODE_FUZZ_CORPUS, false); }

std::vector<std::string> load_mail_gem() { return load_dir(std::filesystem::path(MAIL_CORPUS_DIR) / "mail-gem", true); }

TEST(MimeDecodeFuzzReplay, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(MAIL_MIME_DECODE_FUZZ_CORPUS))
      << "missing seed corpus " << MAIL_MIME_DECODE_FUZZ_CORPUS;
  auto seeds = load_seeds();
  ASSERT_GE(seeds.size(), 5u);
  for (const auto& s : seeds) EXPECT_EQ(run_one(s), 0);
}

TEST(MimeDecodeFuzzReplay, MailGemCorpus) {
  for (const auto& s : load_mail_gem()) EXPECT_EQ(run_one(s), 0);
}

TEST(MimeDecodeFuzzReplay, RandomAndMutated) {
  auto seeds = load_seeds();
  ASSERT_FALSE(seeds.empty());
  for (auto& m : load_mail_gem()) seeds.push_back(m.substr(0, 4096));
  // clang-format off
  const std::vector<std::string> tokens = {
      "=?", "?=", "?q?", "?Q?", "?b?", "?B?", "=?utf-8?q?", "=?iso-8859-1?B?", "=?ISO-2022-JP?B?GyRC", "*en",
      "_", "=C3", "=A9", "=3D", "=\r\n", "= \r\n", "=", "==", "\x1B$B", "\x1B(B", "\xC3", "\xA9", "\xE2\x84\xAA",
      "\xFE\xFF", std::string(1, '\0'), "\r\n", "\n", " ", "\t", "\r\n ", "Re:", "RE ", "Fwd:", "fw:", "[", "]",
      "[list] ", "(fwd)", "[Fwd:", "Subject: ", "\r\n\r\n", "--b\r\n", "--b--",
      "Content-Type: multipart/alternative; boundary=b\r\n", "Content-Type: message/rfc822\r\n",
      "Content-Transfer-Encoding: base64\r\n", "Content-Transfer-Encoding: quoted-printable\r\n",
      "Content-Type: text/plain; charset=utf-16\r\n", "Content-Type: text/html; charset=iso-2022-jp\r\n",
      "; charset*=koi8-r''", "ΣΑΣ", "İ", "ß"};
  // clang-format on
  std::mt19937_64 rng(0x2047);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = iter % 4 == 0 ? mail::fuzz::random_bytes(rng, 300) : mail::fuzz::mutate_seed(rng, seeds, tokens);
    ASSERT_EQ(run_one(s), 0);
  }
}

TEST(MimeDecodeFuzzReplay, LargeShapes) {
  std::vector<std::string> big(6);
  for (int i = 0; i < 20000; ++i) big[0] += "=?a?q?x";
  for (int i = 0; i < 20000; ++i) big[1] += "[Fwd: Re: [x] ";
  big[2] = "Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n" + std::string(300000, '!') + "QUJD";
  big[3] = "Content-Type: text/plain; charset=utf-16le\r\n\r\n" + std::string(200001, 'a');
  for (int i = 0; i < 30; ++i)
    big[4] = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + big[4];
  big[5] = std::string(200000, '=') + std::string(200000, ' ') + "\r\n";
  for (const auto& s : big) EXPECT_EQ(run_one(s), 0);
}

}  // namespace
