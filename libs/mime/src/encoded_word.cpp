// SPDX-License-Identifier: Apache-2.0
// RFC 2047 encoded words in unstructured header values, decoded to UTF-8
// (decode_header_value, see decode.h). Trusts nothing: a candidate word is
// checked piece by piece (charset field at most kMaxCharsetField bytes,
// B or Q, text without whitespace or control characters, "?=" end) and is
// otherwise plain text; the searches for the end of a word's text are
// cached so that many "=?" openers without an end stay linear. Output is at
// most 4 bytes per input byte (to_utf8's bound; ISO-8859-1 fallback 2; text
// as written 1). No diagnostics.
#include <algorithm>

#include "mail/common/strings.h"
#include "mail/mime/decode.h"
#include "utf8.h"

namespace mail::mime {
namespace {

constexpr size_t kMaxCharsetField = 100;  // "charset*language"; real names are under 40

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool all_wsp(std::string_view s) { return std::all_of(s.begin(), s.end(), is_wsp); }

// A byte that may not occur in the text of an encoded word.
bool is_bad_text(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u >= 0x7F;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 §4.2 "Q": like quoted-printable, with "_" for a space.
std::string decode_q(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < t.size() && hex_value(t[i + 1]) >= 0 && hex_value(t[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(t[i + 1]) * 16 + hex_value(t[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Word {
  size_t begin = 0, end = 0;  // the "=?...?=" span
  std::string_view charset;
  std::string bytes;  // decoded, still in charset
};

// Positions of the next "?=" and of the next byte not allowed in a word's
// text, at or after the last position asked; both only move forward.
class Scan {
 public:
  explicit Scan(std::string_view s) : s_(s) {}
  size_t terminator(size_t from) {
    if (!term_valid_ || term_ < from) {
      term_ = s_.find("?=", from);
      term_valid_ = true;
    }
    return term_;
  }
  size_t bad(size_t from) {
    if (!bad_valid_ || bad_ < from) {
      bad_ = from;
      while (bad_ < s_.size() && !is_bad_text(s_[bad_])) ++bad_;
      bad_valid_ = true;
    }
    return bad_;
  }

 private:
  std::string_view s_;
  size_t term_ = 0, bad_ = 0;
  bool term_valid_ = false, bad_valid_ = false;
};

// The encoded word starting at s[p] ("=?"), or nullopt when there is none.
std::optional<Word> parse_word(std::string_view s, size_t p, Scan& scan) {
  size_t q = p + 2;
  size_t limit = std::min(s.size(), q + kMaxCharsetField + 1);
  while (q < limit && s[q] != '?' && !is_bad_text(s[q])) ++q;
  if (q >= limit || s[q] != '?' || q == p + 2) return std::nullopt;
  std::string_view field = s.substr(p + 2, q - (p + 2));
  std::string_view charset = field.substr(0, field.find('*'));  // RFC 2231 §5: language dropped
  if (charset.empty()) return std::nullopt;
  if (q + 2 >= s.size() || s[q + 2] != '?') return std::nullopt;
  char enc = s[q + 1];
  if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') return std::nullopt;
  size_t text = q + 3;
  size_t term = scan.terminator(text);
  if (term == std::string_view::npos || scan.bad(text) < term) return std::nullopt;
  std::string_view t = s.substr(text, term - text);
  Word w;
  w.begin = p;
  w.end = term + 2;
  w.charset = charset;
  w.bytes = (enc == 'B' || enc == 'b') ? decode_base64(t) : decode_q(t);
  return w;
}

// Adjacent words of one charset, decoded together.
struct Group {
  bool active = false;
  std::string_view charset;
  std::string bytes;
  size_t begin = 0, end = 0;
  std::string_view gap;  // whitespace before it, after a previous group
  bool prev_ok = false;  // that previous group decoded
};

// Appends g; returns whether it decoded (else it is appended as written).
bool flush(const Group& g, std::string_view s, std::string& out) {
  auto u = to_utf8(g.bytes, g.charset);
  if (!(u && g.prev_ok)) out.append(g.gap);
  if (u)
    out.append(*u);
  else
    out.append(s.substr(g.begin, g.end - g.begin));
  return u.has_value();
}

}  // namespace

std::string decode_header_value(std::string_view raw_value) {
  std::string unfolded;
  unfolded.reserve(raw_value.size());
  for (char c : raw_value)
    if (c != '\r' && c != '\n') unfolded.push_back(c);
  std::string_view s = unfolded;
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);

  std::string out;
  out.reserve(s.size());
  Scan scan(s);
  Group g;
  size_t pos = 0;  // first byte not yet written or grouped
  size_t i = 0;
  while ((i = s.find("=?", i)) != std::string_view::npos) {
    auto w = parse_word(s, i, scan);
    if (!w) {
      ++i;
      continue;
    }
    std::string_view between = s.substr(pos, w->begin - pos);
    bool adjacent = g.active && all_wsp(between);
    if (adjacent && common::iequals(g.charset, w->charset)) {
      g.bytes += w->bytes;
      g.end = w->end;
    } else {
      bool prev_ok = g.active && flush(g, s, out);
      if (!adjacent) {
        utf8::append_or_latin1(out, between);
        prev_ok = false;
      }
      g = Group{true,   w->charset, std::move(w->bytes), w->begin, w->end, adjacent ? between : std::string_view{},
                prev_ok};
    }
    pos = i = w->end;
  }
  if (g.active) flush(g, s, out);
  utf8::append_or_latin1(out, s.substr(pos));
  return out;
}

}  // namespace mail::mime
