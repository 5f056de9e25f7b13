// SPDX-License-Identifier: Apache-2.0
// MIME tree parser and the BODY / BODYSTRUCTURE writer (see structure.h).
// Trusts nothing in the message: every part's header is parsed within
// Limits (parse_header_prefix), multipart bodies are split by a linear scan
// of their own byte range, and recursion is bounded by Limits::max_depth and
// the number of nodes by Limits::max_parts. Work is O(size × depth). Broken
// structure never fails; limits mark the part `limited`. No diagnostics.
#include "mail/mime/structure.h"

#include <algorithm>

#include "mail/common/strings.h"
#include "mail/mime/imap_string.h"

namespace mail::mime {
namespace {

size_t count_lines(std::string_view body) {
  size_t n = static_cast<size_t>(std::count(body.begin(), body.end(), '\n'));
  if (!body.empty() && body.back() != '\n') ++n;
  return n;
}

struct Delimiter {
  size_t start;  // first byte of the "--boundary" line
  size_t after;  // past its line end
  bool close;
};

// Delimiter lines of boundary in msg[begin, end), up to the first close
// delimiter. Each line is looked at once.
std::vector<Delimiter> find_delimiters(std::string_view msg, size_t begin, size_t end, std::string_view boundary,
                                       size_t max) {
  std::vector<Delimiter> out;
  std::string_view s = msg.substr(0, end);
  size_t pos = begin;
  while (pos < end && out.size() < max) {
    size_t nl = s.find('\n', pos);
    size_t after = nl == std::string_view::npos ? end : nl + 1;
    std::string_view line = s.substr(pos, after - pos);
    if (line.size() >= 2 + boundary.size() && line.starts_with("--") && line.substr(2, boundary.size()) == boundary) {
      std::string_view rest = line.substr(2 + boundary.size());
      bool close = rest.starts_with("--");
      if (close) rest.remove_prefix(2);
      // Transport padding, then the line end (a CR before it included).
      bool ok = std::all_of(rest.begin(), rest.end(),
                            [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
      if (ok) {
        out.push_back(Delimiter{pos, after, close});
        if (close) break;
      }
    }
    pos = after;
  }
  return out;
}

void read_fields(Part& p, const std::vector<Field>& fields, bool in_digest, const Limits& limits) {
  bool typed = false;
  if (const Field* f = find_field(fields, "Content-Type")) {
    ContentType ct = parse_content_type(f->value, limits);
    if (ct.valid) {
      p.type = std::move(ct.type);
      p.subtype = std::move(ct.subtype);
      p.params = std::move(ct.params);
      typed = true;
    }
  } else if (in_digest) {
    p.type = "message";
    p.subtype = "rfc822";
    typed = true;
  }
  if (!typed) {  // RFC 2045 §5.2: absent or invalid
    p.type = "text";
    p.subtype = "plain";
    p.params.clear();
  }
  if (p.is_text() && !find_param(p.params, "charset") && !find_param(p.params, "charset*"))
    p.params.insert(p.params.begin(), Param{"charset", "us-ascii"});

  auto text = [&](std::string_view name) -> std::optional<std::string> {
    const Field* f = find_field(fields, name);
    if (!f) return std::nullopt;
    return field_value(*f);
  };
  p.id = text("Content-ID");
  p.description = text("Content-Description");
  p.md5 = text("Content-MD5");
  p.location = text("Content-Location");
  if (const Field* f = find_field(fields, "Content-Transfer-Encoding")) {
    std::string enc = parse_token(f->value);
    if (!enc.empty()) p.encoding = std::move(enc);
  }
  if (const Field* f = find_field(fields, "Content-Disposition")) {
    Disposition d = parse_disposition(f->value, limits);
    if (!d.type.empty()) p.disposition = std::move(d);
  }
  if (const Field* f = find_field(fields, "Content-Language")) p.language = parse_language(f->value, limits);
}

// The header of a part that starts view (and ends with it): header_size,
// limited (for the header), the content fields and, at the top of a
// message, the envelope. True when an empty line ended the header.
bool read_head(Part& p, std::string_view view, bool has_header, bool in_digest, bool message_top,
               const Limits& limits) {
  std::vector<Field> fields;
  std::optional<size_t> end;
  if (has_header) {
    Header h = parse_header_prefix(view, limits);
    end = find_header_end(view);
    const size_t header_end = end.value_or(view.size());
    p.limited = !h.complete && h.end < header_end;
    p.header_size = header_end;
    fields = std::move(h.fields);
  }
  read_fields(p, fields, in_digest, limits);
  if (message_top) p.envelope = envelope_from_fields(fields, limits);
  return end.has_value();
}

void shift(Part& p, size_t by) {
  p.header_offset += by;
  p.body_offset += by;
  for (auto& c : p.children) shift(c, by);
}

class Parser {
 public:
  Parser(std::string_view msg, const Limits& limits) : msg_(msg), limits_(limits) {}

  // msg[begin, end) is the part; has_header false for the synthetic child
  // of a multipart without usable boundary.
  void parse(Part& p, size_t begin, size_t end, size_t depth, bool in_digest, bool has_header, bool message_top) {
    ++parts_;
    p.header_offset = begin;
    read_head(p, msg_.substr(begin, end - begin), has_header, in_digest, message_top, limits_);
    p.body_offset = begin + p.header_size;
    p.body_size = end - p.body_offset;
    p.body_lines = count_lines(msg_.substr(p.body_offset, p.body_size));

    if (!p.is_multipart() && !p.is_message()) return;
    // An encoded message is opaque: its bytes are not a message until decoded.
    if (p.is_message() && (p.encoding == "base64" || p.encoding == "quoted-printable")) return;
    if (depth + 1 > limits_.max_depth || parts_ >= limits_.max_parts) {
      p.limited = true;
      return;
    }
    if (p.is_message()) {
      p.children.emplace_back();
      parse(p.children.back(), p.body_offset, end, depth + 1, false, true, true);
      return;
    }
    split_multipart(p, end, depth);
  }

 private:
  // The one headerless child covering the whole body.
  void one_body(Part& p, size_t end, size_t depth) {
    p.children.emplace_back();
    parse(p.children.back(), p.body_offset, end, depth + 1, false, false, false);
  }

  void split_multipart(Part& p, size_t end, size_t depth) {
    const std::string* boundary = find_param(p.params, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > limits_.max_boundary) {
      one_body(p, end, depth);
      return;
    }
    // One more delimiter than children may be created: the last one closes.
    size_t room = limits_.max_parts - parts_;
    auto delims = find_delimiters(msg_, p.body_offset, end, *boundary, room + 1);
    if (delims.empty()) {
      one_body(p, end, depth);
      return;
    }
    bool digest = p.subtype == "digest";
    for (size_t i = 0; i < delims.size(); ++i) {
      if (delims[i].close) break;
      if (parts_ >= limits_.max_parts) {
        p.limited = true;
        break;
      }
      size_t child_begin = delims[i].after;
      size_t child_end = end;  // a missing close delimiter: to the end
      if (i + 1 < delims.size()) {
        child_end = delims[i + 1].start;
        // The line end before a delimiter is part of the delimiter.
        if (child_end > child_begin && msg_[child_end - 1] == '\n') --child_end;
        if (child_end > child_begin && msg_[child_end - 1] == '\r') --child_end;
      }
      p.children.emplace_back();
      parse(p.children.back(), child_begin, child_end, depth + 1, digest, true, false);
    }
    if (p.children.empty()) one_body(p, end, depth);  // only a close delimiter
  }

  std::string_view msg_;
  const Limits& limits_;
  size_t parts_ = 0;
};

void append_upper(std::string& out, std::string_view s) { append_imap_string(out, common::ascii_upper(s)); }

void append_params(std::string& out, const std::vector<Param>& params) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out.push_back(' ');
    append_upper(out, params[i].name);
    out.push_back(' ');
    append_imap_string(out, params[i].value);
  }
  out.push_back(')');
}

// body-fld-dsp SP body-fld-lang SP body-fld-loc
void append_common_ext(std::string& out, const Part& p) {
  out.push_back(' ');
  if (p.disposition) {
    out.push_back('(');
    append_upper(out, p.disposition->type);
    out.push_back(' ');
    append_params(out, p.disposition->params);
    out.push_back(')');
  } else {
    out += "NIL";
  }
  out.push_back(' ');
  if (p.language.empty()) {
    out += "NIL";
  } else if (p.language.size() == 1) {
    append_imap_string(out, p.language[0]);
  } else {
    out.push_back('(');
    for (size_t i = 0; i < p.language.size(); ++i) {
      if (i) out.push_back(' ');
      append_imap_string(out, p.language[i]);
    }
    out.push_back(')');
  }
  out.push_back(' ');
  append_imap_nstring(out, p.location);
}

constexpr std::string_view kEmptyBody = R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0))";

}  // namespace

