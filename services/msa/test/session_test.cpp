// SPDX-License-Identifier: Apache-2.0
// The SMTP session end to end over sockets (see harness.h): the three roles,
// RCPT policy, DATA and smuggling defence, STARTTLS and AUTH, pipelining,
// mta and directory failures, limits, timeouts and the drain at shutdown.
#include "harness.h"
#include "mail/net/clock.h"

namespace mail::msa::test {
namespace {

using namespace std::string_literals;

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string big_body() {  // 100 000 octets, over the harness's 64 KiB limit
  std::string s;
  for (int i = 0; i < 1000; ++i) s += std::string(98, 'y') + "\r\n";
  return s;
}

const std::string kMsg =
    "From: a@elsewhere.invalid\r\nReturn-Path: <forged@x.invalid>\r\n"
    "Subject: hi\r\n\r\nbody line\r\n..dot\r\n";

void ehlo(Client& c) { ASSERT_TRUE(starts(c.cmd("EHLO client.example"), "250-mail.example.test")); }

void login(Client& c) {
  // \0demo@example.test\0secret
  ASSERT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA=="), "235 2.7.0"));
}

TEST(Session, MxGreetingAndEhlo) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  EXPECT_EQ(c.reply(), "220 mail.example.test ESMTP\r\n");
  std::string e = c.cmd("EHLO client.example");
  EXPECT_EQ(e,
            "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 65536\r\n250-8BITMIME\r\n"
            "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n");
  EXPECT_EQ(c.cmd("HELO client.example"), "250 mail.example.test\r\n");
  EXPECT_TRUE(starts(c.cmd("VRFY demo"), "252 2.0.0"));
  EXPECT_TRUE(starts(c.cmd("NOOP"), "250 2.0.0"));
  EXPECT_TRUE(starts(c.cmd("BDAT 10 LAST"), "502 5.5.1"));
  EXPECT_TRUE(starts(c.cmd("FOO"), "500 5.5.2"));
  EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA=="), "538 5.7.11"));
  EXPECT_EQ(c.cmd("QUIT"), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Session, MxTransactionReachesTheMtaRewritten) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "503 5.5.1"));
  EXPECT_TRUE(starts(c.cmd("DATA"), "503 5.5.1"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<A@Elsewhere.Invalid> SIZE=1000 BODY=8BITMIME"), "250 2.1.0"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "503 5.5.1"));
  EXPECT_EQ(c.cmd("RCPT TO:<nobody@example.test>"),
            "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown\r\n");
  EXPECT_EQ(c.cmd("RCPT TO:<victim@remote.invalid>"), "550 5.7.1 <victim@remote.invalid>: Relay access denied\r\n");
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<full@example.test>"), "452 4.2.2"));
  EXPECT_EQ(c.cmd("RCPT TO:<small@example.test>"),
            "552 5.2.2 <small@example.test>: Message is larger than the mailbox can ever hold\r\n")
      << "SIZE= above the whole quota is permanent";
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<down@example.test>"), "451 4.3.0"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<Demo@Example.Test>"), "250 2.1.5"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250 2.1.5"));  // duplicate: once
  EXPECT_EQ(c.cmd("DATA"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  c.send(kMsg + ".\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q1\r\n");

  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  const auto& env = msa.transfer_svc.envelopes[0];
  EXPECT_EQ(env.sender(), "a@elsewhere.invalid");
  ASSERT_EQ(env.recipients_size(), 1);
  EXPECT_EQ(env.recipients(0), "demo@example.test");
  EXPECT_EQ(env.helo(), "client.example");
  EXPECT_EQ(env.client_ip(), "127.0.0.1");
  EXPECT_EQ(env.protocol(), "ESMTP");
  EXPECT_EQ(env.auth_user(), "");
  EXPECT_TRUE(env.body_8bitmime());
  const std::string& m = msa.transfer_svc.messages[0];
  EXPECT_EQ(env.size_hint(), m.size());
  EXPECT_TRUE(starts(m, "Received: from client.example (unknown [127.0.0.1])\r\n")) << m;
  EXPECT_TRUE(has(m, "with ESMTP id ")) << m;
  EXPECT_TRUE(has(m, "\tfor <demo@example.test>;")) << m;
  EXPECT_FALSE(has(m, "Return-Path")) << m;
  EXPECT_FALSE(has(m, "\r\nDate:")) << "MX adds no Date";
  EXPECT_FALSE(has(m, "Message-ID:")) << "MX adds no Message-ID";
  EXPECT_TRUE(has(m, "From: a@elsewhere.invalid\r\nSubject: hi\r\n\r\nbody line\r\n.dot\r\n")) << m;

  // The connection goes on; the transaction was reset.
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "503 5.5.1"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<>"), "250 2.1.0"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<Postmaster>"), "250 2.1.5"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<other@example.test>"), "250 2.1.5"));
  EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
  c.send("Subject: x\r\n\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q2\r\n");
  ASSERT_EQ(msa.transfer_svc.count(), 2u);
  EXPECT_EQ(msa.transfer_svc.envelopes[1].sender(), "");
  EXPECT_EQ(msa.transfer_svc.envelopes[1].recipients_size(), 2);
  EXPECT_FALSE(has(msa.transfer_svc.messages[1], "\tfor <")) << "no 'for' with two recipients";
}

TEST(Session, PipelinedCommandsAnsweredInOrder) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  // EHLO ends a pipelined group (RFC 2920 3.1): the client waits for it.
  EXPECT_TRUE(starts(c.cmd("EHLO client.example"), "250-mail.example.test"));
  c.send("MAIL FROM:<a@elsewhere.invalid>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n");
  EXPECT_TRUE(starts(c.reply(), "250 2.1.0"));
  EXPECT_TRUE(starts(c.reply(), "550 5.1.1"));
  EXPECT_TRUE(starts(c.reply(), "250 2.1.5"));
  EXPECT_TRUE(starts(c.reply(), "354"));
  // The message and the next transaction in one write, QUIT included.
  c.send("Subject: one\r\n\r\n1\r\n.\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q1\r\n");
  EXPECT_TRUE(starts(c.reply(), "250 2.0.0"));
  EXPECT_TRUE(starts(c.reply(), "250 2.1.0"));
  EXPECT_TRUE(starts(c.reply(), "250 2.1.5"));
  EXPECT_TRUE(starts(c.reply(), "354"));
  c.send("Subject: two\r\n\r\n2\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q2\r\n");
  EXPECT_TRUE(starts(c.reply(), "221"));
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(has(msa.transfer_svc.messages[1], "Subject: two\r\n\r\n2\r\n"));
}

