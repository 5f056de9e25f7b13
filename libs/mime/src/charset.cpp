// SPDX-License-Identifier: Apache-2.0
// Charset conversion to UTF-8 (see decode.h): UTF-8 and US-ASCII repaired
// here, everything else through glibc iconv. Each thread keeps its few most
// recently used conversion descriptors (kCachedDescriptors): glibc unloads a
// gconv module when its last descriptor closes, so a descriptor per call
// would dlopen() the module again every time, under the loader's lock. The
// cache is invisible in results (a descriptor is reset before each use) and
// nothing is shared between threads.
// Trusts nothing: the charset name comes from the message or the client and
// is checked against a short character set before iconv sees it (no
// "//TRANSLIT" or "//IGNORE" suffixes, bounded length); the bytes may be
// anything, and every iconv error either skips input or ends the loop, so
// the loop always advances. Output is capped at 4 bytes per input byte plus
// one buffer. No diagnostics: bad input becomes U+FFFD.
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <vector>

#include <iconv.h>

#include "mail/common/strings.h"
#include "mail/mime/decode.h"
#include "utf8.h"

namespace mail::mime {
namespace {

constexpr size_t kMaxCharsetName = 64;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == ':' || c == '+' || c == '(' || c == ')';
}

bool is_utf8_name(std::string_view n) { return n == "utf-8" || n == "utf8" || n == "unicode-1-1-utf-8"; }

bool is_ascii_name(std::string_view n) {
  for (std::string_view a : {"us-ascii", "ascii", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso646-us", "iso-ir-6",
                             "iso_646.irv:1991", "cp367", "ibm367", "csascii", "646"})
    if (n == a) return true;
  return false;
}

// Mail names iconv does not know, or that are better read as the superset
// their senders actually produce (as the WHATWG Encoding Standard does).
std::string_view alias(std::string_view n) {
  struct Alias {
    std::string_view from, to;
  };
  static constexpr Alias kAliases[] = {
      {"ks_c_5601-1987", "CP949"},
      {"ks_c_5601-1989", "CP949"},
      {"ks_c_5601", "CP949"},
      {"ksc_5601", "CP949"},
      {"ksc5601", "CP949"},
      {"euc-kr", "CP949"},
      {"gb2312", "GBK"},
      {"csgb2312", "GBK"},
      {"x-gbk", "GBK"},
      {"shift_jis", "CP932"},
      {"shift-jis", "CP932"},
      {"x-sjis", "CP932"},
      {"sjis", "CP932"},
      {"ms_kanji", "CP932"},
      {"windows-31j", "CP932"},
      {"x-mac-roman", "MACINTOSH"},
      {"unicode-1-1-utf-7", "UTF-7"},
  };
  for (const auto& a : kAliases)
    if (n == a.from) return a.to;
  // Hebrew/Arabic "visual/logical" markers (RFC 1556): same bytes.
  if (n.starts_with("iso-8859-") && (n.ends_with("-i") || n.ends_with("-e")) && n.size() > 11)
    return n.substr(0, n.size() - 2);
  return n;
}

// Bytes iconv skips after an invalid sequence: one code unit.
size_t code_unit(std::string_view n) {
  std::string k;
  for (char c : n)
    if (c != '-' && c != '_') k.push_back(c);
  if (k.starts_with("utf16") || k.starts_with("ucs2") || k == "unicode" || k.starts_with("unicodelittle") ||
      k.starts_with("unicodebig"))
    return 2;
  if (k.starts_with("utf32") || k.starts_with("ucs4")) return 4;
  return 1;
}

// The lowercased name, trimmed; empty when the name is not one to give iconv.
struct Name {
  std::string lower;
  bool sane = false;
};

Name normalize(std::string_view charset) {
  Name n;
  std::string_view t = common::trim(charset);
  n.lower = common::ascii_lower(t);
  n.sane = !t.empty() && t.size() <= kMaxCharsetName;
  for (char c : t)
    if (!is_name_char(c)) n.sane = false;
  return n;
}

constexpr size_t kCachedDescriptors = 32;  // more charsets than a mailbox usually mixes

// The calling thread's descriptors, most recently used first.
class DescriptorCache {
 public:
  DescriptorCache() = default;
  DescriptorCache(const DescriptorCache&) = delete;
  DescriptorCache& operator=(const DescriptorCache&) = delete;
  ~DescriptorCache() {
    for (auto& e : entries_) iconv_close(e.cd);
  }

  // A descriptor from `name` to UTF-8 in its initial state, or nullopt when
  // iconv does not know the name. Valid until the next call on this thread.
  std::optional<iconv_t> get(std::string_view name) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].name != name) continue;
      std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i),
                  entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      iconv(entries_.front().cd, nullptr, nullptr, nullptr, nullptr);  // initial shift state
      return entries_.front().cd;
    }
    iconv_t cd = iconv_open("UTF-8", std::string(name).c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    if (entries_.size() == kCachedDescriptors) {
      iconv_close(entries_.back().cd);
      entries_.pop_back();
    }
    entries_.insert(entries_.begin(), Entry{std::string(name), cd});
    return cd;
  }

 private:
  struct Entry {
    std::string name;
    iconv_t cd;
  };
  std::vector<Entry> entries_;
};

std::optional<iconv_t> descriptor(std::string_view name) {
  thread_local DescriptorCache cache;
  return cache.get(name);
}

std::string convert(iconv_t cd, std::string_view bytes, size_t unit) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2 + 16);
  const size_t cap = 4 * bytes.size() + 16;
  char buf[4096];
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write the input
  size_t in_left = bytes.size();
  while (in_left > 0 && out.size() <= cap) {
    char* op = buf;
    size_t out_left = sizeof buf;
    size_t before = in_left;
    size_t r = iconv(cd, &in, &in_left, &op, &out_left);
    out.append(buf, static_cast<size_t>(op - buf));
    if (r != static_cast<size_t>(-1)) break;  // all converted
    int err = errno;
    if (err == E2BIG && (op != buf || in_left != before)) continue;  // buffer full: flush and go on
    out.append(utf8::kReplacement);
    if (err == EINVAL) break;  // truncated sequence at the end
    // EILSEQ (or anything unexpected): skip one code unit and resume.
    size_t skip = std::min(unit, in_left);
    in += skip;
    in_left -= skip;
  }
  // Return to the initial shift state (ISO-2022-*), emitting what that needs.
  char* op = buf;
  size_t out_left = sizeof buf;
  if (iconv(cd, nullptr, nullptr, &op, &out_left) != static_cast<size_t>(-1))
    out.append(buf, static_cast<size_t>(op - buf));
  return out;
}

}  // namespace

std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset) {
  Name n = normalize(charset);
  if (n.lower.empty() || is_utf8_name(n.lower) || is_ascii_name(n.lower)) {
    std::string out;
    out.reserve(bytes.size());
    utf8::append_replacing(out, bytes);
    return out;
  }
  if (n.sane) {
    std::string_view name = alias(n.lower);
    if (auto cd = descriptor(name)) return convert(*cd, bytes, code_unit(name));
  }
  if (common::utf8_valid(bytes)) return std::string(bytes);
  return std::nullopt;
}

bool charset_known(std::string_view charset) {
  Name n = normalize(charset);
  if (n.lower.empty()) return false;
  if (is_utf8_name(n.lower) || is_ascii_name(n.lower)) return true;
  if (!n.sane) return false;
  return descriptor(alias(n.lower)).has_value();
}

std::string utf8_or_latin1(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  utf8::append_or_latin1(out, bytes);
  return out;
}

}  // namespace mail::mime