Part parse_structure(std::string_view message, const Limits& limits) {
  Part root;
  Parser(message, limits).parse(root, 0, message.size(), 0, false, true, true);
  return root;
}

Part parse_structure_prefixed(std::string_view prefix, std::string_view message, const Part& tree,
                              const Limits& limits) {
  auto whole = [&] {
    std::string joined;
    joined.reserve(prefix.size() + message.size());
    joined.append(prefix).append(message);
    return parse_structure(joined, limits);
  };
  if (prefix.empty()) return tree;
  if (tree.header_offset != 0 || tree.header_size > message.size() ||
      tree.body_offset + tree.body_size != message.size())
    return whole();
  // The root's header with and without the prefix. Either ends with its
  // empty line, so it splits into the same lines and fields as the whole
  // message would; or it is the whole message.
  const std::string_view head = message.substr(0, tree.header_size);
  const bool head_is_all = head.size() == message.size();
  Part before;
  const bool before_ends = read_head(before, head, true, false, true, limits);
  std::string joined;
  joined.reserve(prefix.size() + head.size());
  joined.append(prefix).append(head);
  Part after;
  const bool after_ends = read_head(after, joined, true, false, true, limits);
  // The body is parsed as before when the root starts it at the same place
  // with the same type, parameters and encoding. before.limited false makes
  // tree.limited the body's alone (limits reached below the header).
  const bool same = (head_is_all || (before_ends && after_ends)) && !before.limited &&
                    before.header_size == tree.header_size && after.header_size == joined.size() &&
                    after.type == tree.type && after.subtype == tree.subtype && after.params == tree.params &&
                    after.encoding == tree.encoding;
  if (!same) return whole();
  Part out = tree;
  for (auto& c : out.children) shift(c, prefix.size());
  out.header_size = after.header_size;
  out.body_offset = after.header_size;
  out.limited = after.limited || tree.limited;
  out.id = std::move(after.id);
  out.description = std::move(after.description);
  out.md5 = std::move(after.md5);
  out.disposition = std::move(after.disposition);
  out.language = std::move(after.language);
  out.location = std::move(after.location);
  out.envelope = std::move(after.envelope);
  return out;
}