// RFC 2920 3.1: EHLO, DATA, QUIT, STARTTLS, ... end a pipelined group. An
// unauthenticated client that sends more behind one is out of step: 554
// 5.5.0 and disconnect (Postfix 3.9, smtpd_forbid_unauth_pipelining), so a
// body sent before the 354, or after "No valid recipients", is never run as
// commands and never queued.
TEST(Session, PipeliningPastTheEndOfAGroupIsAProtocolError) {
  Msa msa;
  {
    Client c(msa.port(Listener::kMx));
    c.reply();
    c.send("EHLO client.example\r\nMAIL FROM:<a@elsewhere.invalid>\r\n");
    EXPECT_EQ(c.reply(), "554 5.5.0 Error: SMTP protocol synchronization\r\n");
    EXPECT_TRUE(c.closed());
  }
  {
    Client c(msa.port(Listener::kMx));
    c.reply();
    ehlo(c);
    c.send("MAIL FROM:<a@elsewhere.invalid>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\nSubject: early\r\n\r\nx\r\n.\r\n");
    EXPECT_TRUE(starts(c.reply(), "250 2.1.0"));
    EXPECT_TRUE(starts(c.reply(), "250 2.1.5"));
    EXPECT_EQ(c.reply(), "554 5.5.0 Error: SMTP protocol synchronization\r\n");
    EXPECT_TRUE(c.closed());
  }
  {
    Client c(msa.port(Listener::kMx));
    c.reply();
    ehlo(c);
    c.send("MAIL FROM:<a@elsewhere.invalid>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\nRSET\r\nQUIT\r\n");
    EXPECT_TRUE(starts(c.reply(), "250 2.1.0"));
    EXPECT_TRUE(starts(c.reply(), "550 5.1.1"));
    EXPECT_EQ(c.reply(), "554 5.5.0 Error: SMTP protocol synchronization\r\n");
    EXPECT_TRUE(c.closed());
  }
  {
    // The same DATA, waited for, is answered and the body follows the 354.
    Client c(msa.port(Listener::kMx));
    c.reply();
    ehlo(c);
    c.send("MAIL FROM:<a@elsewhere.invalid>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n");
    EXPECT_TRUE(starts(c.reply(), "250 2.1.0"));
    EXPECT_TRUE(starts(c.reply(), "250 2.1.5"));
    EXPECT_TRUE(starts(c.reply(), "354"));
    c.send("Subject: on time\r\n\r\nx\r\n.\r\n");
    EXPECT_TRUE(starts(c.reply(), "250 2.0.0 Ok: queued"));
  }
  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  EXPECT_TRUE(has(msa.transfer_svc.messages[0], "Subject: on time"));
}

