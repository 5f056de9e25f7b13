// SPDX-License-Identifier: Apache-2.0
// Simple case folding for SEARCH and SORT (fold_case, contains_folded; see
// search_text.h): a sorted table of code point ranges, each folding every
// code point by a fixed delta or every other one (upper/lower pairs) to the
// next, written from the C and S entries of Unicode's CaseFolding.txt for
// the scripts mail is mostly written in. Every target is a code point the
// table leaves alone, so folding is idempotent (a test checks all of
// Unicode). Trusts nothing: invalid UTF-8 bytes are copied one by one.
// No diagnostics.
#include <algorithm>
#include <cstdint>
#include <iterator>

#include "mail/mime/search_text.h"
#include "utf8.h"

namespace mail::mime {
namespace {

enum class Kind : uint8_t {
  kAll,   // every code point in [lo, hi] + delta
  kEven,  // even code points + 1 (the odd ones are the lowercase)
  kOdd,   // odd code points + 1
};

struct Range {
  char32_t lo, hi;
  int32_t delta;
  Kind kind;
};

constexpr Kind A = Kind::kAll, E = Kind::kEven, O = Kind::kOdd;

// One line per Unicode block keeps the table readable.
// clang-format off
constexpr Range kFold[] = {
    // Basic Latin, Latin-1 Supplement
    {0x0041, 0x005A, 32, A}, {0x00B5, 0x00B5, 0x03BC - 0x00B5, A}, {0x00C0, 0x00D6, 32, A},
    {0x00D8, 0x00DE, 32, A},
    // Latin Extended-A
    {0x0100, 0x012F, 1, E}, {0x0130, 0x0130, 0x0069 - 0x0130, A},  // İ → i: not simple folding, see search_text.h
    {0x0132, 0x0137, 1, E}, {0x0139, 0x0148, 1, O}, {0x014A, 0x0177, 1, E}, {0x0178, 0x0178, 0x00FF - 0x0178, A},
    {0x0179, 0x017E, 1, O}, {0x017F, 0x017F, 0x0073 - 0x017F, A},
    // Latin Extended-B: the letters of living orthographies
    {0x0186, 0x0186, 0x0254 - 0x0186, A}, {0x0189, 0x018A, 0x0256 - 0x0189, A}, {0x018F, 0x018F, 0x0259 - 0x018F, A},
    {0x0190, 0x0190, 0x025B - 0x0190, A}, {0x01A0, 0x01A5, 1, E}, {0x01AF, 0x01AF, 1, A}, {0x01C4, 0x01C4, 2, A},
    {0x01C5, 0x01C5, 1, A}, {0x01C7, 0x01C7, 2, A}, {0x01C8, 0x01C8, 1, A}, {0x01CA, 0x01CA, 2, A},
    {0x01CB, 0x01DC, 1, O}, {0x01DE, 0x01EF, 1, E}, {0x01F1, 0x01F1, 2, A}, {0x01F2, 0x01F2, 1, A},
    {0x01F4, 0x01F4, 1, A}, {0x01F8, 0x021F, 1, E}, {0x0222, 0x0233, 1, E},
    // Greek and Coptic
    {0x0345, 0x0345, 0x03B9 - 0x0345, A}, {0x0370, 0x0373, 1, E}, {0x0376, 0x0376, 1, A},
    {0x037F, 0x037F, 0x03F3 - 0x037F, A}, {0x0386, 0x0386, 0x03AC - 0x0386, A}, {0x0388, 0x038A, 0x03AD - 0x0388, A},
    {0x038C, 0x038C, 0x03CC - 0x038C, A}, {0x038E, 0x038F, 0x03CD - 0x038E, A}, {0x0391, 0x03A1, 32, A},
    {0x03A3, 0x03AB, 32, A}, {0x03C2, 0x03C2, 1, A}, {0x03CF, 0x03CF, 0x03D7 - 0x03CF, A},
    {0x03D0, 0x03D0, 0x03B2 - 0x03D0, A}, {0x03D1, 0x03D1, 0x03B8 - 0x03D1, A}, {0x03D5, 0x03D5, 0x03C6 - 0x03D5, A},
    {0x03D6, 0x03D6, 0x03C0 - 0x03D6, A}, {0x03D8, 0x03EF, 1, E}, {0x03F0, 0x03F0, 0x03BA - 0x03F0, A},
    {0x03F1, 0x03F1, 0x03C1 - 0x03F1, A}, {0x03F4, 0x03F4, 0x03B8 - 0x03F4, A}, {0x03F5, 0x03F5, 0x03B5 - 0x03F5, A},
    {0x03F7, 0x03F7, 1, A}, {0x03F9, 0x03F9, 0x03F2 - 0x03F9, A}, {0x03FA, 0x03FA, 1, A},
    {0x03FD, 0x03FF, 0x037B - 0x03FD, A},
    // Cyrillic, Cyrillic Supplement
    {0x0400, 0x040F, 80, A}, {0x0410, 0x042F, 32, A}, {0x0460, 0x0481, 1, E}, {0x048A, 0x04BF, 1, E},
    {0x04C0, 0x04C0, 0x04CF - 0x04C0, A}, {0x04C1, 0x04CE, 1, O}, {0x04D0, 0x052F, 1, E},
    // Armenian, Georgian
    {0x0531, 0x0556, 48, A}, {0x10A0, 0x10C5, 0x2D00 - 0x10A0, A}, {0x10C7, 0x10C7, 0x2D00 - 0x10A0, A},
    {0x10CD, 0x10CD, 0x2D00 - 0x10A0, A},
    // Latin Extended Additional (Vietnamese, Welsh, ...)
    {0x1E00, 0x1E95, 1, E}, {0x1E9B, 0x1E9B, 0x1E61 - 0x1E9B, A}, {0x1E9E, 0x1E9E, 0x00DF - 0x1E9E, A},
    {0x1EA0, 0x1EFF, 1, E},
    // Greek Extended (polytonic)
    {0x1F08, 0x1F0F, -8, A}, {0x1F18, 0x1F1D, -8, A}, {0x1F28, 0x1F2F, -8, A}, {0x1F38, 0x1F3F, -8, A},
    {0x1F48, 0x1F4D, -8, A}, {0x1F59, 0x1F59, -8, A}, {0x1F5B, 0x1F5B, -8, A}, {0x1F5D, 0x1F5D, -8, A},
    {0x1F5F, 0x1F5F, -8, A}, {0x1F68, 0x1F6F, -8, A}, {0x1F88, 0x1F8F, -8, A}, {0x1F98, 0x1F9F, -8, A},
    {0x1FA8, 0x1FAF, -8, A}, {0x1FB8, 0x1FB9, -8, A}, {0x1FBA, 0x1FBB, 0x1F70 - 0x1FBA, A},
    {0x1FBC, 0x1FBC, 0x1FB3 - 0x1FBC, A}, {0x1FBE, 0x1FBE, 0x03B9 - 0x1FBE, A}, {0x1FC8, 0x1FCB, 0x1F72 - 0x1FC8, A},
    {0x1FCC, 0x1FCC, 0x1FC3 - 0x1FCC, A}, {0x1FD8, 0x1FD9, -8, A}, {0x1FDA, 0x1FDB, 0x1F76 - 0x1FDA, A},
    {0x1FE8, 0x1FE9, -8, A}, {0x1FEA, 0x1FEB, 0x1F7A - 0x1FEA, A}, {0x1FEC, 0x1FEC, 0x1FE5 - 0x1FEC, A},
    {0x1FF8, 0x1FF9, 0x1F78 - 0x1FF8, A}, {0x1FFA, 0x1FFB, 0x1F7C - 0x1FFA, A}, {0x1FFC, 0x1FFC, 0x1FF3 - 0x1FFC, A},
    // Letterlike symbols, number forms, enclosed alphanumerics
    {0x2126, 0x2126, 0x03C9 - 0x2126, A}, {0x212A, 0x212A, 0x006B - 0x212A, A}, {0x212B, 0x212B, 0x00E5 - 0x212B, A},
    {0x2132, 0x2132, 0x214E - 0x2132, A}, {0x2160, 0x216F, 16, A}, {0x2183, 0x2183, 1, A}, {0x24B6, 0x24CF, 26, A},
    // Cyrillic Extended-B, fullwidth Latin, Deseret
    {0xA640, 0xA66D, 1, E}, {0xA680, 0xA69B, 1, E}, {0xFF21, 0xFF3A, 32, A}, {0x10400, 0x10427, 40, A},
};
// clang-format on

char32_t fold(char32_t cp) {
  auto it =
      std::upper_bound(std::begin(kFold), std::end(kFold), cp, [](char32_t c, const Range& r) { return c < r.lo; });
  if (it == std::begin(kFold)) return cp;
  const Range& r = *std::prev(it);
  if (cp > r.hi) return cp;
  switch (r.kind) {
    case Kind::kAll:
      return static_cast<char32_t>(static_cast<int32_t>(cp) + r.delta);
    case Kind::kEven:
      return cp % 2 == 0 ? cp + 1 : cp;
    case Kind::kOdd:
      return cp % 2 == 1 ? cp + 1 : cp;
  }
  return cp;
}

}  // namespace

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : static_cast<char>(c));
      ++i;
      continue;
    }
    size_t n = utf8::decode(s, i, cp);
    if (n == 0) {
      out.push_back(s[i]);  // not UTF-8: passed through
      ++i;
      continue;
    }
    utf8::append(out, fold(cp));
    i += n;
  }
  return out;
}

bool contains_folded(std::string_view haystack_utf8, std::string_view folded_needle) {
  if (folded_needle.empty()) return true;
  if (folded_needle.size() > haystack_utf8.size()) return false;  // no fold in the table lengthens a character
  return fold_case(haystack_utf8).find(folded_needle) != std::string::npos;
}

}  // namespace mail::mime
