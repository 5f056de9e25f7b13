// SPDX-License-Identifier: Apache-2.0
// RFC 5256 §2.1 base subject (see search_text.h), on the case-folded
// subject so that the RFC's case-insensitive keywords are plain compares.
// Folding first gives the same result as folding last: it maps character
// by character and no character folds to the ASCII of "re", "fw", "fwd" or
// the brackets. Trusts nothing: every step removes text from one end of a
// view or stops, and a run of blobs is scanned once per pass of steps
// (3)-(5) (removing all but the last of them at once, which is what
// repeating step (4) one blob at a time would do), so the work is linear.
// No diagnostics.
#include "mail/mime/search_text.h"

namespace mail::mime {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Step (1), for the whitespace part: tabs and line ends are spaces, runs
// of spaces are one.
std::string collapse_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (is_space(c)) {
      if (out.empty() || out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

size_t skip_spaces(std::string_view s, size_t pos) {
  while (pos < s.size() && s[pos] == ' ') ++pos;
  return pos;
}

// subj-blob = "[" *BLOBCHAR "]" *WSP at s[pos]: the position after it, or
// pos when there is none.
size_t blob_end(std::string_view s, size_t pos) {
  if (pos >= s.size() || s[pos] != '[') return pos;
  size_t k = pos + 1;
  while (k < s.size() && s[k] != '[' && s[k] != ']') ++k;
  if (k >= s.size() || s[k] != ']') return pos;
  return skip_spaces(s, k + 1);
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at s[pos]: the
// position after it, or 0 when there is none (it cannot end at 0).
size_t refwd_end(std::string_view s, size_t pos) {
  std::string_view t = s.substr(pos);
  size_t p;
  if (t.starts_with("re"))
    p = pos + 2;
  else if (t.starts_with("fwd"))
    p = pos + 3;
  else if (t.starts_with("fw"))
    p = pos + 2;
  else
    return 0;
  p = blob_end(s, skip_spaces(s, p));
  return p < s.size() && s[p] == ':' ? p + 1 : 0;
}

}  // namespace

std::string base_subject(std::string_view decoded_subject) {
  const std::string text = collapse_spaces(fold_case(decoded_subject));
  std::string_view s = text;
  for (;;) {
    // (2) subj-trailer: "(fwd)" / WSP at the end, repeatedly.
    for (;;) {
      if (s.ends_with(' '))
        s.remove_suffix(1);
      else if (s.ends_with("(fwd)"))
        s.remove_suffix(5);
      else
        break;
    }
    // (3)-(5): subj-leader = (*subj-blob subj-refwd) / WSP; else a leading
    // subj-blob when a non-empty subject follows it.
    for (;;) {
      if (s.starts_with(' ')) {
        s.remove_prefix(1);
        continue;
      }
      size_t pos = 0, last_blob = 0;
      for (size_t next; (next = blob_end(s, pos)) != pos; pos = next) last_blob = pos;
      if (size_t end = refwd_end(s, pos)) {
        s.remove_prefix(end);
        continue;
      }
      if (pos == 0) break;  // no blob either
      // Blobs with no refwd after them. Each removal leaves a non-empty
      // subject except that of the last blob when nothing follows it.
      size_t cut = pos < s.size() ? pos : last_blob;
      if (cut == 0) break;
      s.remove_prefix(cut);
    }
    // (6) subj-fwd-hdr ... subj-fwd-trl: unwrap and start again at (2).
    if (s.starts_with("[fwd:") && s.ends_with("]")) {
      s = s.substr(5, s.size() - 6);
      continue;
    }
    return std::string(s);
  }
}

}  // namespace mail::mime