TEST(Session, NonAsciiAddressesNeedSmtputf8AndAreNotLookedUp) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<j\xc3\xb6rg@elsewhere.invalid>"), "553 5.6.7"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  const int asked = msa.directory_svc.rcpt_calls.load();
  EXPECT_EQ(c.cmd("RCPT TO:<d\xc3\xa9mo@example.test>"), "553 5.6.7 Non-ASCII recipient address requires SMTPUTF8\r\n");
  EXPECT_EQ(msa.directory_svc.rcpt_calls.load(), asked) << "not looked up";
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250")) << "the transaction goes on";
}

TEST(Session, QuotedLocalPartIsTheSameMailbox) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<\"demo\"@example.test>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250")) << "a duplicate of the first";
  EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
  c.send("Subject: q\r\n\r\nhi\r\n.\r\n");
  EXPECT_TRUE(starts(c.reply(), "250 2.0.0"));
  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  const auto& env = msa.transfer_svc.envelopes[0];
  ASSERT_EQ(env.recipients_size(), 1) << "one mailbox, one recipient";
  EXPECT_EQ(env.recipients(0), "demo@example.test");
}

TEST(Session, DataErrorsRefuseTheMessageAndKeepTheConnection) {
  struct Row {
    const char* name;
    std::string data;
    const char* reply;
  } rows[] = {
      {"bare LF end", "Subject: a\r\n\r\nouter\n.\nMAIL FROM:<x@y>\r\n.\r\n", "550 5.6.0"},
      {"bare CR", "Subject: a\r\n\r\nouter\r.\r\n.\r\n", "550 5.6.0"},
      {"bare LF in a line", "Subject: a\r\n\r\nline\nmore\r\n.\r\n", "550 5.6.0"},
      {"line too long", "Subject: a\r\n\r\n" + std::string(1200, 'x') + "\r\n.\r\n", "554 5.6.0"},
      {"NUL in the body", "Subject: a\r\n\r\nnul \0 here\r\n.\r\n"s, "554 5.6.0"},
      {"NUL in the header", "Subj\0ect: a\r\n\r\nb\r\n.\r\n"s, "554 5.6.0"},
      {"too big", "Subject: a\r\n\r\n" + big_body() + ".\r\n", "552 5.3.4"},
  };
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
    EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
    EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
    c.send(r.data);
    EXPECT_TRUE(starts(c.reply(), r.reply));
    EXPECT_TRUE(starts(c.cmd("NOOP"), "250"));                         // in step: nothing smuggled was run
    EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "503"));  // transaction reset
  }
  EXPECT_EQ(msa.transfer_svc.count(), 0u);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid> SIZE=65537"), "552 5.3.4"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid> FOO=1"), "555 5.5.4"));
}

TEST(Session, DataNeedsAnAcceptedRecipient) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(c.cmd("DATA"), "503 5.5.1"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<nobody@example.test>"), "550"));
  EXPECT_EQ(c.cmd("DATA"), "554 5.5.1 No valid recipients\r\n");
}

TEST(Session, TooManyRecipients) {
  Msa msa;  // max_recipients = 3
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<other@example.test>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<postmaster@example.test>"), "250"));
  EXPECT_EQ(c.cmd("RCPT TO:<demo2@example.test>"), "452 4.5.3 Too many recipients\r\n");
}

void SubmissionAfterTls(Msa& msa, Client& c);

