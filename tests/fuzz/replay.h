// SPDX-License-Identifier: Apache-2.0
// replay.h: shared pieces of the *_fuzz_replay_test gtests, which run a
// libFuzzer target without libFuzzer: calling the linked
// LLVMFuzzerTestOneInput, loading seed files from a corpus directory, and
// deterministic random / mutated inputs drawn from a seeded generator. Seed
// files are trusted to be readable; their contents are arbitrary bytes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace mail::fuzz {

/// One input through the fuzz target; its return value (0 expected).
inline int run_one(const std::string& s) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

/// The contents of every regular file in `dir` (recursively if asked);
/// empty when `dir` is not a directory.
inline std::vector<std::string> load_dir(const std::filesystem::path& dir, bool recursive = false) {
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

/// Up to `max_len - 1` random bytes.
inline std::string random_bytes(std::mt19937_64& rng, size_t max_len) {
  std::string s;
  size_t len = static_cast<size_t>(rng() % max_len);
  for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>(rng()));
  return s;
}

/// A random seed with 1..6 edits: a byte flipped, a few bytes erased, a
/// token inserted, or a short piece of another seed spliced in.
inline std::string mutate_seed(std::mt19937_64& rng, const std::vector<std::string>& seeds,
                               const std::vector<std::string>& tokens) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::string s = seeds[pick(seeds.size())];
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
  return s;
}

}  // namespace mail::fuzz
