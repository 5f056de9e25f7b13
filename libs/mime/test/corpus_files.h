// SPDX-License-Identifier: Apache-2.0
// corpus_files.h: the shared real-world messages (../shared/corpus/mail-gem,
// or $MAIL_CORPUS_DIR/mail-gem) for the mime corpus tests, and the wire form
// a test gives them: every line end CRLF (common::to_crlf) and a final CRLF.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "mail/common/dot_stuff.h"
#include "mail/mime/header.h"

namespace mail::mime::test {

inline std::filesystem::path corpus_dir() {
  if (const char* env = std::getenv("MAIL_CORPUS_DIR")) return std::filesystem::path(env) / "mail-gem";
  return std::filesystem::path(MAIL_CORPUS_DIR) / "mail-gem";
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string to_crlf(std::string_view in) {
  std::string out = common::to_crlf(in);
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

/// Limits small enough that the corpus meets every one of them.
inline Limits small_limits() {
  Limits small;
  small.max_header_bytes = 512;
  small.max_fields = 8;
  small.max_depth = 2;
  small.max_parts = 4;
  small.max_boundary = 30;
  small.max_params = 2;
  small.max_addresses = 2;
  return small;
}

}  // namespace mail::mime::test
