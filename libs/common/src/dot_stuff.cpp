// SPDX-License-Identifier: Apache-2.0
// dot_stuff.cpp: the streaming dot-stuffer (see dot_stuff.h for the rule).
// Trusts nothing about its input; copies runs of ordinary bytes in one append.
#include "mail/common/dot_stuff.h"

namespace mail::common {

void DotStuffer::feed(std::string_view chunk, std::string& out) {
  out.reserve(out.size() + chunk.size() + chunk.size() / 64 + 2);
  size_t i = 0;
  const size_t n = chunk.size();
  while (i < n) {
    const char c = chunk[i];
    if (pending_cr_) {
      // The CR before this byte ends a line, alone or as half of CRLF.
      pending_cr_ = false;
      out += "\r\n";
      at_line_start_ = true;
      if (c == '\n') {
        ++i;
        continue;
      }
    }
    if (c == '\r') {
      pending_cr_ = true;
      ++i;
      continue;
    }
    if (c == '\n') {  // a bare LF
      out += "\r\n";
      at_line_start_ = true;
      ++i;
      continue;
    }
    if (at_line_start_ && c == '.') out += '.';
    at_line_start_ = false;
    size_t j = i + 1;
    while (j < n && chunk[j] != '\r' && chunk[j] != '\n') ++j;
    out.append(chunk.data() + i, j - i);
    i = j;
  }
}

void DotStuffer::finish(std::string& out) {
  if (pending_cr_ || !at_line_start_) out += "\r\n";
  out += ".\r\n";
  reset();
}

std::string to_crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r' || in[i] == '\n') {
      out += "\r\n";
      if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  DotStuffer s;
  s.feed(message, out);
  s.finish(out);
  return out;
}

}  // namespace mail::common