TEST(Session, SubmissionNeedsTlsAndAuth) {
  Msa msa;
  Client c(msa.port(Listener::kSubmission));
  c.reply();
  std::string e = c.cmd("EHLO client.example");
  EXPECT_TRUE(has(e, "STARTTLS"));
  EXPECT_FALSE(has(e, "AUTH"));
  // The next step is STARTTLS, and the reply says so (as Postfix's does).
  EXPECT_EQ(c.cmd("MAIL FROM:<demo@example.test>"), "530 5.7.0 Must issue a STARTTLS command first\r\n");
  EXPECT_EQ(c.cmd("HELP"),
            "214 2.0.0 See RFC 5321; commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY STARTTLS\r\n");
  EXPECT_TRUE(starts(c.cmd("AUTH LOGIN"), "538 5.7.11"));
  // Input pipelined after STARTTLS is never run inside TLS: the client is
  // out of step and is disconnected (RFC 2920 3.1, as Postfix 3.9).
  c.send("STARTTLS\r\nNOOP\r\n");
  EXPECT_EQ(c.reply(), "554 5.5.0 Error: SMTP protocol synchronization\r\n");
  EXPECT_TRUE(c.closed());

  Client d(msa.port(Listener::kSubmission));
  d.reply();
  d.cmd("EHLO client.example");
  EXPECT_EQ(d.cmd("STARTTLS"), "220 2.0.0 Ready to start TLS\r\n");
  ASSERT_TRUE(d.handshake());
  SubmissionAfterTls(msa, d);
}

