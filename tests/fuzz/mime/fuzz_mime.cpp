// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for libs/mime header utilities: any bytes as a message.
// Checks that fields tile the header exactly, find_header_end and
// parse_header agree, remove_fields removes every occurrence and keeps the
// body, and unfold leaves no fold. Invariant failures abort, so the replay
// gtest fails on them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mime/header.h"

namespace {

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz_mime: check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

using namespace mail::mime;

void check_header(std::string_view msg, const Header& h) {
  auto end = find_header_end(msg);
  FUZZ_CHECK(h.complete == end.has_value());
  FUZZ_CHECK(h.end == (end ? *end : msg.size()));
  size_t pos = 0;
  for (const auto& f : h.fields) {
    FUZZ_CHECK(f.offset == pos && f.length > 0 && f.offset + f.length <= msg.size());
    const char* begin = msg.data() + f.offset;
    FUZZ_CHECK(f.value.data() >= begin && f.value.data() + f.value.size() <= begin + f.length);
    FUZZ_CHECK(f.valid != f.name.empty());
    if (f.valid) {
      FUZZ_CHECK(f.name.data() == begin);
      std::string u = unfold(f.value);
      FUZZ_CHECK(u.find("\n ") == std::string::npos && u.find("\n\t") == std::string::npos);
      (void)field_value(f);
    }
    pos += f.length;
  }
  // What follows the fields is the empty line ("\r\n" or "\n") or nothing.
  FUZZ_CHECK(h.end >= pos && h.end - pos <= 2);
  FUZZ_CHECK(h.complete == (h.end > pos));
}

void check_remove(std::string_view msg, std::string_view name, const Header& h) {
  std::string out = remove_fields(msg, name);
  size_t removed = 0;
  for (const auto& f : h.fields)
    if (count_fields(std::vector<Field>{f}, name) == 1) removed += f.length;
  FUZZ_CHECK(out.size() == msg.size() - removed);
  FUZZ_CHECK(split_message(out).body == split_message(msg).body);
  auto r = parse_header(out);
  FUZZ_CHECK(std::holds_alternative<Header>(r));  // smaller than msg, which parsed
  const auto& h2 = std::get<Header>(r);
  FUZZ_CHECK(count_fields(h2.fields, name) == 0);
  FUZZ_CHECK(h2.fields.size() == h.fields.size() - count_fields(h.fields, name));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view msg(reinterpret_cast<const char*>(bytes), size);
  auto split = split_message(msg);
  FUZZ_CHECK(split.header.size() + split.body.size() == msg.size());

  auto small = parse_header(msg, Limits{64, 4, 998});
  if (auto* e = std::get_if<Error>(&small)) FUZZ_CHECK(!e->text.empty());
  else FUZZ_CHECK(std::get<Header>(small).end <= 64 && std::get<Header>(small).fields.size() <= 4);

  auto r = parse_header(msg);
  if (std::holds_alternative<Error>(r)) return 0;  // only limits fail; inputs here are small
  const Header& h = std::get<Header>(r);
  check_header(msg, h);
  check_remove(msg, "Received", h);
  for (const auto& f : h.fields) {
    if (f.valid) {
      check_remove(msg, f.name, h);
      break;
    }
  }
  return 0;
}
