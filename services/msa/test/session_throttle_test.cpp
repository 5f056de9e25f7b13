// SPDX-License-Identifier: Apache-2.0
// SMTP AUTH and the shared login throttle (directory::LoginThrottle, here
// with its in-process counts): a refusal is answered 454 4.7.0 without a
// directory call; a delay is waited before the directory is asked; the
// directory's "no" and "yes" are reported, its "unavailable" is not.
#include "harness.h"
#include "quiet_throttle.h"
#include "mail/common/base64.h"

namespace mail::msa::test {
namespace {

const std::string kRight = "AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA==";  // \0demo@example.test\0secret
const std::string kWrong = "AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n";      // \0demo@example.test\0wrong
const std::string kRefused = "454 4.7.0 Too many failed login attempts, try again later\r\n";

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

directory::ThrottleConfig quiet(int64_t pair_limit = 2) { return mail::test::quiet_throttle(pair_limit); }

/// A greeted client on the submissions port (implicit TLS).
std::unique_ptr<Client> submitter(Msa& msa) {
  auto c = std::make_unique<Client>(msa.port(Listener::kSubmissions));
  EXPECT_TRUE(c->handshake());
  EXPECT_EQ(c->reply(), "220 mail.example.test ESMTP\r\n");
  EXPECT_EQ(c->cmd("EHLO client.example").rfind("250-", 0), 0u);
  return c;
}

}  // namespace

TEST(SessionThrottle, RefusalIsAnsweredWithoutAskingTheDirectory) {
  Msa msa(test_settings(), 256 * 1024, quiet(2));
  {
    auto c = submitter(msa);
    EXPECT_EQ(c->cmd(kWrong), "535 5.7.8 Authentication credentials invalid\r\n");
    EXPECT_EQ(c->cmd(kWrong), "535 5.7.8 Authentication credentials invalid\r\n");
  }
  EXPECT_EQ(msa.directory_svc.auth_calls.load(), 2);
  // The pair is refused now, on any connection, the right password included.
  auto c = submitter(msa);
  EXPECT_EQ(c->cmd(kRight), kRefused);
  EXPECT_EQ(msa.directory_svc.auth_calls.load(), 2) << "no password was checked";
  // Refusals count toward smtp.max_auth_failures (3) like failures do.
  EXPECT_EQ(c->cmd(kRight), kRefused);
  EXPECT_EQ(c->cmd(kRight), kRefused);
  EXPECT_EQ(c->reply(), "421 4.7.0 mail.example.test Error: too many authentication failures\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(msa.directory_svc.auth_calls.load(), 2);
  const std::string m = msa.registry.serialize();
  EXPECT_TRUE(has(m, "mail_login_throttle_total{decision=\"refused\",protocol=\"smtp\"} 3")) << m;
  EXPECT_TRUE(has(m, "mail_msa_auth_attempts_total{result=\"throttled\"} 3")) << m;
}

TEST(SessionThrottle, DelayIsWaitedBeforeTheDirectoryIsAsked) {
  directory::ThrottleConfig cfg = quiet(100);
  cfg.delay_after = 0;  // every failure past none: 400 ms, then doubled
  cfg.delay_start = 400ms;
  cfg.delay_max = 400ms;
  Msa msa(test_settings(), 256 * 1024, cfg);
  auto c = submitter(msa);
  EXPECT_EQ(c->cmd(kWrong), "535 5.7.8 Authentication credentials invalid\r\n");
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(c->cmd(kRight), "235 2.7.0 Authentication successful\r\n");
  const auto answered = std::chrono::steady_clock::now();
  const auto asked = std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(msa.directory_svc.last_auth_at.load()));
  EXPECT_GE(asked - sent, 390ms) << "the directory was asked before the delay was over";
  EXPECT_GE(answered - sent, 390ms);
  EXPECT_EQ(msa.directory_svc.auth_calls.load(), 2);
  EXPECT_TRUE(has(msa.registry.serialize(), "mail_login_throttle_total{decision=\"delayed\",protocol=\"smtp\"} 1"));
}

TEST(SessionThrottle, FailuresAndSuccessesAreReported) {
  Msa msa(test_settings(), 256 * 1024, quiet(10));
  auto c = submitter(msa);
  EXPECT_EQ(c->cmd(kWrong), "535 5.7.8 Authentication credentials invalid\r\n");
  // authcid as the client gave it; the throttle normalizes the account.
  EXPECT_EQ(c->cmd("AUTH PLAIN " + common::base64_encode(std::string("\0Demo@Example.Test\0wrong", 24))),
            "535 5.7.8 Authentication credentials invalid\r\n");
  directory::ThrottleState s = msa.throttle->state("127.0.0.1", "demo@example.test");
  EXPECT_EQ(s.pair_failures, 2);
  EXPECT_EQ(s.address_failures, 2);
  EXPECT_EQ(s.account_failures, 2);
  EXPECT_FALSE(s.known);
  EXPECT_EQ(c->cmd(kRight), "235 2.7.0 Authentication successful\r\n");
  s = msa.throttle->state("127.0.0.1", "demo@example.test");
  EXPECT_TRUE(s.known) << "a success makes the pair known";
  EXPECT_EQ(s.pair_failures, 0) << "and clears its count";
}

TEST(SessionThrottle, UnavailableDirectoryIsNotCounted) {
  Msa msa(test_settings(), 256 * 1024, quiet(1));
  msa.directory_svc.fail = grpc::StatusCode::UNAVAILABLE;
  auto c = submitter(msa);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c->cmd(kRight), "454 4.7.0 Temporary authentication failure\r\n");
  directory::ThrottleState s = msa.throttle->state("127.0.0.1", "demo@example.test");
  EXPECT_EQ(s.pair_failures, 0);
  EXPECT_EQ(s.address_failures, 0);
  msa.directory_svc.fail = grpc::StatusCode::OK;
  EXPECT_EQ(c->cmd(kRight), "235 2.7.0 Authentication successful\r\n") << "not refused: nothing was counted";
}

}  // namespace mail::msa::test
