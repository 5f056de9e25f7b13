// SPDX-License-Identifier: Apache-2.0
// The bounce message: structure (RFC 3464/6522), safety against hostile input.
#include <gtest/gtest.h>

#include "mail/mime/header.h"
#include "mail/queue/dsn.h"

using namespace mail;

namespace {
queue::DsnInput input() {
  queue::DsnInput in;
  in.reporting_host = "mail.example.test";
  in.queue_id = "ABCDEF012345";
  in.original_sender = "alice@example.test";
  in.arrival = 1795938400;
  in.now = 1795938460;
  in.failed = {{"bob@example.test", "5.1.1", "no such user here"}, {"carol@example.test", "5.4.6", "alias loop"}};
  in.original_headers = "Received: from x\r\nSubject: hello\r\nFrom: alice@example.test\r\n\r\n";
  in.boundary = "b-123";
  in.message_id = "<dsn.1@mail.example.test>";
  return in;
}
}  // namespace

TEST(Dsn, IsAMultipartReportWithOneBlockPerRecipient) {
  std::string m = queue::build_dsn(input());
  auto parsed = mime::parse_header(m);
  ASSERT_TRUE(std::holds_alternative<mime::Header>(parsed));
  const auto& h = std::get<mime::Header>(parsed);
  EXPECT_EQ(mime::field_value(*mime::find_field(h.fields, "Auto-Submitted")), "auto-replied");
  EXPECT_EQ(mime::field_value(*mime::find_field(h.fields, "To")), "<alice@example.test>");
  EXPECT_NE(mime::field_value(*mime::find_field(h.fields, "Content-Type")).find("report-type=delivery-status"),
            std::string::npos);
  EXPECT_NE(m.find("Final-Recipient: rfc822; bob@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"), std::string::npos);
  EXPECT_NE(m.find("Final-Recipient: rfc822; carol@example.test\r\nAction: failed\r\nStatus: 5.4.6\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/rfc822-headers\r\n\r\nReceived: from x\r\nSubject: hello\r\n"), std::string::npos);

  EXPECT_NE(m.rfind("\r\n--b-123--\r\n"), std::string::npos);
  // Every line ends in CRLF: no bare LF or CR anywhere.
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
    if (m[i] == '\r') ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at " << i;
  }
}

TEST(Dsn, HostileDetailsCannotInjectFields) {
  auto in = input();
  in.failed = {{"x@y", "5.0.0", "bad\r\nBcc: victim@example.test"}};
  in.original_sender = "a@b\r\nSubject: spoof";
  in.original_headers = "Subject: lf only\nX: y\n";
  std::string m = queue::build_dsn(in);
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(m.find("\r\nSubject: spoof"), std::string::npos);
  EXPECT_NE(m.find("Subject: lf only\r\nX: y\r\n"), std::string::npos) << "returned headers normalized to CRLF";
  std::string big(200000, 'h');
  in.original_headers = "X-Big: " + big + "\r\n";
  EXPECT_LT(queue::build_dsn(in).size(), queue::kMaxReturnedHeaders + 8192) << "returned headers are bounded";
}

TEST(Dsn, ShortOrEmptyHeadersAreFine) {
  for (std::string h : {"", "\r\n", "x", "x\r\n", "\n\n", "A: b\r\n\r\n\r\n"}) {
    auto in = input();
    in.original_headers = h;
    std::string m = queue::build_dsn(in);
    EXPECT_NE(m.rfind("\r\n--b-123--\r\n"), std::string::npos) << h;
  }
}

TEST(Dsn, ARemoteRefusalIsReportedAsTheServersSmtpReply) {
  auto in = input();
  in.failed = {{"nobody@remote.example", "5.1.1",
                queue::remote_reply_detail("mx.remote.example[192.0.2.7]:25",
                                           "550 5.1.1 <nobody@remote.example>: User unknown")},
               {"x@remote.example", "4.4.7", "message expired in queue: connect to mx[192.0.2.7]:25: refused"}};
  std::string m = queue::build_dsn(in);
  EXPECT_NE(m.find("Status: 5.1.1\r\nRemote-MTA: dns; mx.remote.example\r\n"
                   "Diagnostic-Code: smtp; 550 5.1.1 <nobody@remote.example>: User unknown\r\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("Status: 4.4.7\r\nDiagnostic-Code: X-mail; message expired in queue: connect to mx[192.0.2.7]:25: refused\r\n"),
            std::string::npos)
      << "our own reasons stay X-mail";
  EXPECT_NE(m.find("<nobody@remote.example>: 5.1.1 host mx.remote.example[192.0.2.7]:25 said: 550 5.1.1"),
            std::string::npos)
      << "the human-readable part names the recipient and the server's words";
}
