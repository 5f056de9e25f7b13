// SPDX-License-Identifier: Apache-2.0
// parse_fetch.cpp: FETCH and UID FETCH (RFC 3501 §6.4.5): macros, items,
// BODY[section]<partial>, BINARY (RFC 3516), MODSEQ and the CHANGEDSINCE /
// VANISHED modifiers (RFC 7162); and the response names of items.
// The command is untrusted; list sizes are bounded by Limits.
#include <array>

#include "parsers.h"

namespace mail::imap::detail {
namespace {

// Item names hold letters, digits and '.', and stop at '[', SP, ')' ...
std::string item_name(Lexer& lx) {
  std::string_view r = lx.rest();
  size_t n = 0;
  while (n < r.size() && n < 32 &&
         ((r[n] >= 'A' && r[n] <= 'Z') || (r[n] >= 'a' && r[n] <= 'z') || is_digit(r[n]) || r[n] == '.'))
    ++n;
  lx.skip(n);
  return upper(r.substr(0, n));
}

bool section_part(Lexer& lx, std::vector<uint32_t>& part) {
  // section-part = nz-number *("." nz-number); stops before ".TEXT" etc.
  while (is_digit(lx.peek())) {
    if (part.size() >= 100) return lx.fail(ErrorKind::kTooMany, "section part too deep");
    auto n = lx.nz_number();
    if (!n) return false;
    part.push_back(*n);
    std::string_view r = lx.rest();
    if (r.size() >= 2 && r[0] == '.' && is_digit(r[1]))
      lx.skip(1);
    else
      break;
  }
  return true;
}

bool header_list(Lexer& lx, std::vector<std::string>& fields) {
  if (!lx.sp() || !lx.expect('(')) return false;
  size_t items = 0;
  while (true) {
    if (!lx.count_item(items)) return false;
    auto f = lx.astring();
    if (!f) return false;
    // header-fld-name: printable ASCII except ':' (RFC 5322 ftext).
    if (f->empty()) return lx.fail("bad header field name");
    for (char c : *f)
      if (c <= 0x20 || c >= 0x7f || c == ':') return lx.fail("bad header field name");
    fields.push_back(upper(*f));
    if (lx.accept(')')) return true;
    if (!lx.sp()) return false;
  }
}

bool section(Lexer& lx, Section& s) {
  if (!lx.expect('[')) return false;
  if (lx.accept(']')) return true;
  if (!section_part(lx, s.part)) return false;
  if (!s.part.empty()) {
    if (lx.accept(']')) return true;
    if (!lx.expect('.')) return false;
  }
  std::string text = item_name(lx);
  if (text == "HEADER") s.text = Section::kHeader;
  else if (text == "HEADER.FIELDS") s.text = Section::kHeaderFields;
  else if (text == "HEADER.FIELDS.NOT") s.text = Section::kHeaderFieldsNot;
  else if (text == "TEXT") s.text = Section::kText;
  else if (text == "MIME" && !s.part.empty()) s.text = Section::kMime;
  else return lx.fail("bad section");
  if ((s.text == Section::kHeaderFields || s.text == Section::kHeaderFieldsNot) && !header_list(lx, s.fields))
    return false;
  return lx.expect(']');
}

bool partial(Lexer& lx, std::optional<Partial>& p) {
  if (!lx.accept('<')) return true;
  auto origin = lx.number();
  if (!origin || !lx.expect('.')) return false;
  auto length = lx.nz_number();
  if (!length || !lx.expect('>')) return false;
  p = Partial{*origin, *length};
  return true;
}

bool binary_section(Lexer& lx, std::vector<uint32_t>& part) {
  if (!lx.expect('[')) return false;
  if (!section_part(lx, part)) return false;
  return lx.expect(']');
}

struct Simple {
  std::string_view name;
  FetchAttr attr;
};
constexpr std::array<Simple, 11> kSimple = {{
    {"FLAGS", FetchAttr::kFlags}, {"INTERNALDATE", FetchAttr::kInternalDate},
    {"RFC822.SIZE", FetchAttr::kRfc822Size}, {"ENVELOPE", FetchAttr::kEnvelope},
    {"BODYSTRUCTURE", FetchAttr::kBodyStructure}, {"UID", FetchAttr::kUid}, {"RFC822", FetchAttr::kRfc822},
    {"RFC822.HEADER", FetchAttr::kRfc822Header}, {"RFC822.TEXT", FetchAttr::kRfc822Text},
    {"MODSEQ", FetchAttr::kModseq}, {"BODY", FetchAttr::kBody},
}};

bool fetch_att(Lexer& lx, std::vector<FetchItem>& items) {
  if (!lx.count_token()) return false;
  std::string name = item_name(lx);
  if (name.empty()) return lx.fail(lx.at_end() ? "missing fetch item" : "expected a fetch item");
  if (name == "BODY" || name == "BODY.PEEK" || name == "BINARY" || name == "BINARY.PEEK") {
    if (lx.peek() == '[') {
      FetchSection fs;
      fs.peek = name.ends_with(".PEEK");
      fs.binary = name.starts_with("BINARY");
      bool good = fs.binary ? binary_section(lx, fs.section.part) : section(lx, fs.section);
      if (!good || !partial(lx, fs.partial)) return false;
      items.push_back(std::move(fs));
      return true;
    }
    if (name != "BODY") return lx.fail("expected '['");
  }
  if (name == "BINARY.SIZE") {
    FetchBinarySize bs;
    if (!binary_section(lx, bs.part)) return false;
    items.push_back(std::move(bs));
    return true;
  }
  for (const auto& s : kSimple) {
    if (name == s.name) {
      items.push_back(s.attr);
      return true;
    }
  }
  return lx.fail("unknown fetch item");
}

bool modifiers(Lexer& lx, Fetch& f) {
  if (!lx.expect('(')) return false;
  size_t items = 0;
  while (true) {
    if (!lx.count_item(items)) return false;
    if (lx.accept_keyword("CHANGEDSINCE")) {
      if (!lx.sp()) return false;
      auto m = lx.number63(false);
      if (!m) return false;
      f.changed_since = *m;
    } else if (lx.accept_keyword("VANISHED")) {
      f.vanished = true;
    } else {
      return lx.fail("unknown fetch modifier");
    }
    if (lx.accept(')')) break;
    if (!lx.sp()) return false;
  }
  // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
  if (f.vanished && (!f.uid || !f.changed_since)) return lx.fail("VANISHED needs UID FETCH and CHANGEDSINCE");
  return true;
}

}  // namespace

Body parse_fetch(Lexer& lx, bool uid) {
  Fetch f;
  f.uid = uid;
  if (!lx.sp()) return std::nullopt;
  auto set = lx.sequence_set();
  if (!set || !lx.sp()) return std::nullopt;
  f.set = std::move(*set);
  if (lx.accept_keyword("ALL")) {
    f.items = {FetchAttr::kFlags, FetchAttr::kInternalDate, FetchAttr::kRfc822Size, FetchAttr::kEnvelope};
  } else if (lx.accept_keyword("FAST")) {
    f.items = {FetchAttr::kFlags, FetchAttr::kInternalDate, FetchAttr::kRfc822Size};
  } else if (lx.accept_keyword("FULL")) {
    f.items = {FetchAttr::kFlags, FetchAttr::kInternalDate, FetchAttr::kRfc822Size, FetchAttr::kEnvelope,
               FetchAttr::kBody};
  } else if (lx.accept('(')) {
    size_t items = 0;
    while (true) {
      if (!lx.count_item(items) || !fetch_att(lx, f.items)) return std::nullopt;
      if (lx.accept(')')) break;
      if (!lx.sp()) return std::nullopt;
    }
  } else if (!fetch_att(lx, f.items)) {
    return std::nullopt;
  }
  if (lx.accept(' ') && !modifiers(lx, f)) return std::nullopt;
  return CommandBody{std::move(f)};
}

}  // namespace mail::imap::detail

