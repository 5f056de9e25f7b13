// SPDX-License-Identifier: Apache-2.0
// The byte form of a MIME tree (see structure_codec.h). The writer trusts
// the tree (it comes from parse_structure()); the reader trusts nothing:
// a Reader never reads past its input, recursion stops at Limits::max_depth,
// and each node is checked before it is kept. No diagnostics beyond the
// DecodeError returned.
#include "mail/mime/structure_codec.h"

#include <limits>
#include <optional>
#include <vector>

namespace mail::mime {
namespace {

// Part flags.
constexpr uint64_t kLimited = 1u << 0, kId = 1u << 1, kDescription = 1u << 2, kEncoding = 1u << 3, kMd5 = 1u << 4,
                   kDisposition = 1u << 5, kLocation = 1u << 6, kEnvelope = 1u << 7;
constexpr uint64_t kPartFlags = (1u << 8) - 1;
// Envelope flags.
constexpr uint64_t kDate = 1u << 0, kSubject = 1u << 1, kInReplyTo = 1u << 2, kMessageId = 1u << 3,
                   kSenderIsFrom = 1u << 4, kReplyToIsFrom = 1u << 5;
constexpr uint64_t kEnvelopeFlags = (1u << 6) - 1;
// Address flags: which of name, adl, mailbox, host are there.
constexpr uint64_t kAddressFlags = (1u << 4) - 1;

// ---- writing -------------------------------------------------------------------

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void put_optional(std::string& out, const std::optional<std::string>& s) {
  if (s) put_string(out, *s);
}

void put_params(std::string& out, const std::vector<Param>& params) {
  put_varint(out, params.size());
  for (const auto& p : params) {
    put_string(out, p.name);
    put_string(out, p.value);
  }
}

void put_addresses(std::string& out, const std::vector<Address>& list) {
  put_varint(out, list.size());
  for (const auto& a : list) {
    const std::optional<std::string>* fields[] = {&a.name, &a.adl, &a.mailbox, &a.host};
    uint64_t flags = 0;
    for (size_t i = 0; i < 4; ++i)
      if (*fields[i]) flags |= 1u << i;
    put_varint(out, flags);
    for (const auto* f : fields) put_optional(out, *f);
  }
}

void put_envelope(std::string& out, const Envelope& e) {
  uint64_t flags = 0;
  if (e.date) flags |= kDate;
  if (e.subject) flags |= kSubject;
  if (e.in_reply_to) flags |= kInReplyTo;
  if (e.message_id) flags |= kMessageId;
  if (e.sender == e.from) flags |= kSenderIsFrom;
  if (e.reply_to == e.from) flags |= kReplyToIsFrom;
  put_varint(out, flags);
  put_optional(out, e.date);
  put_optional(out, e.subject);
  put_addresses(out, e.from);
  if (!(flags & kSenderIsFrom)) put_addresses(out, e.sender);
  if (!(flags & kReplyToIsFrom)) put_addresses(out, e.reply_to);
  put_addresses(out, e.to);
  put_addresses(out, e.cc);
  put_addresses(out, e.bcc);
  put_optional(out, e.in_reply_to);
  put_optional(out, e.message_id);
}

// `cursor`: where the previous sibling ended (or the parent's body starts).
void put_part(std::string& out, const Part& p, size_t cursor) {
  uint64_t flags = 0;
  if (p.limited) flags |= kLimited;
  if (p.id) flags |= kId;
  if (p.description) flags |= kDescription;
  if (p.encoding) flags |= kEncoding;
  if (p.md5) flags |= kMd5;
  if (p.disposition) flags |= kDisposition;
  if (p.location) flags |= kLocation;
  if (p.envelope) flags |= kEnvelope;
  put_varint(out, flags);
  put_varint(out, p.header_offset - cursor);
  put_varint(out, p.header_size);
  put_varint(out, p.body_size);
  put_varint(out, p.body_lines);
  put_string(out, p.type);
  put_string(out, p.subtype);
  put_params(out, p.params);
  put_optional(out, p.id);
  put_optional(out, p.description);
  put_optional(out, p.encoding);
  put_optional(out, p.md5);
  if (p.disposition) {
    put_string(out, p.disposition->type);
    put_params(out, p.disposition->params);
  }
  put_varint(out, p.language.size());
  for (const auto& l : p.language) put_string(out, l);
  put_optional(out, p.location);
  if (p.envelope) put_envelope(out, *p.envelope);
  put_varint(out, p.children.size());
  size_t at = p.body_offset;
  for (const auto& c : p.children) {
    put_part(out, c, at);
    at = c.body_offset + c.body_size;
  }
}

// ---- reading -------------------------------------------------------------------

class Reader {
 public:
  Reader(std::string_view in, const Limits& limits) : in_(in), limits_(limits) {}

