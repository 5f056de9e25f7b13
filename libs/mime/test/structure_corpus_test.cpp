// SPDX-License-Identifier: Apache-2.0
// Runs the MIME tree, ENVELOPE, BODY/BODYSTRUCTURE and BODY[section] code
// over every file of the shared real-world corpus (shared/corpus/mail-gem,
// broken mail included), as stored and normalised to CRLF, with the default
// and with small limits, and checks invariants that hold for any input:
// parts tile their parents' byte ranges, the limits are kept, the IMAP output
// is well-formed (balanced lists, valid quoted strings and literals), every
// section of every part is where the tree says. A few files are checked
// against shapes read off their boundaries by hand. The corpus path comes
// from MAIL_CORPUS_DIR (env, else the compile-time default).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "corpus_files.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"

using namespace mail::mime;
namespace fs = std::filesystem;

namespace {

using mail::mime::test::corpus_dir;
using mail::mime::test::read_file;
using mail::mime::test::to_crlf;

// Checks s is one parenthesized IMAP list of NIL, numbers, quoted strings,
// literals and lists, separated by single spaces where RFC 3501 puts them
// (lists may also follow lists directly, as multipart bodies do). Returns
// the number of items of the top-level list, or -1 when malformed.
int imap_list_items(std::string_view s) {
  size_t i = 0;
  int depth = 0, top_items = 0;
  bool need_sep = false;  // an item just ended: next comes ' ', ')' or (after a list) '('
  bool after_list = false;
  while (i < s.size()) {
    char c = s[i];
    if (c == ')') {
      if (depth == 0) return -1;
      --depth;
      ++i;
      need_sep = true;
      after_list = true;
      if (depth == 0) return i == s.size() ? top_items : -1;
      continue;
    }
    if (c == ' ') {
      if (!need_sep) return -1;
      need_sep = false;
      after_list = false;
      ++i;
      continue;
    }
    if (need_sep && !(c == '(' && after_list)) return -1;
    if (depth == 1) ++top_items;
    if (c == '(') {
      ++depth;
      ++i;
      need_sep = false;
      continue;
    }
    if (depth == 0) return -1;
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0' || static_cast<unsigned char>(s[i]) >= 0x80) return -1;
        if (s[i] == '\\') {
          if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\')) return -1;
          ++i;
        }
      }
      if (i >= s.size()) return -1;
      ++i;
    } else if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string_view::npos || close == i + 1) return -1;
      size_t n = 0;
      for (size_t k = i + 1; k < close; ++k) {
        if (s[k] < '0' || s[k] > '9') return -1;
        n = n * 10 + static_cast<size_t>(s[k] - '0');
      }
      if (s.substr(close + 1, 2) != "\r\n" || close + 3 + n > s.size()) return -1;
      i = close + 3 + n;
    } else if (s.substr(i, 3) == "NIL") {
      i += 3;
    } else if (c >= '0' && c <= '9') {
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
      return -1;
    }
    need_sep = true;
    after_list = false;
  }
  return -1;
}

struct Visit {
  std::vector<uint32_t> path;
  const Part* part;
};

void visit_part(const Part& p, std::vector<uint32_t> path, std::vector<Visit>& out);

// The numbered parts of a message whose top is top, below path.
void visit_message(const Part& top, const std::vector<uint32_t>& path, std::vector<Visit>& out) {
  if (top.is_multipart()) {
    for (size_t i = 0; i < top.children.size(); ++i) {
      auto p = path;
      p.push_back(static_cast<uint32_t>(i + 1));
      visit_part(top.children[i], p, out);
    }
  } else {
    auto p = path;
    p.push_back(1);
    visit_part(top, p, out);
  }
}

void visit_part(const Part& p, std::vector<uint32_t> path, std::vector<Visit>& out) {
  out.push_back(Visit{path, &p});
  if (p.is_multipart()) {
    visit_message(p, path, out);
  } else if (p.is_message() && !p.children.empty()) {
    visit_message(p.children.front(), path, out);
  }
}

struct TreeStats {
  size_t parts = 0;
  size_t max_depth = 0;
};

