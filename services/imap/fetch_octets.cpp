// SPDX-License-Identifier: Apache-2.0
// The FETCH plan and the octets of each item from what was read (see
// fetch_octets.h). Pure; no diagnostics.
#include "fetch_octets.h"

#include <algorithm>

#include "mail/mime/envelope.h"

namespace mail::imapd {
namespace {

enum class Source { kWhole, kHeader, kRange };

bool root_header(const imap::Section& s) {
  return s.part.empty() && (s.text == imap::Section::kHeader || s.text == imap::Section::kHeaderFields ||
                            s.text == imap::Section::kHeaderFieldsNot);
}

// Where the octets of a section item come from when the whole message
// has not been read.
Source source_of(const imap::FetchSection& fs) {
  if (root_header(fs.section)) return Source::kHeader;
  if (fs.section.part.empty() && fs.section.text == imap::Section::kNone)
    return fs.partial ? Source::kRange : Source::kWhole;
  return Source::kRange;
}

// BODY[]<partial> alone needs no tree: the whole message is its extent.
bool needs_tree(const imap::FetchSection& fs) {
  return !(fs.section.part.empty() && fs.section.text == imap::Section::kNone);
}

mime::Section to_mime(const imap::Section& s) {
  mime::Section out;
  out.part = s.part;
  out.fields = s.fields;
  switch (s.text) {
    case imap::Section::kNone: out.text = mime::SectionText::kNone; break;
    case imap::Section::kHeader: out.text = mime::SectionText::kHeader; break;
    case imap::Section::kHeaderFields: out.text = mime::SectionText::kHeaderFields; break;
    case imap::Section::kHeaderFieldsNot: out.text = mime::SectionText::kHeaderFieldsNot; break;
    case imap::Section::kText: out.text = mime::SectionText::kText; break;
    case imap::Section::kMime: out.text = mime::SectionText::kMime; break;
  }
  return out;
}

// The extent a range item reads: its section's, narrowed by its partial.
mime::SectionExtent range_extent(const imap::FetchSection& fs, const mime::Part& tree, uint64_t size) {
  const mime::SectionExtent e = mime::section_extent(tree, to_mime(fs.section), static_cast<size_t>(size));
  if (!fs.partial) return e;
  return mime::partial_extent(e, fs.partial->origin, fs.partial->length);
}

// The section items of the list, RFC822.HEADER and RFC822.TEXT included.
template <class F>
void for_each_section(const std::vector<imap::FetchItem>& items, F f) {
  for (const auto& item : items) {
    if (const auto* fs = std::get_if<imap::FetchSection>(&item)) {
      f(*fs);
    } else if (const auto* a = std::get_if<imap::FetchAttr>(&item)) {
      if (*a == imap::FetchAttr::kRfc822Header || *a == imap::FetchAttr::kRfc822Text) f(rfc822_section(*a));
    }
  }
}

std::string_view apply_partial(std::string_view data, const imap::FetchSection& fs) {
  return fs.partial ? mime::partial(data, fs.partial->origin, fs.partial->length) : data;
}

// The read octets [offset, offset + length), as far as they were read.
std::string_view piece_at(const MessageOctets& m, uint64_t offset, uint64_t length) {
  if (length == 0) return {};
  for (const auto& p : m.pieces) {
    if (offset < p.offset || offset - p.offset > p.bytes.size()) continue;
    std::string_view bytes(p.bytes);
    bytes.remove_prefix(static_cast<size_t>(offset - p.offset));
    return bytes.substr(0, static_cast<size_t>(std::min<uint64_t>(length, bytes.size())));
  }
  return {};
}

}  // namespace

imap::FetchSection rfc822_section(imap::FetchAttr attr) {
  imap::FetchSection fs;
  fs.peek = true;
  fs.section.text = attr == imap::FetchAttr::kRfc822Header ? imap::Section::kHeader : imap::Section::kText;
  return fs;
}

std::optional<std::string> plan_fetch(const std::vector<imap::FetchItem>& items, FetchPlan& p) {
  auto wants = [&](const imap::FetchSection& fs) {
    p.meta = true;
    switch (source_of(fs)) {
      case Source::kWhole: p.whole = true; break;
      case Source::kHeader: p.header = true; break;
      case Source::kRange:
        p.ranges = true;
        if (needs_tree(fs)) p.structure = true;
        break;
    }
  };
  for (const auto& item : items) {
    if (std::holds_alternative<imap::FetchBinarySize>(item)) return "BINARY.SIZE";
    if (const auto* fs = std::get_if<imap::FetchSection>(&item)) {
      if (fs->binary) return "BINARY";
      wants(*fs);
      if (!fs->peek) p.sets_seen = true;
      continue;
    }
    const auto attr = std::get<imap::FetchAttr>(item);
    switch (attr) {
      case imap::FetchAttr::kFlags:
      case imap::FetchAttr::kUid: break;
      case imap::FetchAttr::kInternalDate:
      case imap::FetchAttr::kRfc822Size: p.meta = true; break;
      case imap::FetchAttr::kEnvelope:
        p.meta = true;
        p.envelope = true;
        break;
      case imap::FetchAttr::kBody:
      case imap::FetchAttr::kBodyStructure:
        p.meta = true;
        p.structure = true;
        break;
      case imap::FetchAttr::kRfc822Header: wants(rfc822_section(attr)); break;
      case imap::FetchAttr::kRfc822:
        p.meta = true;
        p.whole = true;
        p.sets_seen = true;
        break;
      case imap::FetchAttr::kRfc822Text:
        wants(rfc822_section(attr));
        p.sets_seen = true;
        break;
      case imap::FetchAttr::kModseq: p.modseq = true; break;
    }
  }
  return std::nullopt;
}

std::vector<ByteRange> ranges_needed(const std::vector<imap::FetchItem>& items, const mime::Part& tree,
                                     uint64_t size, uint64_t gap) {
  std::vector<ByteRange> want;
  for_each_section(items, [&](const imap::FetchSection& fs) {
    if (source_of(fs) != Source::kRange) return;
    const mime::SectionExtent e = range_extent(fs, tree, size);
    if (e.size > 0) want.push_back({e.offset, e.size});
  });
  std::sort(want.begin(), want.end(), [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  std::vector<ByteRange> out;
  for (const auto& r : want) {
    if (!out.empty() && r.offset <= out.back().offset + out.back().length + gap) {
      auto& last = out.back();
      last.length = std::max(last.offset + last.length, r.offset + r.length) - last.offset;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::string_view item_octets(const MessageOctets& m, const imap::FetchSection& fs, uint64_t size,
                             std::string& scratch) {
  const mime::Section s = to_mime(fs.section);
  auto keep = [&](const mime::SectionData& d) {
    if (!d.built) return apply_partial(d.view, fs);
    scratch = *d.built;
    return apply_partial(scratch, fs);
  };
  static const mime::Part kEmpty;
  if (m.whole) return keep(mime::fetch_section(*m.whole, m.tree ? *m.tree : kEmpty, s));
  if (source_of(fs) == Source::kHeader) {
    if (!m.header) return {};
    return keep(mime::fetch_section(*m.header, m.header_tree ? *m.header_tree : kEmpty, s));
  }
  const mime::Part& tree = m.tree ? *m.tree : kEmpty;
  const mime::SectionExtent e = range_extent(fs, tree, size);
  const mime::SectionData d = mime::section_data(piece_at(m, e.offset, e.size), e, s);
  if (!e.filtered) return d.view;  // the partial is in the extent already
  return keep(d);
}

mime::Envelope envelope_of(const MessageOctets& m) {
  if (m.tree && m.tree->envelope) return *m.tree->envelope;
  if (m.header_tree && m.header_tree->envelope) return *m.header_tree->envelope;
  if (m.header) return mime::parse_envelope(*m.header);
  if (m.whole) return mime::parse_envelope(*m.whole);
  return {};
}

}  // namespace mail::imapd
