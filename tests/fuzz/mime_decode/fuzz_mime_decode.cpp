// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the decoding and search-text pieces of libs/mime
// (decode.h, search_text.h): any bytes as a header value, a body in each
// transfer encoding, text in a dozen charsets, a subject, and a whole
// message for body_text. Checks: every decoded text is valid UTF-8 within
// its size bound; base64 and quoted-printable round-trip; fold_case is
// idempotent, never lengthens, and a folded piece cut at character starts
// is found again by contains_folded; base_subject is idempotent, folded and
// space-normalised; body_text keeps its cap at a character boundary;
// search_fields is clean UTF-8 in its line format.
// Invariant failures abort, so the replay gtest fails on them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/common/base64.h"
#include "mail/common/strings.h"
#include "mail/mime/decode.h"
#include "mail/mime/header.h"
#include "mail/mime/search_text.h"
#include "mail/mime/structure.h"

namespace {

#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "fuzz_mime_decode: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

using namespace mail::mime;
using mail::common::utf8_valid;

// Every byte as "=XY", with a soft line break every 25 escapes.
std::string qp_encode_all(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    out += '=';
    out += kHex[c >> 4];
    out += kHex[c & 15];
    if (i % 25 == 24) out += "=\r\n";
  }
  return out;
}

bool continuation(std::string_view s, size_t i) {
  return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
}

void check_fold(std::string_view s) {
  std::string f = fold_case(s);
  FUZZ_CHECK(f.size() <= s.size());
  FUZZ_CHECK(fold_case(f) == f);
  FUZZ_CHECK(utf8_valid(f) == utf8_valid(s));
  FUZZ_CHECK(contains_folded(s, f) && contains_folded(s, ""));
  // A piece starting and ending at bytes that are not continuation bytes
  // folds to a piece of the folded whole.
  size_t a = s.size() / 3, b = 2 * s.size() / 3;
  while (continuation(s, a)) ++a;
  while (continuation(s, b)) ++b;
  if (a <= b && b <= s.size()) FUZZ_CHECK(contains_folded(s, fold_case(s.substr(a, b - a))));
}

void check_subject(std::string_view s) {
  std::string b = base_subject(s);
  FUZZ_CHECK(base_subject(b) == b);
  FUZZ_CHECK(fold_case(b) == b);
  FUZZ_CHECK(!b.starts_with(' ') && !b.ends_with(' ') && b.find("  ") == std::string::npos);
  FUZZ_CHECK(b.find_first_of("\t\r\n") == std::string::npos);
  FUZZ_CHECK(b.size() <= s.size());
}

void check_transfer(std::string_view s) {
  FUZZ_CHECK(decode_transfer(s, "base64").size() <= s.size());
  FUZZ_CHECK(decode_transfer(s, "quoted-printable").size() <= s.size());
  FUZZ_CHECK(decode_transfer(s, "7bit") == s && decode_transfer(s, std::nullopt) == s);
  FUZZ_CHECK(decode_base64(mail::common::base64_encode(s)) == s);
  FUZZ_CHECK(decode_quoted_printable(qp_encode_all(s)) == s);
}

void check_charsets(std::string_view s) {
  s = s.substr(0, 4096);
  for (const char* cs : {"", "us-ascii", "utf-8", "iso-8859-1", "windows-1252", "koi8-r", "gb18030", "big5",
                         "shift_jis", "euc-jp", "iso-2022-jp", "ks_c_5601-1987", "utf-16", "utf-32le", "utf-7"}) {
    auto u = to_utf8(s, cs);
    FUZZ_CHECK(u.has_value());  // all known: never nullopt
    FUZZ_CHECK(utf8_valid(*u));
    FUZZ_CHECK(u->size() <= 4 * s.size() + 16);
  }
  auto unknown = to_utf8(s, "x-fuzz-unknown");
  FUZZ_CHECK(unknown.has_value() == utf8_valid(s));
  if (unknown) FUZZ_CHECK(*unknown == s);
  std::string l = utf8_or_latin1(s);
  FUZZ_CHECK(utf8_valid(l) && l.size() <= 2 * s.size());
  if (utf8_valid(s)) FUZZ_CHECK(l == s);
}

void check_header(std::string_view s) {
  std::string d = decode_header_value(s);
  FUZZ_CHECK(utf8_valid(d));
  FUZZ_CHECK(d.size() <= 4 * s.size());
  check_subject(d);
}

void check_body_text(std::string_view msg) {
  Part root = parse_structure(msg);
  std::string full = body_text(msg, root, 1 << 20);
  FUZZ_CHECK(full.size() <= 1 << 20 && utf8_valid(full));
  for (size_t max : {0, 1, 2, 5, 64}) {
    std::string capped = body_text(msg, root, max);
    FUZZ_CHECK(capped.size() <= max && utf8_valid(capped));
  }
  Limits tight;
  tight.max_depth = 3;
  tight.max_parts = 6;
  Part small = parse_structure(msg, tight);
  FUZZ_CHECK(utf8_valid(body_text(msg, small, 4096)));
}

}  // namespace

// The input as a header section, the way a stored message keeps it for
// SEARCH: valid UTF-8 without NUL, one "name<TAB>value" line per kept
// field, each named by is_search_field(), and each From value found again.
void check_search_fields(std::string_view in) {
  const std::string fields = search_fields(in);
  FUZZ_CHECK(utf8_valid(fields));
  FUZZ_CHECK(fields.find('\0') == std::string::npos);
  FUZZ_CHECK(fields.empty() || fields.back() == '\n');
  size_t pos = 0;
  while (pos < fields.size()) {
    const size_t end = fields.find('\n', pos);
    const std::string_view line = std::string_view(fields).substr(pos, end - pos);
    const size_t tab = line.find('\t');
    FUZZ_CHECK(tab != std::string_view::npos && is_search_field(line.substr(0, tab)));
    if (line.substr(0, tab) == "from") FUZZ_CHECK(search_field_holds(fields, "FROM", line.substr(tab + 1)));
    pos = end + 1;
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(bytes), size);
  check_header(in);
  check_transfer(in);
  check_charsets(in);
  check_fold(in);
  check_subject(in);
  check_body_text(in);
  check_search_fields(in);
  // The Subject of the input as a message, the way SORT would see it.
  Header h = parse_header_prefix(in);
  if (const Field* f = find_field(h.fields, "Subject")) check_header(f->value);
  return 0;
}
