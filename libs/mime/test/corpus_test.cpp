// SPDX-License-Identifier: Apache-2.0
// Runs the header utilities over every file of the shared real-world corpus
// (shared/corpus/mail-gem: broken mail included), normalised to CRLF as on the
// wire, and checks that the results are consistent: fields tile the header
// exactly, the body is untouched by remove_fields, and removed Received
// fields are really gone. The corpus path comes from MAIL_CORPUS_DIR (env,
// else the compile-time default beside the checkout).
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
#include "mail/mime/header.h"

using namespace mail::mime;
namespace fs = std::filesystem;

namespace {

using mail::mime::test::corpus_dir;
using mail::mime::test::read_file;
using mail::mime::test::to_crlf;

// Independent of the parser: does the first line look like "Name:" or an mbox "From " line?
bool starts_with_header(std::string_view msg) {
  if (msg.starts_with("From ")) return true;
  size_t i = 0;
  while (i < msg.size() && msg[i] > ' ' && msg[i] < 127 && msg[i] != ':') ++i;
  while (i < msg.size() && (msg[i] == ' ' || msg[i] == '\t')) ++i;
  return i > 0 && i < msg.size() && msg[i] == ':';
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(corpus_dir()))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Checks one message; returns its header for further expectations.
Header check_message(const std::string& name, std::string_view msg) {
  SCOPED_TRACE(name);
  auto end = find_header_end(msg);
  if (end) {
    EXPECT_LE(*end, msg.size());
    EXPECT_GE(*end, 2u);
    EXPECT_TRUE(msg.substr(0, *end).ends_with("\r\n"));
    EXPECT_TRUE(*end == 2 || msg.substr(0, *end).ends_with("\r\n\r\n"));
  }

  auto r = parse_header(msg);
  if (!std::holds_alternative<Header>(r)) {
    ADD_FAILURE() << "parse_header failed: " << std::get<Error>(r).text;
    return {};
  }
  Header h = std::get<Header>(r);
  EXPECT_EQ(h.complete, end.has_value());
  EXPECT_EQ(h.end, end ? *end : msg.size());

  // Fields tile [0, end) exactly, and each value lies inside its field.
  size_t pos = 0;
  for (const auto& f : h.fields) {
    EXPECT_EQ(f.offset, pos);
    EXPECT_GT(f.length, 0u);
    EXPECT_LE(f.offset + f.length, msg.size());
    const char* field_begin = msg.data() + f.offset;
    EXPECT_GE(f.value.data(), field_begin);
    EXPECT_LE(f.value.data() + f.value.size(), field_begin + f.length);
    if (f.valid) {
      EXPECT_FALSE(f.name.empty());
      EXPECT_EQ(f.name.data(), field_begin);
      EXPECT_EQ(unfold(f.value).find("\r\n "), std::string::npos);
      EXPECT_EQ(unfold(f.value).find("\r\n\t"), std::string::npos);
    }
    pos = f.offset + f.length;
  }
  EXPECT_EQ(pos + (h.complete ? 2 : 0), h.end);

  // Removing Received: all gone, everything else (body included) unchanged.
  size_t received = count_fields(h.fields, "Received");
  size_t received_bytes = 0;
  for (const auto& f : h.fields)
    if (count_fields(std::vector<Field>{f}, "Received") == 1) received_bytes += f.length;
  std::string stripped = remove_fields(msg, "Received");
  EXPECT_EQ(stripped.size(), msg.size() - received_bytes);
  EXPECT_EQ(split_message(stripped).body, split_message(msg).body);
  auto r2 = parse_header(stripped);
  if (std::holds_alternative<Header>(r2)) {
    const auto& h2 = std::get<Header>(r2);
    EXPECT_EQ(count_fields(h2.fields, "Received"), 0u);
    EXPECT_EQ(h2.fields.size(), h.fields.size() - received);
  } else {
    ADD_FAILURE() << "parse_header failed after remove_fields";
  }
  return h;
}

TEST(MimeCorpus, EveryFile) {
  const fs::path dir = corpus_dir();
  if (!fs::is_directory(dir)) {
    FAIL() << "corpus not found at " << dir
           << ": expected shared/ beside the checkout (set MAIL_CORPUS_DIR to its corpus/ folder)";
  }
  size_t files = 0, eml = 0, with_header = 0;
  std::map<std::string, Header> by_name;
  std::map<std::string, std::string> texts;
  for (const auto& path : corpus_files()) {
    ++files;
    std::string raw = read_file(path);
    std::string msg = to_crlf(raw);
    std::string rel = fs::relative(path, dir).string();
    Header h = check_message(rel, msg);
    bool headers = starts_with_header(msg);
    if (path.extension() == ".eml") {
      ++eml;
      EXPECT_TRUE(headers) << rel << ": corpus .eml file without a header line";
    }
    if (headers) {
      ++with_header;
      size_t valid = 0;
      for (const auto& f : h.fields) valid += f.valid;
      EXPECT_GT(valid, 0u) << rel;
    }
    // The file as stored (LF or CRLF) gives the same fields, unless it has
    // bare CRs, which on disk are data but on the wire became line ends.
    bool bare_cr = false;
    for (size_t i = 0; i < raw.size(); ++i)
      if (raw[i] == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n')) bare_cr = true;
    if (!bare_cr) {
      auto r = parse_header(raw);
      ASSERT_TRUE(std::holds_alternative<Header>(r)) << rel;
      const auto& hr = std::get<Header>(r);
      ASSERT_EQ(hr.fields.size(), h.fields.size()) << rel;
      for (size_t i = 0; i < h.fields.size(); ++i) EXPECT_EQ(hr.fields[i].name, h.fields[i].name) << rel;
      EXPECT_EQ(find_header_end(raw).has_value(), h.complete) << rel;
    }
    texts[rel] = std::move(msg);
  }
  EXPECT_GE(files, 100u) << "corpus at " << dir << " looks incomplete";
  EXPECT_GE(eml, 95u);
  EXPECT_GE(with_header, eml);

  // A few files checked against counts taken independently (grep on the header).
  struct Known {
    std::string file;
    size_t received;
    size_t valid;
  };
  for (const Known& k : std::vector<Known>{{"error_emails/content_transfer_encoding_7-bit.eml", 5, 16},
                                           {"error_emails/empty_group_lists.eml", 6, 25},
                                           {"plain_emails/basic_email_lf.eml", 4, 19},
                                           {"plain_emails/raw_email.eml", 0, 8}}) {
    ASSERT_TRUE(texts.count(k.file)) << k.file;
    auto h = std::get<Header>(parse_header(texts[k.file]));
    size_t valid = 0;
    for (const auto& f : h.fields) valid += f.valid;
    EXPECT_EQ(count_fields(h.fields, "Received"), k.received) << k.file;
    EXPECT_EQ(valid, k.valid) << k.file;
  }
  auto ex = std::get<Header>(parse_header(texts["rfc2822/example01.eml"]));
  ASSERT_EQ(ex.fields.size(), 5u);
  EXPECT_EQ(ex.fields[0].name, "From");
  EXPECT_EQ(field_value(ex.fields[0]), "John Doe <jdoe@machine.example>");
  EXPECT_EQ(field_value(*find_field(ex.fields, "message-id")), "<1234@local.machine.example>");
  EXPECT_TRUE(ex.complete);
}

}  // namespace