  std::optional<DecodeError> error;

  bool fail(DecodeError::Kind kind, std::string text) {
    if (!error) error = DecodeError{kind, pos_, std::move(text)};
    return false;
  }

  bool varint(uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail(DecodeError::Kind::kTruncated, "input ends inside a number");
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && b > 1) return fail(DecodeError::Kind::kInvalid, "number too large");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return fail(DecodeError::Kind::kInvalid, "number too long");
  }

  bool size(size_t& out) {
    uint64_t v = 0;
    if (!varint(v)) return false;
    if (v > std::numeric_limits<size_t>::max()) return fail(DecodeError::Kind::kInvalid, "number too large");
    out = static_cast<size_t>(v);
    return true;
  }

  bool string(std::string& out) {
    size_t n = 0;
    if (!size(n)) return false;
    if (n > in_.size() - pos_) return fail(DecodeError::Kind::kTruncated, "input ends inside a string");
    out.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }

  bool optional(bool present, std::optional<std::string>& out) {
    if (!present) return true;
    out.emplace();
    return string(*out);
  }

  // A count of elements of at least one byte each, at most `max`.
  bool count(size_t& n, size_t max, const char* what) {
    if (!size(n)) return false;
    if (n > max) return fail(DecodeError::Kind::kLimit, std::string("too many ") + what);
    if (n > in_.size() - pos_) return fail(DecodeError::Kind::kTruncated, std::string("input ends inside ") + what);
    return true;
  }

  bool params(std::vector<Param>& out, size_t max) {
    size_t n = 0;
    if (!count(n, max, "parameters")) return false;
    out.resize(n);
    for (auto& p : out)
      if (!string(p.name) || !string(p.value)) return false;
    return true;
  }

  bool addresses(std::vector<Address>& out) {
    size_t n = 0;
    // At most max_addresses entries plus a group's end marker (address.h).
    if (!count(n, limits_.max_addresses + 1, "addresses")) return false;
    out.resize(n);
    for (auto& a : out) {
      uint64_t flags = 0;
      if (!varint(flags)) return false;
      if (flags & ~kAddressFlags) return fail(DecodeError::Kind::kInvalid, "unknown address flags");
      std::optional<std::string>* fields[] = {&a.name, &a.adl, &a.mailbox, &a.host};
      for (size_t i = 0; i < 4; ++i)
        if (!optional(flags & (1u << i), *fields[i])) return false;
    }
    return true;
  }

  bool envelope(Envelope& e) {
    uint64_t flags = 0;
    if (!varint(flags)) return false;
    if (flags & ~kEnvelopeFlags) return fail(DecodeError::Kind::kInvalid, "unknown envelope flags");
    if (!optional(flags & kDate, e.date) || !optional(flags & kSubject, e.subject) || !addresses(e.from)) return false;
    if (flags & kSenderIsFrom) e.sender = e.from;
    else if (!addresses(e.sender)) return false;
    if (flags & kReplyToIsFrom) e.reply_to = e.from;
    else if (!addresses(e.reply_to)) return false;
    return addresses(e.to) && addresses(e.cc) && addresses(e.bcc) && optional(flags & kInReplyTo, e.in_reply_to) &&
           optional(flags & kMessageId, e.message_id);
  }

