// SPDX-License-Identifier: Apache-2.0
// The searchable text of a message body (body_text, see search_text.h):
// a walk of the MIME tree from parse_structure() that decodes text parts
// and the headers of attached messages into one bounded UTF-8 string.
// Trusts the tree's shape (its depth is bounded by the Limits it was parsed
// with) but not its offsets, which are clamped to the message; trusts
// nothing in the message. Each part's input is cut to what can fill the
// output still allowed, encoded attached messages are re-parsed at most
// kMaxReparse levels deep, and the walk stops when the output is full. No
// diagnostics.
#include <algorithm>
#include <cstdint>

#include "mail/common/strings.h"
#include "mail/mime/decode.h"
#include "mail/mime/header.h"
#include "mail/mime/search_text.h"
#include "utf8.h"

namespace mail::mime {
namespace {

constexpr size_t kInputPerOutputByte = 16;  // base64 (4/3) × UTF-32 (4) × line ends, with room
constexpr size_t kInputSlack = 1024;

// The charset of a text part: charset=, else the charset of an RFC 2231
// charset*=charset'language'... value.
std::string_view part_charset(const Part& p) {
  if (const std::string* c = find_param(p.params, "charset")) return *c;
  if (const std::string* c = find_param(p.params, "charset*")) {
    std::string_view v = *c;
    return v.substr(0, v.find('\''));
  }
  return {};
}

class Collector {
 public:
  explicit Collector(size_t max) : max_(max) {}

  bool full() const { return full_; }
  size_t room() const { return max_ - out_.size(); }
  std::string take() { return std::move(out_); }

  // One piece of valid UTF-8, after a "\n" when something came before.
  void add(std::string_view piece) {
    if (full_ || piece.empty()) return;
    if (!out_.empty()) {
      if (room() == 0) {
        full_ = true;
        return;
      }
      out_.push_back('\n');
    }
    if (piece.size() <= room()) {
      out_.append(piece);
      return;
    }
    size_t cut = room();
    while (cut > 0 && utf8::is_continuation(static_cast<unsigned char>(piece[cut]))) --cut;
    out_.append(piece.substr(0, cut));
    full_ = true;
  }

  // How much of a part's input can matter for the room left.
  size_t input_budget() const {
    size_t r = room();
    if (r > (SIZE_MAX - kInputSlack) / kInputPerOutputByte) return SIZE_MAX;
    return r * kInputPerOutputByte + kInputSlack;
  }

 private:
  std::string out_;
  size_t max_;
  bool full_ = false;
};

class Walker {
 public:
  explicit Walker(Collector& out) : out_(out) {}

  void part(std::string_view msg, const Part& p, size_t reparse) {
    if (out_.full()) return;
    if (p.is_multipart()) {
      for (const Part& c : p.children) part(msg, c, reparse);
    } else if (p.is_message()) {
      message(msg, p, reparse);
    } else if (p.is_text()) {
      std::string decoded = decode_transfer(body(msg, p), p.encoding);
      std::string_view charset = part_charset(p);
      if (auto u = to_utf8(decoded, charset))
        out_.add(*u);
      else
        out_.add(utf8_or_latin1(decoded));
    }
  }

 private:
  // The part's body, clamped to the message and to the input budget.
  std::string_view body(std::string_view msg, const Part& p) const {
    if (p.body_offset >= msg.size()) return {};
    return msg.substr(p.body_offset, std::min(p.body_size, out_.input_budget()));
  }

  // A message/rfc822 part: its message's header values, then its body.
  void message(std::string_view msg, const Part& p, size_t reparse) {
    if (!p.children.empty()) {
      const Part& top = p.children.front();
      header(msg, top);
      part(msg, top, reparse);
      return;
    }
    // parse_structure leaves an encoded message opaque: decode and parse it.
    bool encoded =
        p.encoding && (common::iequals(*p.encoding, "base64") || common::iequals(*p.encoding, "quoted-printable"));
    if (!encoded || reparse == 0) return;
    std::string inner = decode_transfer(body(msg, p), p.encoding);
    Part root = parse_structure(inner);
    header(inner, root);
    part(inner, root, reparse - 1);
  }

  void header(std::string_view msg, const Part& top) {
    if (top.header_offset >= msg.size()) return;
    // Whole fields (parse_header_prefix bounds them): a field cut short
    // could decode differently from the whole one.
    for (const Field& f : parse_header_prefix(msg.substr(top.header_offset, top.header_size)).fields) {
      if (out_.full()) return;
      if (f.valid) out_.add(decode_header_value(f.value));
    }
  }

  Collector& out_;
};

}  // namespace

std::string body_text(std::string_view message, const Part& root, size_t max_bytes) {
  Collector out(max_bytes);
  Walker(out).part(message, root, kMaxReparse);
  return out.take();
}

}  // namespace mail::mime