// The rest of SubmissionNeedsTlsAndAuth, inside TLS.
void SubmissionAfterTls(Msa& msa, Client& c) {
  std::string e;
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<demo@example.test>"), "503 5.5.1")) << "EHLO again after STARTTLS";
  e = c.cmd("EHLO client.example");
  EXPECT_FALSE(has(e, "STARTTLS"));
  EXPECT_TRUE(has(e, "250 AUTH PLAIN LOGIN"));
  EXPECT_TRUE(starts(c.cmd("STARTTLS"), "503"));
  EXPECT_EQ(c.cmd("MAIL FROM:<demo@example.test>"), "530 5.7.0 Authentication required\r\n");
  EXPECT_EQ(c.cmd("HELP"), "214 2.0.0 See RFC 5321; commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY AUTH\r\n");
  // \0demo@example.test\0wrong
  EXPECT_EQ(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n"), "535 5.7.8 Authentication credentials invalid\r\n");
  login(c);
  EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA=="), "503 5.5.1"));
  EXPECT_EQ(c.cmd("MAIL FROM:<someone@elsewhere.invalid>"),
            "553 5.7.1 <someone@elsewhere.invalid>: Sender address not owned by the authenticated user\r\n");
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<other@example.test>"), "553 5.7.1"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<demo+news@example.test>"), "250 2.1.0")) << "an extension of an owned address";
  EXPECT_TRUE(starts(c.cmd("RSET"), "250"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<other+demo@example.test>"), "553 5.7.1"));
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<ALIAS@example.test>"), "250 2.1.0"));
  EXPECT_EQ(c.cmd("RCPT TO:<Someone@Remote.Invalid>"), "250 2.1.5 Ok\r\n") << "an authenticated client may relay";
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<other@example.test>"), "250"));
  EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
  c.send("From: alias@example.test\r\nReturn-Path:\r\n <x@y>\r\nSubject: s\r\n\r\nhello\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q1\r\n");

  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  const auto& env = msa.transfer_svc.envelopes[0];
  EXPECT_EQ(env.sender(), "alias@example.test");
  EXPECT_EQ(env.protocol(), "ESMTPSA");
  EXPECT_EQ(env.auth_user(), "demo@example.test");
  ASSERT_EQ(env.recipients_size(), 2);
  EXPECT_EQ(env.recipients(0), "Someone@remote.invalid") << "the remote recipient goes to the queue";
  const std::string& m = msa.transfer_svc.messages[0];
  EXPECT_TRUE(has(m, "with ESMTPSA id")) << m;
  EXPECT_TRUE(has(m, "(using TLSv1.")) << m;
  EXPECT_TRUE(has(m, "\r\nDate: ")) << m;
  EXPECT_TRUE(has(m, "\r\nMessage-ID: <")) << m;
  EXPECT_TRUE(has(m, "@mail.example.test>\r\n")) << m;
  EXPECT_FALSE(has(m, "Return-Path")) << m;
  EXPECT_TRUE(has(m, "From: alias@example.test\r\nSubject: s\r\n\r\nhello\r\n")) << m;
  EXPECT_TRUE(starts(c.cmd("QUIT"), "221"));
}

TEST(Session, ImplicitTlsAuthLoginAndFailureLimit) {
  Msa msa;
  {
    Client c(msa.port(Listener::kSubmissions));
    ASSERT_TRUE(c.handshake());
    EXPECT_EQ(c.reply(), "220 mail.example.test ESMTP\r\n");
    std::string e = c.cmd("EHLO client.example");
    EXPECT_TRUE(has(e, "AUTH PLAIN LOGIN"));
    EXPECT_FALSE(has(e, "STARTTLS"));
    EXPECT_EQ(c.cmd("MAIL FROM:<demo@example.test>"), "530 5.7.0 Authentication required\r\n");
    EXPECT_EQ(c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(c.cmd("ZGVtb0BleGFtcGxlLnRlc3Q="), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(c.cmd("c2VjcmV0"), "235 2.7.0 Authentication successful\r\n");
    EXPECT_TRUE(starts(c.cmd("MAIL FROM:<demo@example.test>"), "250"));
    EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA=="), "503"));
  }
  {
    Client c(msa.port(Listener::kSubmissions));
    ASSERT_TRUE(c.handshake());
    c.reply();
    ehlo(c);
    EXPECT_TRUE(starts(c.cmd("AUTH LOGIN"), "334"));
    EXPECT_TRUE(starts(c.cmd("*"), "501 5.0.0"));  // cancelled: not a failure
    EXPECT_TRUE(starts(c.cmd("AUTH CRAM-MD5"), "504 5.5.4"));
    EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n"), "535 5.7.8"));
    EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n"), "535 5.7.8"));
    std::string last = c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n");
    EXPECT_TRUE(starts(last, "535 5.7.8")) << last;
    EXPECT_TRUE(starts(c.reply(), "421 4.7.0"));
    EXPECT_TRUE(c.closed());
  }
}

TEST(Session, SuccessfulAuthIsCachedFailuresAreNot) {
  Msa msa;
  for (int i = 0; i < 3; ++i) {
    Client c(msa.port(Listener::kSubmissions));
    ASSERT_TRUE(c.handshake());
    c.reply();
    ehlo(c);
    login(c);
    EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n"), "503"));
  }
  EXPECT_EQ(msa.directory_svc.auth_calls.load(), 1);
  for (int i = 0; i < 2; ++i) {
    Client c(msa.port(Listener::kSubmissions));
    ASSERT_TRUE(c.handshake());
    c.reply();
    ehlo(c);
    EXPECT_TRUE(starts(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n"), "535"));
  }
  EXPECT_EQ(msa.directory_svc.auth_calls.load(), 3);
}

TEST(Session, DirectoryAndMtaFailuresAreTemporary) {
  Msa msa;
  {
    Client c(msa.port(Listener::kMx));
    c.reply();
    ehlo(c);
    EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
    EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
    msa.transfer_svc.fail_with = grpc::StatusCode::UNAVAILABLE;
    EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
    c.send("Subject: s\r\n\r\nx\r\n.\r\n");
    EXPECT_EQ(c.reply(), "451 4.3.0 Temporary failure, please try again\r\n");
    msa.transfer_svc.fail_with = grpc::StatusCode::RESOURCE_EXHAUSTED;
    EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
    EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
    EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
    c.send("Subject: s\r\n\r\nx\r\n.\r\n");
    EXPECT_TRUE(starts(c.reply(), "552 5.3.4"));
    msa.directory_svc.fail = grpc::StatusCode::UNAVAILABLE;
    EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
    EXPECT_TRUE(starts(c.cmd("RCPT TO:<other2@example.test>"), "451 4.3.0"));
  }
  {
    Client c(msa.port(Listener::kSubmissions));
    ASSERT_TRUE(c.handshake());
    c.reply();
    ehlo(c);
    EXPECT_EQ(c.cmd("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA=="),
              "454 4.7.0 Temporary authentication failure\r\n");
  }
}

TEST(Session, ShortMtaOutageIsRetriedWithTheSameIdempotencyKey) {
  SmtpSettings s = test_settings();
  s.mta_retry_window = 5000ms;
  Msa msa(s);
  msa.transfer_svc.fail_times = 2;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
  EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
  c.send("Subject: s\r\n\r\nx\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q1\r\n");
  std::lock_guard lock(msa.transfer_svc.mu);
  ASSERT_EQ(msa.transfer_svc.keys_seen.size(), 3u);
  EXPECT_FALSE(msa.transfer_svc.keys_seen[0].empty());
  EXPECT_EQ(msa.transfer_svc.keys_seen[0], msa.transfer_svc.keys_seen[1]);
  EXPECT_EQ(msa.transfer_svc.keys_seen[0], msa.transfer_svc.keys_seen[2]);
  EXPECT_EQ(msa.transfer_svc.messages.size(), 1u);
}

TEST(Session, LargeMessageIsStreamedInChunks) {
  SmtpSettings s = test_settings();
  s.limits.max_message_size = 1024 * 1024;
  Msa msa(s, 4096);
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<demo@example.test>"), "250"));
  EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "line " + std::to_string(i) + " " + std::string(100, 'z') + "\r\n";
  c.send("Subject: big\r\n\r\n" + body + ".\r\n");
  EXPECT_TRUE(starts(c.reply(), "250 2.0.0 Ok: queued as Q1"));
  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  const std::string& m = msa.transfer_svc.messages[0];
  EXPECT_EQ(m.substr(m.size() - body.size()), body);
  EXPECT_EQ(msa.transfer_svc.chunk_counts[0], (m.size() + 4095) / 4096);
}

TEST(Session, RecipientAnswersAreCachedBySize) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  auto rcpt = [&](const std::string& size_param) {
    EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>" + size_param), "250"));
    std::string r = c.cmd("RCPT TO:<demo@example.test>");
    EXPECT_TRUE(starts(c.cmd("RSET"), "250"));
    return r;
  };
  EXPECT_TRUE(starts(rcpt(" SIZE=5000"), "250"));
  EXPECT_EQ(msa.directory_svc.rcpt_calls.load(), 1);
  EXPECT_TRUE(starts(rcpt(" SIZE=4000"), "250"));  // fits if 5000 did
  EXPECT_TRUE(starts(rcpt(""), "250"));
  EXPECT_EQ(msa.directory_svc.rcpt_calls.load(), 1);
  EXPECT_TRUE(starts(rcpt(" SIZE=6000"), "250"));  // larger: ask again
  EXPECT_EQ(msa.directory_svc.rcpt_calls.load(), 2);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<nobody@example.test>"), "550"));
  EXPECT_TRUE(starts(c.cmd("RCPT TO:<nobody@example.test>"), "550"));
  EXPECT_EQ(msa.directory_svc.rcpt_calls.load(), 3);
}

TEST(Session, TooManyErrorsCloses) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  for (int i = 0; i < 19; ++i) EXPECT_TRUE(starts(c.cmd("BOGUS"), "500"));
  EXPECT_TRUE(starts(c.cmd("BOGUS"), "500"));
  EXPECT_TRUE(starts(c.reply(), "421 4.7.0"));
  EXPECT_TRUE(c.closed());
}

TEST(Session, CommandTimeoutCloses) {
  // The default five minutes, on the engine's clock moved by the test.
  net::use_test_clock();
  Msa msa(test_settings());
  Client c(msa.port(Listener::kMx));
  c.reply();
  EXPECT_EQ(c.reply(100ms), "<timeout>");
  net::advance_clock_for_tests(std::chrono::minutes(4));
  EXPECT_EQ(c.reply(100ms), "<timeout>") << "four minutes are not five";
  net::advance_clock_for_tests(std::chrono::minutes(1) + 1s);
  EXPECT_TRUE(starts(c.reply(2000ms), "421 4.4.2"));
  EXPECT_TRUE(c.closed());
}

TEST(Session, OverlongCommandLine) {
  Msa msa;
  Client c(msa.port(Listener::kMx));
  c.reply();
  EXPECT_TRUE(starts(c.cmd("NOOP " + std::string(3000, 'x')), "500 5.5.2"));
  EXPECT_TRUE(starts(c.cmd("NOOP " + std::string(20000, 'x')), "500 5.5.2"));
  EXPECT_TRUE(starts(c.cmd("NOOP"), "250"));
}

TEST(Session, DrainClosesIdleSessionsAndLetsTransactionsFinish) {
  Msa msa;
  Client idle(msa.port(Listener::kMx));
  idle.reply();
  ehlo(idle);
  Client busy(msa.port(Listener::kMx));
  busy.reply();
  ehlo(busy);
  EXPECT_TRUE(starts(busy.cmd("MAIL FROM:<a@elsewhere.invalid>"), "250"));
  EXPECT_TRUE(starts(busy.cmd("RCPT TO:<demo@example.test>"), "250"));
  msa.sessions.drain();
  EXPECT_TRUE(starts(idle.reply(), "421 4.3.2"));
  EXPECT_TRUE(idle.closed());
  EXPECT_TRUE(starts(busy.cmd("DATA"), "354"));
  busy.send("Subject: s\r\n\r\nx\r\n.\r\n");
  EXPECT_TRUE(starts(busy.reply(), "250 2.0.0 Ok: queued as Q1"));
  EXPECT_TRUE(starts(busy.reply(), "421 4.3.2"));
  EXPECT_TRUE(busy.closed());
  Client late(msa.port(Listener::kMx));
  EXPECT_TRUE(starts(late.reply(), "421 4.3.2"));
}

TEST(Session, MetricsCount) {
  Msa msa;
  {
    Client c(msa.port(Listener::kMx));
    c.reply();
    ehlo(c);
    c.cmd("MAIL FROM:<a@elsewhere.invalid>");
    c.cmd("RCPT TO:<demo@example.test>");
    c.cmd("DATA");
    c.send("Subject: s\r\n\r\nx\r\n.\r\n");
    c.reply();
    c.cmd("QUIT");
    c.closed();
  }
  std::string text = msa.registry.serialize();
  EXPECT_TRUE(has(text, "mail_msa_messages_accepted_total{listener=\"mx\"} 1")) << text;
  EXPECT_TRUE(has(text, "mail_msa_commands_total{verb=\"RCPT\"} 1")) << text;
  EXPECT_TRUE(has(text, "mail_msa_replies_total{code=\"354\"} 1")) << text;
  EXPECT_TRUE(has(text, "mail_msa_connections_total{listener=\"mx\"} 1")) << text;
  EXPECT_TRUE(has(text, "mail_msa_submit_duration_seconds_count 1")) << text;
}

TEST(Session, ClientsInTheRelayNetworksMayRelayWithoutAuth) {
  SmtpSettings s = test_settings();
  s.relay_networks = *mail::net::NetworkList::parse("10.0.0.0/8, 127.0.0.0/8");
  Msa msa(s);
  Client c(msa.port(Listener::kMx));
  c.reply();
  ehlo(c);
  EXPECT_TRUE(starts(c.cmd("MAIL FROM:<app@example.test>"), "250"));
  EXPECT_EQ(c.cmd("RCPT TO:<someone@remote.invalid>"), "250 2.1.5 Ok\r\n");
  EXPECT_TRUE(starts(c.cmd("DATA"), "354"));
  c.send("Subject: s\r\n\r\nx\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as Q1\r\n");
  ASSERT_EQ(msa.transfer_svc.count(), 1u);
  EXPECT_EQ(msa.transfer_svc.envelopes[0].recipients(0), "someone@remote.invalid");

  SmtpSettings other = test_settings();
  other.relay_networks = *mail::net::NetworkList::parse("10.0.0.0/8");
  Msa closed(other);
  Client d(closed.port(Listener::kMx));
  d.reply();
  ehlo(d);
  EXPECT_TRUE(starts(d.cmd("MAIL FROM:<app@example.test>"), "250"));
  EXPECT_EQ(d.cmd("RCPT TO:<someone@remote.invalid>"), "550 5.7.1 <someone@remote.invalid>: Relay access denied\r\n")
      << "a client outside the relay networks may not";
}

}  // namespace
}  // namespace mail::msa::test