  // One part that must lie within [cursor, end).
  bool part(Part& p, size_t cursor, size_t end, size_t depth) {
    if (depth > limits_.max_depth) return fail(DecodeError::Kind::kLimit, "tree too deep");
    if (++parts_ > limits_.max_parts) return fail(DecodeError::Kind::kLimit, "too many parts");
    uint64_t flags = 0;
    size_t gap = 0;
    if (!varint(flags) || !size(gap) || !size(p.header_size) || !size(p.body_size) || !size(p.body_lines))
      return false;
    if (flags & ~kPartFlags) return fail(DecodeError::Kind::kInvalid, "unknown part flags");
    // Each step below keeps the sum within [cursor, end]: no overflow.
    if (gap > end - cursor) return fail(DecodeError::Kind::kInvalid, "part starts outside its parent");
    p.header_offset = cursor + gap;
    if (p.header_size > end - p.header_offset) return fail(DecodeError::Kind::kInvalid, "header outside its parent");
    p.body_offset = p.header_offset + p.header_size;
    if (p.body_size > end - p.body_offset) return fail(DecodeError::Kind::kInvalid, "body outside its parent");
    if (p.body_lines > p.body_size) return fail(DecodeError::Kind::kInvalid, "more lines than octets");
    p.limited = flags & kLimited;
    // The parser adds a charset to text/* parameters that lack one.
    if (!string(p.type) || !string(p.subtype) || !params(p.params, limits_.max_params + 1)) return false;
    if (!optional(flags & kId, p.id) || !optional(flags & kDescription, p.description) ||
        !optional(flags & kEncoding, p.encoding) || !optional(flags & kMd5, p.md5))
      return false;
    if (flags & kDisposition) {
      p.disposition.emplace();
      if (!string(p.disposition->type) || !params(p.disposition->params, limits_.max_params)) return false;
    }
    size_t languages = 0;
    if (!count(languages, limits_.max_params, "languages")) return false;
    p.language.resize(languages);
    for (auto& l : p.language)
      if (!string(l)) return false;
    if (!optional(flags & kLocation, p.location)) return false;
    if (flags & kEnvelope) {
      p.envelope.emplace();
      if (!envelope(*p.envelope)) return false;
    }
    size_t children = 0;
    if (!count(children, limits_.max_parts, "parts")) return false;
    if (children > 0 && !p.is_multipart() && !(p.is_message() && children == 1))
      return fail(DecodeError::Kind::kInvalid, "children under a part that cannot have them");
    p.children.resize(children);
    size_t at = p.body_offset;
    const size_t body_end = p.body_offset + p.body_size;
    for (auto& c : p.children) {
      if (!part(c, at, body_end, depth + 1)) return false;
      at = c.body_offset + c.body_size;
    }
    return true;
  }

  bool done() {
    if (pos_ != in_.size()) return fail(DecodeError::Kind::kInvalid, "bytes after the tree");
    return true;
  }

  bool version() {
    if (in_.empty()) return fail(DecodeError::Kind::kVersion, "empty input");
    if (static_cast<uint8_t>(in_[0]) != kStructureFormat)
      return fail(DecodeError::Kind::kVersion, "format version " + std::to_string(static_cast<uint8_t>(in_[0])));
    ++pos_;
    return true;
  }

 private:
  std::string_view in_;
  const Limits& limits_;
  size_t pos_ = 0;
  size_t parts_ = 0;
};

}  // namespace

std::string encode_structure(const Part& root) {
  std::string out;
  out.push_back(static_cast<char>(kStructureFormat));
  put_part(out, root, 0);
  return out;
}

std::variant<Part, DecodeError> decode_structure(std::string_view bytes, const Limits& limits) {
  Reader r(bytes, limits);
  Part root;
  if (r.version() && r.part(root, 0, std::numeric_limits<size_t>::max(), 0) && r.done()) return root;
  return *r.error;
}

}  // namespace mail::mime