void check_tree(const Part& p, size_t lo, size_t hi, size_t depth, TreeStats& st) {
  ++st.parts;
  st.max_depth = std::max(st.max_depth, depth);
  EXPECT_GE(p.header_offset, lo);
  EXPECT_EQ(p.header_offset + p.header_size, p.body_offset);
  EXPECT_LE(p.body_offset + p.body_size, hi);
  EXPECT_LE(p.body_lines, p.body_size);
  size_t body_end = p.body_offset + p.body_size;
  if (p.is_multipart()) {
    EXPECT_TRUE(!p.children.empty() || p.limited);
    size_t pos = p.body_offset;
    for (const auto& c : p.children) {
      EXPECT_GE(c.header_offset, pos);
      check_tree(c, pos, body_end, depth + 1, st);
      pos = c.body_offset + c.body_size;
    }
  } else if (p.is_message()) {
    EXPECT_TRUE(!p.children.empty() || p.limited || p.encoding == "base64" || p.encoding == "quoted-printable");
    ASSERT_LE(p.children.size(), 1u);
    if (!p.children.empty()) {
      const Part& c = p.children.front();
      EXPECT_EQ(c.header_offset, p.body_offset);
      EXPECT_EQ(c.body_offset + c.body_size, body_end);
      EXPECT_TRUE(c.envelope.has_value());
      check_tree(c, p.body_offset, body_end, depth + 1, st);
    }
  } else {
    EXPECT_TRUE(p.children.empty());
  }
}

bool inside(std::string_view v, std::string_view msg) {
  return v.empty() || (v.data() >= msg.data() && v.data() + v.size() <= msg.data() + msg.size());
}

// Everything for one message and one set of limits; returns the tree.
Part check_message(std::string_view msg, const Limits& limits) {
  Part root = parse_structure(msg, limits);
  EXPECT_EQ(root.header_offset, 0u);
  EXPECT_EQ(root.body_offset + root.body_size, msg.size());
  if (!root.envelope) {
    ADD_FAILURE() << "root without envelope";
    return root;
  }
  TreeStats st;
  check_tree(root, 0, msg.size(), 0, st);
  EXPECT_LE(st.parts, limits.max_parts);
  EXPECT_LE(st.max_depth, limits.max_depth);

  EXPECT_EQ(imap_list_items(imap_envelope(*root.envelope)), 10) << imap_envelope(*root.envelope);
  EXPECT_EQ(*root.envelope, parse_envelope(msg, limits));
  for (bool ext : {false, true}) {
    std::string bs = imap_body_structure(root, ext);
    EXPECT_GT(imap_list_items(bs), 0) << bs;
  }

  std::vector<Visit> visits;
  visit_message(root, {}, visits);
  EXPECT_FALSE(visits.empty());
  const std::vector<std::string> names = {"From", "Subject", "content-type"};
  for (const auto& v : visits) {
    SCOPED_TRACE(testing::PrintToString(v.path));
    EXPECT_EQ(find_part(root, v.path), v.part);
    const Part& p = *v.part;
    std::string bs = imap_body_structure(p, true);
    EXPECT_GT(imap_list_items(bs), 0) << bs;
    for (auto text : {SectionText::kNone, SectionText::kHeader, SectionText::kHeaderFields,
                      SectionText::kHeaderFieldsNot, SectionText::kText, SectionText::kMime}) {
      Section s{v.path, text, names};
      SectionData d = fetch_section(msg, root, s, limits);
      EXPECT_TRUE(inside(d.view, msg));
      std::string_view data = d.data();
      EXPECT_EQ(partial(data, 0), data);
      EXPECT_EQ(partial(data, data.size() / 2, 10), data.substr(data.size() / 2, 10));
      const Part* top = p.is_message() && !p.children.empty() ? &p.children.front() : nullptr;
      bool of_message = text != SectionText::kNone && text != SectionText::kMime;
      EXPECT_EQ(d.found, !of_message || top != nullptr);
      switch (text) {
        case SectionText::kNone:
          EXPECT_EQ(data, msg.substr(p.body_offset, p.body_size));
          break;
        case SectionText::kMime:
          EXPECT_EQ(data, msg.substr(p.header_offset, p.header_size));
          break;
        case SectionText::kHeader:
          EXPECT_EQ(data, top ? msg.substr(top->header_offset, top->header_size) : "");
          break;
        case SectionText::kText:
          EXPECT_EQ(data, top ? msg.substr(top->body_offset, top->body_size) : "");
          break;
        default:
          if (!top) EXPECT_EQ(data, "");
          else EXPECT_LE(data.size(), top->header_size + 2 * (limits.max_fields + 1));  // + added line ends
          break;
      }
    }
  }
  // Parts past the last one do not exist.
  EXPECT_EQ(fetch_section(msg, root, Section{{static_cast<uint32_t>(root.children.size() + 2)}, SectionText::kNone, {}}, limits).data(), "");
  return root;
}

