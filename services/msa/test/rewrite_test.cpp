// SPDX-License-Identifier: Apache-2.0
// Unit tests for the msa's header rewriting (rewrite.h): the Received field,
// Return-Path removal with folded continuations, Date/Message-ID only when
// missing and only on submission, the body left byte-exact, and limits.
#include "rewrite.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mail::msa {
namespace {

constexpr std::time_t kTime = 1795935600;  // Sun, 29 Nov 2026 07:00:00 +0000

TraceInfo trace() {
  TraceInfo t;
  t.helo = "client.example";
  t.client_name = "client.example";
  t.client_ip = "192.0.2.7";
  t.hostname = "mail.example.test";
  t.protocol = "ESMTP";
  t.id = "abc123";
  t.time = kTime;
  return t;
}

RewriteOptions submission() {
  RewriteOptions o;
  o.submission = true;
  o.message_id = "<r4nd0m@mail.example.test>";
  o.now = kTime;
  return o;
}

// The message as the mta will receive it.
std::string apply(std::string_view msg, const TraceInfo& t, const RewriteOptions& o) {
  auto r = rewrite_message(msg, t, o);
  EXPECT_TRUE(std::holds_alternative<Rewritten>(r));
  if (!std::holds_alternative<Rewritten>(r)) return {};
  const auto& rw = std::get<Rewritten>(r);
  return rw.head + std::string(msg.substr(rw.body_offset));
}

std::string after_received(const std::string& out) {
  // Skip the Received field (first line + continuation lines).
  size_t pos = 0;
  do {
    pos = out.find("\r\n", pos) + 2;
  } while (pos < out.size() && (out[pos] == '\t' || out[pos] == ' '));
  return out.substr(pos);
}

TEST(FormatDate, Rfc5322Utc) {
  EXPECT_EQ(format_date(kTime), "Sun, 29 Nov 2026 07:00:00 +0000");
  EXPECT_EQ(format_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
}

TEST(ProtocolName, Rfc3848) {
  EXPECT_EQ(protocol_name(false, false, false), "SMTP");
  EXPECT_EQ(protocol_name(true, false, false), "ESMTP");
  EXPECT_EQ(protocol_name(true, true, false), "ESMTPS");
  EXPECT_EQ(protocol_name(true, true, true), "ESMTPSA");
  EXPECT_EQ(protocol_name(false, true, true), "ESMTPSA");
}

TEST(FormatReceived, Rfc5321Form) {
  TraceInfo t = trace();
  t.for_recipient = "demo@example.test";
  EXPECT_EQ(format_received(t),
            "Received: from client.example (client.example [192.0.2.7])\r\n"
            "\tby mail.example.test (mail-msa) with ESMTP id abc123\r\n"
            "\tfor <demo@example.test>;\r\n"
            "\tSun, 29 Nov 2026 07:00:00 +0000\r\n");
}

TEST(FormatReceived, TlsUnknownNameIpv6NoFor) {
  TraceInfo t = trace();
  t.client_name = "";
  t.client_ip = "2001:db8::1";
  t.protocol = "ESMTPSA";
  t.tls_version = "TLSv1.3";
  t.tls_cipher = "TLS_AES_256_GCM_SHA384";
  t.tls_bits = 256;
  EXPECT_EQ(format_received(t),
            "Received: from client.example (unknown [IPv6:2001:db8::1])\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
            "\tby mail.example.test (mail-msa) with ESMTPSA id abc123;\r\n"
            "\tSun, 29 Nov 2026 07:00:00 +0000\r\n");
}

TEST(FormatReceived, HostileHeloCannotBreakTheField) {
  TraceInfo t = trace();
  t.helo = "evil\r\nX-Injected: yes (comment) ; [x]";
  t.client_name = "bad name.example";  // not a host name: reported as unknown
  std::string r = format_received(t);
  EXPECT_EQ(r.find("X-Injected: yes"), std::string::npos);
  EXPECT_NE(r.find("from evil__X-Injected:_yes__comment____[x] (unknown [192.0.2.7])"), std::string::npos) << r;
  // Every line but the first is a continuation; no line is over 998 octets.
  size_t pos = 0, lines = 0;
  while (pos < r.size()) {
    size_t e = r.find("\r\n", pos);
    ASSERT_NE(e, std::string::npos);
    EXPECT_LE(e - pos, 998u);
    if (lines++ > 0) {
      EXPECT_EQ(r[pos], '\t');
    }
    pos = e + 2;
  }
  t.helo = std::string(5000, 'a');
  EXPECT_LT(format_received(t).find("\r\n"), 300u);
  t.helo = "";
  EXPECT_NE(format_received(t).find("from unknown ("), std::string::npos);
}

struct Case {
  const char* name;
  bool submission;
  std::string in;
  std::string want_after_received;  // expected output after our Received field
};

TEST(RewriteMessage, Table) {
  const std::string date = "Date: Sun, 29 Nov 2026 07:00:00 +0000\r\n";
  const std::string mid = "Message-ID: <r4nd0m@mail.example.test>\r\n";
  const Case cases[] = {
      {"mx keeps everything but Return-Path", false, "From: a@b\r\nReturn-Path: <x@y>\r\nSubject: s\r\n\r\nbody\r\n",
       "From: a@b\r\nSubject: s\r\n\r\nbody\r\n"},
      {"mx adds no Date or Message-ID", false, "Subject: s\r\n\r\nbody\r\n", "Subject: s\r\n\r\nbody\r\n"},
      {"folded Return-Path removed with its continuations", false,
       "Return-Path:\r\n <forged@elsewhere.invalid>\r\n\t(comment)\r\nFrom: a@b\r\n\r\nbody\r\n",
       "From: a@b\r\n\r\nbody\r\n"},
      {"every Return-Path removed, any case", false,
       "return-path: <1@x>\r\nFrom: a@b\r\nRETURN-PATH : <2@x>\r\n\r\nbody\r\n", "From: a@b\r\n\r\nbody\r\n"},
      {"Return-Path in the body is body", false, "From: a@b\r\n\r\nReturn-Path: <x@y>\r\n",
       "From: a@b\r\n\r\nReturn-Path: <x@y>\r\n"},
      {"submission adds both when missing", true, "From: a@b\r\n\r\nbody\r\n",
       date + mid + "From: a@b\r\n\r\nbody\r\n"},
      {"submission keeps the client's Date and Message-ID", true,
       "Date: Mon, 1 Jan 2024 00:00:00 +0100\r\nmessage-id: <own@client>\r\n\r\nbody\r\n",
       "Date: Mon, 1 Jan 2024 00:00:00 +0100\r\nmessage-id: <own@client>\r\n\r\nbody\r\n"},
      {"submission adds only Date", true, "Message-ID: <own@client>\r\n\r\nb\r\n",
       date + "Message-ID: <own@client>\r\n\r\nb\r\n"},
      {"submission adds only Message-ID", true, "DATE: x\r\n\r\nb\r\n", mid + "DATE: x\r\n\r\nb\r\n"},
      {"Date in the body does not count", true, "From: a@b\r\n\r\nDate: x\r\nMessage-ID: <y>\r\n",
       date + mid + "From: a@b\r\n\r\nDate: x\r\nMessage-ID: <y>\r\n"},
      {"no blank line: all header", true, "Subject: only\r\nReturn-Path: <x>\r\n", date + mid + "Subject: only\r\n"},
      {"empty header section", true, "\r\nbody only\r\n", date + mid + "\r\nbody only\r\n"},
      {"empty message", true, "", date + mid},
      // A first line that continues nothing (here a forged trace fragment)
      // must not continue our Received field: it starts the body, as in Postfix.
      {"folded first line is body behind a blank line", false,
       "\t(Authenticated sender: ceo@example.test)\r\n\tby mx.trusted.example with ESMTPSA\r\nSubject: s\r\n\r\nb\r\n",
       "\r\n\t(Authenticated sender: ceo@example.test)\r\n\tby mx.trusted.example with ESMTPSA\r\nSubject: s\r\n\r\nb\r\n"},
      {"a message with no header section", true, "x", date + mid + "\r\nx"},
      {"fields up to the first line that is not one", true,
       "Subject: s\r\nnot a field\r\nDate: later\r\nReturn-Path: <x@y>\r\n\r\nb\r\n",
       date + mid + "Subject: s\r\n\r\nnot a field\r\nDate: later\r\nReturn-Path: <x@y>\r\n\r\nb\r\n"},
      {"an mbox From line ends the header", false, "From a@b Sun Nov 29 07:00:00 2026\r\nSubject: s\r\n\r\nb",
       "\r\nFrom a@b Sun Nov 29 07:00:00 2026\r\nSubject: s\r\n\r\nb"},
      {"submission removes Return-Path too", true, "Return-Path: <x@y>\r\nDate: d\r\nMessage-ID: <m>\r\n\r\nb\r\n",
       "Date: d\r\nMessage-ID: <m>\r\n\r\nb\r\n"},
  };
  for (const auto& c : cases) {
    RewriteOptions o = c.submission ? submission() : RewriteOptions{};
    std::string out = apply(c.in, trace(), o);
    ASSERT_EQ(out.rfind("Received: from client.example", 0), 0u) << c.name << ": " << out;
    EXPECT_EQ(after_received(out), c.want_after_received) << c.name;
  }
}

TEST(RewriteMessage, BodyIsUntouchedAndNotCopied) {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += ".line " + std::to_string(i) + " \x80\xff\tReturn-Path: <no>\r\n";
  body += "\r\n\r\nlast";  // odd endings are body too
  std::string msg = "Return-Path: <x@y>\r\nSubject: s\r\n\r\n" + body;
  auto r = rewrite_message(msg, trace(), submission());
  ASSERT_TRUE(std::holds_alternative<Rewritten>(r));
  const auto& rw = std::get<Rewritten>(r);
  EXPECT_EQ(msg.substr(rw.body_offset), body);
  EXPECT_TRUE(rw.added_date);
  EXPECT_TRUE(rw.added_message_id);
  EXPECT_EQ(rw.head.find("Return-Path"), std::string::npos);
  EXPECT_NE(rw.head.find("Subject: s\r\n\r\n"), std::string::npos);
}

TEST(RewriteMessage, HeaderLimits) {
  RewriteOptions o = submission();
  o.header_limits.max_header_bytes = 100;
  std::string big = "Subject: " + std::string(200, 'x') + "\r\n\r\nbody\r\n";
  EXPECT_TRUE(std::holds_alternative<RewriteError>(rewrite_message(big, trace(), o)));
  o.header_limits = {};
  o.header_limits.max_fields = 3;
  EXPECT_TRUE(
      std::holds_alternative<RewriteError>(rewrite_message("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", trace(), o)));
  EXPECT_TRUE(std::holds_alternative<Rewritten>(rewrite_message("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", trace(), o)));
  // A big body behind a small header is fine.
  o.header_limits.max_header_bytes = 100;
  std::string ok = "Subject: s\r\n\r\n" + std::string(10000, 'b') + "\r\n";
  EXPECT_TRUE(std::holds_alternative<Rewritten>(rewrite_message(ok, trace(), o)));
}

// Random messages built from header-ish and body-ish pieces: whatever the
// input, the output starts with our Received field, the body after the
// header end is byte-identical, no Return-Path survives in the header
// section, and Date/Message-ID appear exactly when they were missing.
TEST(RewriteMessage, RandomizedInvariants) {
  const char* pieces[] = {"Return-Path: <x@y>\r\n", "return-path:\r\n\t<folded@y>\r\n", "Date: d\r\n",
                          "Message-ID: <m@x>\r\n", "Subject: s\r\n", " continuation\r\n", "no colon line\r\n",
                          "\r\n", "body text\r\n", "Return-Path in body\r\n", "\x80\xff: 8bit\r\n", ":\r\n"};
  std::mt19937 rng(12345);
  for (int i = 0; i < 5000; ++i) {
    std::string msg;
    int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) msg += pieces[rng() % std::size(pieces)];
    auto r = rewrite_message(msg, trace(), submission());
    ASSERT_TRUE(std::holds_alternative<Rewritten>(r)) << msg;
    const auto& rw = std::get<Rewritten>(r);
    ASSERT_LE(rw.body_offset, msg.size());
    EXPECT_EQ(rw.head.rfind("Received: from client.example", 0), 0u);
    std::string out = rw.head + msg.substr(rw.body_offset);
    auto parsed = mime::parse_header(out);
    ASSERT_TRUE(std::holds_alternative<mime::Header>(parsed));
    const auto& h = std::get<mime::Header>(parsed);
    EXPECT_EQ(mime::count_fields(h.fields, "Return-Path"), 0u) << msg;
    EXPECT_EQ(out.substr(out.size() - (msg.size() - rw.body_offset)), msg.substr(rw.body_offset));
    // Only the fields before the first line that is not one are header.
    auto in_parsed = std::get<mime::Header>(mime::parse_header(msg));
    std::vector<mime::Field> in_fields;
    for (const auto& f : in_parsed.fields) {
      if (!f.valid) break;
      in_fields.push_back(f);
    }
    size_t had_date = mime::count_fields(in_fields, "Date");
    size_t had_mid = mime::count_fields(in_fields, "Message-ID");
    EXPECT_TRUE(std::all_of(h.fields.begin(), h.fields.end(), [](const mime::Field& f) { return f.valid; }))
        << "every line of the new header section is a field: " << msg;
    EXPECT_EQ(rw.added_date, had_date == 0);
    EXPECT_EQ(rw.added_message_id, had_mid == 0);
    EXPECT_EQ(mime::count_fields(h.fields, "Date"), had_date ? had_date : 1u) << msg;
    EXPECT_EQ(mime::count_fields(h.fields, "Message-ID"), had_mid ? had_mid : 1u) << msg;
  }
}

TEST(RewriteMessage, HundredReceivedFieldsAreALoop) {
  auto with_received = [](int n) {
    std::string m;
    for (int i = 0; i < n; ++i) m += "Received: from hop" + std::to_string(i) + " by x; Sun, 29 Nov 2026 07:00:00 +0000\r\n";
    return m + "Subject: loop\r\n\r\nbody\r\n";
  };
  RewriteOptions o;
  auto ok = rewrite_message(with_received(98), trace(), o);
  EXPECT_TRUE(std::holds_alternative<Rewritten>(ok)) << "98 + ours = 99 hops is still fine";
  auto loop = rewrite_message(with_received(99), trace(), o);
  ASSERT_TRUE(std::holds_alternative<RewriteError>(loop));
  EXPECT_TRUE(std::get<RewriteError>(loop).too_many_hops);
  o.max_received = 200;
  EXPECT_TRUE(std::holds_alternative<Rewritten>(rewrite_message(with_received(150), trace(), o))) << "configurable";
}

}  // namespace
}  // namespace mail::msa
