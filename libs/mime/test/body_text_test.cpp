// SPDX-License-Identifier: Apache-2.0
// Tests of body_text(): hand-written messages (text parts with each
// transfer encoding and charset, skipped non-text parts, attached messages
// plain and encoded, the output cap), then messages of the shared corpus
// (multipart/alternative, base64 text, ISO-2022-JP / Shift_JIS /
// ks_c_5601-1987, a message/rfc822 attachment) and invariants over every
// corpus file: valid UTF-8, within the cap, a prefix of the uncapped text.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "corpus_files.h"
#include "mail/common/base64.h"
#include "mail/common/strings.h"
#include "mail/mime/search_text.h"
#include "mail/mime/structure.h"

using namespace mail::mime;
namespace fs = std::filesystem;

namespace {

using mail::mime::test::corpus_dir;
using mail::mime::test::read_file;
using mail::mime::test::to_crlf;

std::string text_of(const std::string& msg, size_t max = 1 << 20) { return body_text(msg, parse_structure(msg), max); }

TEST(MimeBodyText, SinglePart) {
  EXPECT_EQ(text_of("Subject: x\r\n\r\nHello world\r\n"), "Hello world\r\n");
  EXPECT_EQ(text_of("Subject: x\r\n\r\n"), "");
  EXPECT_EQ(text_of("Content-Type: text/plain; charset=iso-8859-1\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                    "caf=E9 cr=E8me=\r\n br=FBl=E9e\r\n"),
            "café crème brûlée\r\n");
  EXPECT_EQ(text_of("Content-Type: text/plain; charset=\"UTF-8\"\r\n"
                    "Content-Transfer-Encoding: BASE64\r\n\r\n"
                    "44GL44GN44GP\r\n44GI44GT\r\n"),
            "かきくえこ");
  // No charset (us-ascii by default) but UTF-8 bytes; an unknown charset
  // with 8-bit bytes: ISO-8859-1.
  EXPECT_EQ(text_of("Subject: x\r\n\r\ncaf\xC3\xA9"), "café");
  EXPECT_EQ(text_of("Content-Type: text/plain; charset=x-unknown\r\n\r\ncaf\xE9"), "café");
  // RFC 2231 charset*.
  EXPECT_EQ(text_of("Content-Type: text/plain; charset*=iso-8859-1'fr'\r\n\r\ncaf\xE9"), "café");
  // A non-text root is nothing to search.
  EXPECT_EQ(text_of("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"), "");
  EXPECT_EQ(text_of("Content-Type: application/pdf\r\n\r\n%PDF-1.4 text inside\r\n"), "");
}

const std::string kAlternative =
    "Subject: alt\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "preamble is not searched\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=C3=BC=C3=9Fe\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=windows-1252\r\n"
    "\r\n"
    "<p>\x93quoted\x94</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: image/gif\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "R0lGODlhAQABAAAAACw=\r\n"
    "--outer\r\n"
    "Content-Type: text/x-log; charset=koi8-r\r\n"
    "Content-Disposition: attachment; filename=log.txt\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "8NLJ18XU\r\n"
    "--outer--\r\n"
    "epilogue is not searched\r\n";

TEST(MimeBodyText, Multipart) { EXPECT_EQ(text_of(kAlternative), "Grüße\n<p>“quoted”</p>\nПривет"); }

TEST(MimeBodyText, AttachedMessage) {
  const std::string msg =
      "Subject: outer\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n"
      "\r\n"
      "--b\r\n"
      "\r\n"
      "see attached\r\n"
      "--b\r\n"
      "Content-Type: message/rfc822\r\n"
      "\r\n"
      "From: =?iso-8859-1?q?Andr=E9?= <a@example.com>\r\n"
      "Subject: =?utf-8?b?w6l0w6k=?=\r\n"
      " folded\r\n"
      "\r\n"
      "inner body\r\n"
      "--b--\r\n";
  EXPECT_EQ(text_of(msg),
            "see attached\nAndré <a@example.com>\nété folded\ninner body");  // the CRLF is the delimiter's
}

// A message/rfc822 part whose message is base64 encoded.
std::string wrap_base64(const std::string& inner) {
  return "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         mail::common::base64_encode(inner) + "\r\n";
}

TEST(MimeBodyText, EncodedAttachedMessage) {
  // parse_structure leaves an encoded message/rfc822 opaque; body_text
  // decodes and parses it.
  const std::string inner = "Subject: hi\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xE9\r\n";
  EXPECT_EQ(text_of(wrap_base64(inner)), "hi\ntext/plain; charset=iso-8859-1\ncaf\xC3\xA9\r\n");
  EXPECT_EQ(text_of("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                    "Subject: q=3Dp\r\n\r\nbody=\r\n text\r\n"),
            "q=p\nbody text\r\n");
  // Nested kMaxReparse deep the text is found; one level more, not.
  std::string msg = "Subject: deep\r\n\r\nneedle\r\n";
  for (size_t i = 0; i < kMaxReparse; ++i) msg = wrap_base64(msg);
  EXPECT_NE(text_of(msg).find("needle"), std::string::npos) << text_of(msg);
  EXPECT_EQ(text_of(wrap_base64(msg)).find("needle"), std::string::npos);
}

TEST(MimeBodyText, Cap) {
  const std::string full = text_of(kAlternative);
  for (size_t max = 0; max <= full.size() + 1; ++max) {
    std::string got = text_of(kAlternative, max);
    EXPECT_LE(got.size(), max);
    EXPECT_TRUE(mail::common::utf8_valid(got)) << max;
    EXPECT_EQ(full.substr(0, got.size()), got) << max;
    EXPECT_GE(got.size() + 3, std::min(max, full.size())) << max;  // cut at most a character short
  }
  // A big part is read only as far as the cap needs.
  std::string big = "Content-Transfer-Encoding: base64\r\n\r\n";
  for (int i = 0; i < 100000; ++i)
    big += "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh\r\n";
  EXPECT_EQ(text_of(big, 100), std::string(100, 'a'));
}

TEST(MimeBodyText, OffsetsBeyondMessage) {
  Part root = parse_structure(kAlternative);
  // A tree with a message that does not match: clamped, not trusted.
  EXPECT_NO_THROW((void)body_text(kAlternative.substr(0, 40), root, 1000));
  EXPECT_NO_THROW((void)body_text("", root, 1000));
}

// --- The shared corpus ---

std::string corpus_text(const std::string& rel, size_t max = 1 << 20) {
  std::string msg = to_crlf(read_file(corpus_dir() / rel));
  EXPECT_FALSE(msg.empty()) << rel;
  return text_of(msg, max);
}

TEST(MimeBodyTextCorpus, MultipartAlternative) {
  // text/plain and text/enriched alternatives, both searched.
  std::string t = corpus_text("mime_emails/raw_email11.eml");
  EXPECT_NE(t.find("XXXXX Xxxxx"), std::string::npos) << t;
  EXPECT_NE(t.find("<bold>XXXXX Xxxxx</bold>"), std::string::npos) << t;
  EXPECT_EQ(t.find("Apple-Mail"), std::string::npos) << t;  // no delimiters, no headers
}

TEST(MimeBodyTextCorpus, Base64Text) {
  EXPECT_EQ(corpus_text("multi_charset/japanese.eml"),
            "かきくえこ\n\n-- \nhttp://lindsaar.net/\nRails, RSpec and Life blog....\n");
  std::string t = corpus_text("multi_charset/japanese_attachment.eml");
  EXPECT_NE(t.find("testing"), std::string::npos) << t;
  EXPECT_NE(t.find("this is a test\nこれわてすと"), std::string::npos) << t;  // the base64 text/plain attachment
}

TEST(MimeBodyTextCorpus, Charsets) {
  EXPECT_EQ(corpus_text("multi_charset/japanese_iso_2022.eml"), "すみません。\r\n\r\n");
  std::string sjis = corpus_text("multi_charset/japanese_shift_jis.eml");
  EXPECT_TRUE(sjis.starts_with("あいうえお\r\n")) << sjis;
  EXPECT_NE(sjis.find("このメールはテスト用のメールです。"), std::string::npos) << sjis;
  EXPECT_EQ(corpus_text("multi_charset/ks_c_5601-1987.eml"), "스티해\r\n");
}

TEST(MimeBodyTextCorpus, MessageRfc822Attachment) {
  std::string t = corpus_text("attachment_emails/attachment_message_rfc822.eml");
  EXPECT_TRUE(t.starts_with("This is the first part.\r\n")) << t;
  // The attached message's header values, then its text part (QP, ISO-8859-1).
  EXPECT_NE(t.find("\nTest Tester <xxxx@xxxx.com>\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\nAnother PDF\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Just attaching another PDF, here, to see what the message looks like,\r\n"), std::string::npos)
      << t;
  EXPECT_EQ(t.find("JVBERi0"), std::string::npos) << t;             // the PDF is not text
  EXPECT_EQ(t.find("From xxxx@xxxx.com"), std::string::npos) << t;  // an mbox line is no field

  std::string inline_image = corpus_text("attachment_emails/attachment_message_rfc822_inline_image.eml");
  EXPECT_NE(inline_image.find("<html><body><img src=\"cid:"), std::string::npos) << inline_image;
  EXPECT_EQ(inline_image.find("iVBORw0KGgo"), std::string::npos) << inline_image;  // the PNG is skipped
}

TEST(MimeBodyTextCorpus, EveryFile) {
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus_dir())) {
    if (!entry.is_regular_file() || entry.path().extension() != ".eml") continue;
    ++files;
    for (const std::string& msg : {read_file(entry.path()), to_crlf(read_file(entry.path()))}) {
      Part root = parse_structure(msg);
      std::string full = body_text(msg, root, 1 << 22);
      EXPECT_TRUE(mail::common::utf8_valid(full)) << entry.path();
      for (size_t max : {0, 1, 7, 100, 1000}) {
        std::string capped = body_text(msg, root, max);
        EXPECT_LE(capped.size(), max) << entry.path();
        EXPECT_TRUE(mail::common::utf8_valid(capped)) << entry.path();
        EXPECT_EQ(full.substr(0, capped.size()), capped) << entry.path() << " " << max;
      }
    }
  }
  EXPECT_GE(files, 90u);
}

}  // namespace