// "type/subtype(child,child)" from the tree.
std::string shape(const Part& p) {
  std::string s = p.type + "/" + p.subtype;
  if (!p.children.empty()) {
    s += "(";
    for (size_t i = 0; i < p.children.size(); ++i) s += (i ? "," : "") + shape(p.children[i]);
    s += ")";
  }
  return s;
}

TEST(MimeStructureCorpus, EveryFileEveryLimit) {
  const fs::path dir = corpus_dir();
  ASSERT_TRUE(fs::is_directory(dir)) << "corpus not found at " << dir << " (set MAIL_CORPUS_DIR)";
  const Limits small = mail::mime::test::small_limits();
  Limits tiny;
  tiny.max_header_bytes = 16;
  tiny.max_fields = 1;
  tiny.max_depth = 0;
  tiny.max_parts = 1;
  tiny.max_boundary = 1;
  tiny.max_params = 0;
  tiny.max_addresses = 0;

  std::map<std::string, std::string> shapes;
  std::map<std::string, Part> trees;
  std::map<std::string, std::string> texts;
  size_t files = 0, multiparts = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    ++files;
    std::string rel = fs::relative(e.path(), dir).string();
    SCOPED_TRACE(rel);
    std::string raw = read_file(e.path());
    std::string crlf = to_crlf(raw);
    Part root = check_message(crlf, Limits{});
    check_message(raw, Limits{});
    check_message(crlf, small);
    check_message(crlf, tiny);
    multiparts += root.is_multipart();
    shapes[rel] = shape(root);
    trees[rel] = std::move(root);
    texts[rel] = std::move(crlf);
  }
  EXPECT_GE(files, 100u);
  EXPECT_GE(multiparts, 40u);

  // Shapes read off the files' Content-Type and delimiter lines by hand.
  EXPECT_EQ(shapes["attachment_emails/attachment_message_rfc822.eml"],
            "multipart/mixed(text/plain,message/rfc822(multipart/mixed(text/plain,application/pdf)))");
  EXPECT_EQ(shapes["mime_emails/email_with_similar_boundaries.eml"],
            "multipart/mixed(multipart/alternative(text/plain,text/html),application/octetstream)");
  EXPECT_EQ(shapes["mime_emails/raw_email_with_nested_attachment.eml"],
            "multipart/signed(multipart/mixed(text/plain,image/png),application/pkcs7-signature)");
  // The encapsulated message ends before its empty line (the line end before
  // the delimiter is the delimiter's), so its multipart body is empty: one body.
  EXPECT_EQ(shapes["attachment_emails/attachment_message_rfc822_inline_image.eml"],
            "multipart/mixed(multipart/related(multipart/alternative(text/html),image/png),"
            "message/rfc822(multipart/mixed(text/plain)))");
  EXPECT_EQ(shapes["mime_emails/raw_email_with_mimepart_without_content_type.eml"],
            "multipart/report(text/plain,message/delivery-status,message/rfc822(text/plain))");

  const Part& fwd = trees["attachment_emails/attachment_message_rfc822_inline_image.eml"];
  ASSERT_EQ(fwd.children.size(), 2u);
  ASSERT_EQ(fwd.children[1].children.size(), 1u);
  EXPECT_EQ(fwd.children[1].children[0].envelope->subject, "Another PDF");
  EXPECT_EQ(fwd.children[1].disposition->type, "attachment");
  const std::string& text = texts["attachment_emails/attachment_message_rfc822_inline_image.eml"];
  auto s = parse_section("2.HEADER.FIELDS (Subject)");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(fetch_section(text, fwd, *s).data(), "Subject: Another PDF\r\n");  // no empty line: none returned
}

}  // namespace