namespace mail::imap {

std::string section_text(const Section& s) {
  std::string out;
  for (uint32_t p : s.part) {
    if (!out.empty()) out += '.';
    out += std::to_string(p);
  }
  std::string_view text;
  switch (s.text) {
    case Section::kNone: return out;
    case Section::kHeader: text = "HEADER"; break;
    case Section::kHeaderFields: text = "HEADER.FIELDS"; break;
    case Section::kHeaderFieldsNot: text = "HEADER.FIELDS.NOT"; break;
    case Section::kText: text = "TEXT"; break;
    case Section::kMime: text = "MIME"; break;
  }
  if (!out.empty()) out += '.';
  out += text;
  if (s.text == Section::kHeaderFields || s.text == Section::kHeaderFieldsNot) {
    out += " (";
    for (size_t i = 0; i < s.fields.size(); ++i) {
      if (i) out += ' ';
      out += s.fields[i];
    }
    out += ')';
  }
  return out;
}

std::string response_name(const FetchItem& item) {
  if (const auto* a = std::get_if<FetchAttr>(&item)) {
    switch (*a) {
      case FetchAttr::kFlags: return "FLAGS";
      case FetchAttr::kInternalDate: return "INTERNALDATE";
      case FetchAttr::kRfc822Size: return "RFC822.SIZE";
      case FetchAttr::kEnvelope: return "ENVELOPE";
      case FetchAttr::kBody: return "BODY";
      case FetchAttr::kBodyStructure: return "BODYSTRUCTURE";
      case FetchAttr::kUid: return "UID";
      case FetchAttr::kRfc822: return "RFC822";
      case FetchAttr::kRfc822Header: return "RFC822.HEADER";
      case FetchAttr::kRfc822Text: return "RFC822.TEXT";
      case FetchAttr::kModseq: return "MODSEQ";
    }
    return "";
  }
  if (const auto* b = std::get_if<FetchBinarySize>(&item)) {
    Section s;
    s.part = b->part;
    return "BINARY.SIZE[" + section_text(s) + "]";
  }
  const auto& fs = std::get<FetchSection>(item);
  std::string out = fs.binary ? "BINARY[" : "BODY[";
  out += section_text(fs.section);
  out += ']';
  if (fs.partial) out += "<" + std::to_string(fs.partial->origin) + ">";
  return out;
}

}  // namespace mail::imap
