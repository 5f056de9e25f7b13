// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for libs/imap: the command parser under the default and
// tight Limits (errors are typed and printable, commands carry a valid tag,
// sequence sets and search trees stay within their bounds), framing on each
// line, sequence-set format/reparse and resolve, date-time format/reparse,
// mUTF-7 (decoding is canonical: encode(decode(x)) == x) and the string
// encoders (whatever astring() writes parses back to the same bytes).
// Invariant failures abort, so the replay gtest fails on them too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mail/imap/command.h"
#include "mail/imap/framing.h"
#include "mail/imap/mutf7.h"
#include "mail/imap/response.h"

namespace {

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz_imap: check failed: %s (line %d)\n", #cond, __LINE__);  \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

using namespace mail::imap;

bool printable_text(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return !s.empty();
}

void check_set(const SequenceSet& set, const Limits& limits) {
  FUZZ_CHECK(set.ranges.size() <= limits.max_sequence_ranges);
  FUZZ_CHECK(set.saved == set.ranges.empty());
  std::string text = format_sequence_set(set);
  auto again = parse_sequence_set(text, limits);
  FUZZ_CHECK(again && *again == set);
  for (uint32_t max : {0u, 1u, 7u, 4294967295u}) {
    ResolvedSet r = resolve(set, max);
    uint32_t prev = 0;
    for (const auto& iv : r.intervals) {
      FUZZ_CHECK(iv.lo >= 1 && iv.lo <= iv.hi && iv.hi <= max);
      FUZZ_CHECK(prev == 0 || static_cast<uint64_t>(iv.lo) > static_cast<uint64_t>(prev) + 1);
      prev = iv.hi;
    }
  }
}

size_t depth(const SearchKey& key) {
  size_t d = 0;
  auto sub = [&](const std::vector<SearchKey>& keys) {
    for (const auto& k : keys) d = std::max(d, depth(k));
  };
  if (auto* n = std::get_if<SearchNot>(&key.node)) {
    FUZZ_CHECK(n->child.size() == 1);
    sub(n->child);
  } else if (auto* o = std::get_if<SearchOr>(&key.node)) {
    FUZZ_CHECK(o->children.size() == 2);
    sub(o->children);
  } else if (auto* a = std::get_if<SearchAnd>(&key.node)) {
    FUZZ_CHECK(!a->children.empty());
    sub(a->children);
  } else if (auto* s = std::get_if<SearchSet>(&key.node)) {
    FUZZ_CHECK(s->set.saved || !s->set.ranges.empty());
  }
  return d + 1;
}

void check_command(std::string_view frame, const Command& c, const Limits& limits) {
  FUZZ_CHECK(is_valid_tag(c.tag) && frame.starts_with(c.tag));
  FUZZ_CHECK(!verb_name(c).empty());
  if (auto* f = std::get_if<Fetch>(&c.body)) {
    check_set(f->set, limits);
    FUZZ_CHECK(!f->items.empty());
    for (const auto& item : f->items) FUZZ_CHECK(!response_name(item).empty());
    if (f->vanished) FUZZ_CHECK(f->uid && f->changed_since);
  } else if (auto* s = std::get_if<Search>(&c.body)) {
    FUZZ_CHECK(depth(s->key) <= limits.max_search_depth + 1);
    FUZZ_CHECK(!describe(s->key).empty());
  } else if (auto* o = std::get_if<Sort>(&c.body)) {
    FUZZ_CHECK(!o->criteria.empty() && depth(o->key) <= limits.max_search_depth + 1);
  } else if (auto* st = std::get_if<Store>(&c.body)) {
    check_set(st->set, limits);
    FUZZ_CHECK(st->flags.size() <= limits.max_list_items);
  } else if (auto* cp = std::get_if<Copy>(&c.body)) {
    check_set(cp->set, limits);
  } else if (auto* a = std::get_if<Append>(&c.body)) {
    FUZZ_CHECK(a->message.size() <= limits.max_literal);
    if (!a->binary && !a->utf8) FUZZ_CHECK(a->message.find('\0') == std::string::npos);
  } else if (auto* l = std::get_if<Login>(&c.body)) {
    FUZZ_CHECK(l->user.size() <= limits.max_string && l->password.size() <= limits.max_string);
  }
}

void fuzz_parser(std::string_view data) {
  Limits tight;
  tight.max_line = 64;
  tight.max_literal = 32;
  tight.max_frame = 128;
  tight.max_string = 16;
  tight.max_tokens = 24;
  tight.max_list_items = 4;
  tight.max_search_depth = 3;
  tight.max_sequence_ranges = 3;
  for (const Limits& limits : {Limits{}, tight}) {
    Result r = parse_command(data, limits);
    if (auto* e = std::get_if<Error>(&r)) {
      FUZZ_CHECK(printable_text(e->text));
      if (e->tag) FUZZ_CHECK(is_valid_tag(*e->tag));
      FUZZ_CHECK(bad(*e).ends_with("\r\n"));
    } else {
      check_command(data, std::get<Command>(r), limits);
    }
  }
  // Framing on every line of the input.
  size_t pos = 0;
  while (pos <= data.size()) {
    size_t crlf = data.find("\r\n", pos);
    std::string_view line = data.substr(pos, crlf == std::string_view::npos ? std::string_view::npos : crlf - pos);
    FrameInfo fi = literal_at_end(line, tight);
    if (fi.kind == FrameInfo::kLiteral) FUZZ_CHECK(fi.size <= tight.max_literal && line.ends_with('}'));
    if (auto tag = tag_of(line)) FUZZ_CHECK(is_valid_tag(*tag) && line.starts_with(*tag));
    if (crlf == std::string_view::npos) break;
    pos = crlf + 2;
  }
}

void fuzz_values(std::string_view data) {
  if (auto set = parse_sequence_set(data, Limits{})) check_set(*set, Limits{});
  if (auto dt = parse_date_time(data)) {
    std::string f = format_date_time(*dt);
    auto again = parse_date_time(std::string_view(f).substr(1, f.size() - 2));
    FUZZ_CHECK(again && *again == *dt);
    FUZZ_CHECK(to_unix(date_time_from_unix(to_unix(*dt), dt->zone_minutes)) == to_unix(*dt));
  }
  if (auto d = parse_date(data)) FUZZ_CHECK(parse_date(format_date(*d)) == d);
  // mUTF-7: strict decoding means only canonical forms decode.
  if (auto utf8 = mutf7_decode(data)) FUZZ_CHECK(mutf7_encode(*utf8) == data);
  std::string enc = mutf7_encode(data);
  for (char c : enc) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  if (data.find('\0') == std::string_view::npos) {
    auto dec = mutf7_decode(enc);
    FUZZ_CHECK(dec);
    FUZZ_CHECK(mutf7_encode(*dec) == enc);
  }
  // Whatever the encoders write parses back to the same bytes.
  if (data.find('\0') == std::string_view::npos && data.size() <= 200) {
    for (bool utf8 : {false, true}) {
      WriteOptions opts{utf8, 40};
      Result r = parse_command("t LOGIN " + astring(data, opts) + " " + quoted_or_literal(data, opts));
      FUZZ_CHECK(std::holds_alternative<Command>(r));
      const auto& login = std::get<Login>(std::get<Command>(r).body);
      FUZZ_CHECK(login.user == data && login.password == data);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  fuzz_parser(data);
  fuzz_values(data);
  return 0;
}