void append_imap_body_structure(std::string& out, const Part& p, bool ext) {
  out.push_back('(');
  if (p.is_multipart()) {
    if (p.children.empty()) out += kEmptyBody;
    for (const auto& c : p.children) append_imap_body_structure(out, c, ext);
    out.push_back(' ');
    append_upper(out, p.subtype);
    if (ext) {
      out.push_back(' ');
      append_params(out, p.params);
      append_common_ext(out, p);
    }
    out.push_back(')');
    return;
  }
  append_upper(out, p.type);
  out.push_back(' ');
  append_upper(out, p.subtype);
  out.push_back(' ');
  append_params(out, p.params);
  out.push_back(' ');
  append_imap_nstring(out, p.id);
  out.push_back(' ');
  append_imap_nstring(out, p.description);
  out.push_back(' ');
  append_upper(out, p.encoding.value_or("7bit"));
  out.push_back(' ');
  out += std::to_string(p.body_size);
  if (p.is_message()) {
    const Part* inner = p.children.empty() ? nullptr : &p.children.front();
    out.push_back(' ');
    append_imap_envelope(out, inner && inner->envelope ? *inner->envelope : Envelope{});
    out.push_back(' ');
    if (inner) append_imap_body_structure(out, *inner, ext);
    else out += kEmptyBody;
  }
  if (p.is_message() || p.is_text()) {
    out.push_back(' ');
    out += std::to_string(p.body_lines);
  }
  if (ext) {
    out.push_back(' ');
    append_imap_nstring(out, p.md5);
    append_common_ext(out, p);
  }
  out.push_back(')');
}

std::string imap_body_structure(const Part& part, bool extensible) {
  std::string out;
  append_imap_body_structure(out, part, extensible);
  return out;
}

}  // namespace mail::mime
