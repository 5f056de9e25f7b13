// SPDX-License-Identifier: Apache-2.0
// IMAP quoted / literal string encoder (see imap_string.h). Any bytes in;
// the choice between quoted and literal depends only on the bytes, so the
// output is always valid RFC 3501 syntax. No diagnostics.
#include "mail/mime/imap_string.h"

namespace mail::mime {
namespace {

constexpr size_t kMaxQuoted = 1024;

bool quotable(std::string_view s) {
  if (s.size() > kMaxQuoted) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) return false;
  }
  return true;
}

}  // namespace

void append_imap_string(std::string& out, std::string_view s) {
  if (quotable(s)) {
    out.push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
    return;
  }
  out.push_back('{');
  out += std::to_string(s.size());
  out += "}\r\n";
  out.append(s);
}

void append_imap_nstring(std::string& out, const std::optional<std::string>& s) {
  if (s) append_imap_string(out, *s);
  else out += "NIL";
}

std::string imap_string(std::string_view s) {
  std::string out;
  append_imap_string(out, s);
  return out;
}

}  // namespace mail::mime
