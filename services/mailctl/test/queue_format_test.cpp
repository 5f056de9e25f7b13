// SPDX-License-Identifier: Apache-2.0
// mailctl queue output from hand-made replies: ages from the server's
// clock, the list's one line per job, show's sections, account show's
// summary, and text from the server made harmless (escape sequences, C1
// controls, invalid UTF-8).
#include "queue_format.h"

#include <gtest/gtest.h>

#include "format.h"

namespace mail::mailctl {
namespace {

namespace pb = mail::queue::v1;

constexpr int64_t kNow = 1736157600000;  // 2025-01-06 10:00:00Z

TEST(QueueFormat, AgesAndTimes) {
  EXPECT_EQ(format_age(-5), "0s");
  EXPECT_EQ(format_age(999), "0s");
  EXPECT_EQ(format_age(45000), "45s");
  EXPECT_EQ(format_age(60000), "1m");
  EXPECT_EQ(format_age(725000), "12m 5s");
  EXPECT_EQ(format_age(3600000), "1h");
  EXPECT_EQ(format_age(11100000), "3h 5m");
  EXPECT_EQ(format_age(187200000), "2d 4h");
  EXPECT_EQ(format_age(86400000), "1d");
  EXPECT_EQ(format_utc(kNow), "2025-01-06 10:00:00Z");
  EXPECT_EQ(format_utc(0), "-");
}

TEST(QueueFormat, Sanitize) {
  EXPECT_EQ(sanitize("plain text"), "plain text");
  EXPECT_EQ(sanitize("a\x1b[31mred\r\nb\x7f"), "a?[31mred??b?");
  EXPECT_EQ(sanitize("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93") << "UTF-8 stays";
  EXPECT_EQ(sanitize("x\xc2\x9b" "31m"), "x?31m") << "C1 CSI";
  EXPECT_EQ(sanitize("bad \xff\xfe byte \xc3"), "bad ?? byte ?");
  EXPECT_EQ(sanitize("\xc0\xaf \xed\xa0\x80"), "?? ???") << "overlong, surrogate";
  EXPECT_EQ(sanitize(std::string(10, 'x'), 4), "xxxx...");
  EXPECT_EQ(sanitize("ab\xc3\xa9", 3), "ab...") << "never cut inside a character";
}

pb::ListJobsReply two_jobs() {
  pb::ListJobsReply r;
  r.set_now_unix_ms(kNow);
  auto* j = r.add_jobs();
  j->set_queue_id("4F2A0C1B9D3E");
  j->set_received_unix_ms(kNow - 7500000);
  j->set_size(1536);
  j->set_sender("a@example.test");
  j->set_state(pb::DEFERRED);
  j->set_attempts(3);
  j->set_next_attempt_unix_ms(kNow + 240000);
  j->set_last_error("connect to mx.deferred.test[127.0.0.1]:25: Connection refused");
  auto* rc = j->add_recipients();
  rc->set_address("x@deferred.test");
  rc->set_destination("deferred.test");
  rc = j->add_recipients();
  rc->set_address("y@example.test");
  j->set_pending_recipients(4);
  j = r.add_jobs();
  j->set_queue_id("00AA\x1b]0;pwn\x07");
  j->set_received_unix_ms(kNow - 5000);
  j->set_size(300);
  j->set_state(pb::HELD);
  j->set_pending_recipients(0);
  return r;
}

TEST(QueueFormat, ListIsOneLinePerJob) {
  EXPECT_EQ(render_job_list(two_jobs()),
            "QUEUE ID      AGE    SIZE  SENDER          RECIPIENTS                                                  "
            "      STATE     ATTEMPTS  NEXT   LAST ERROR\n"
            "4F2A0C1B9D3E  2h 5m  1.5K  a@example.test  x@deferred.test (deferred.test), y@example.test (local), +2 "
            "more  deferred  3         in 4m  connect to mx.deferred.test[127.0.0.1]:25: Connection refused\n"
            "00AA?]0;pwn?  5s     300   <>              -                                                           "
            "      held      0         -      -\n");
  pb::ListJobsReply empty;
  EXPECT_EQ(render_job_list(empty), "QUEUE ID  AGE  SIZE  SENDER  RECIPIENTS  STATE  ATTEMPTS  NEXT  LAST ERROR\n");
  pb::ListJobsReply due = two_jobs();
  due.mutable_jobs(0)->set_next_attempt_unix_ms(kNow - 1);
  due.mutable_jobs(0)->set_last_error(std::string(300, 'e'));
  const std::string text = render_job_list(due);
  EXPECT_NE(text.find("  now   " + std::string(120, 'e') + "...\n"), std::string::npos) << text;
  due.mutable_jobs(0)->set_state(pb::ACTIVE);
  EXPECT_NE(render_job_list(due).find("  active  3         active"), std::string::npos);
}

TEST(QueueFormat, ShowHasEnvelopeRecipientsLegsAndAttempts) {
  pb::JobDetail d;
  d.set_now_unix_ms(kNow);
  auto* j = d.mutable_job();
  j->set_queue_id("4F2A0C1B9D3E");
  j->set_received_unix_ms(kNow - 7500000);
  j->set_size(1536);
  j->set_sender("a@example.test");
  j->set_state(pb::DEFERRED);
  j->set_next_attempt_unix_ms(kNow + 240000);
  j->set_pending_recipients(1);
  auto* r = j->add_recipients();
  r->set_address("x@deferred.test");
  r->set_destination("deferred.test");
  r->set_state("pending");
  r->set_attempts(3);
  r->set_code("4.4.1");
  r->set_error("connect to mx.deferred.test: refused\r\n250 fake");
  r = j->add_recipients();
  r->set_address("y@example.test");
  r->set_state("delivered");
  r->set_attempts(1);
  r->set_code("2.0.0");
  d.set_client_ip("127.0.0.1");
  d.set_protocol("ESMTPSA");
  d.set_auth_user("a@example.test");
  d.set_helo("client.example");
  auto* l = d.add_legs();
  l->set_destination("deferred.test");
  l->set_state("queued");
  l->set_attempts(3);
  l->set_next_attempt_unix_ms(kNow + 240000);
  l->set_last_attempt_unix_ms(kNow - 60000);
  l->set_last_error("connect to mx.deferred.test: refused");
  l = d.add_legs();
  l->set_state("done");
  l->set_attempts(1);
  l->set_last_attempt_unix_ms(kNow - 7490000);
  auto* a = d.add_attempts();
  a->set_destination("deferred.test");
  a->set_at_unix_ms(kNow - 60000);
  a->set_deferred(1);
  a->set_detail("connect to mx.deferred.test: refused");
  EXPECT_EQ(render_job(d),
            "queue id:    4F2A0C1B9D3E\n"
            "state:       deferred, next attempt in 4m\n"
            "received:    2025-01-06 07:55:00Z (2h 5m ago)\n"
            "sender:      a@example.test\n"
            "size:        1.5K (1536 bytes)\n"
            "from:        127.0.0.1, ESMTPSA, user a@example.test, helo client.example\n"
            "recipients:  2 recipients, 1 pending\n"
            "  ADDRESS          DESTINATION    STATE      ATTEMPTS  CODE   LAST ERROR\n"
            "  x@deferred.test  deferred.test  pending    3         4.4.1  connect to mx.deferred.test: refused??250 fake\n"
            "  y@example.test   local          delivered  1         2.0.0  -\n"
            "legs:\n"
            "  DESTINATION    STATE   ATTEMPTS  NEXT   LAST ATTEMPT          LAST ERROR\n"
            "  deferred.test  queued  3         in 4m  2025-01-06 09:59:00Z  connect to mx.deferred.test: refused\n"
            "  local          done    1         -      2025-01-06 07:55:10Z  -\n"
            "attempts:\n"
            "  AT                    DESTINATION    DELIVERED  DEFERRED  FAILED  DETAIL\n"
            "  2025-01-06 09:59:00Z  deferred.test  0          1         0       connect to mx.deferred.test: refused\n");
  d.set_finished_unix_ms(kNow - 1000);
  d.mutable_job()->set_state(pb::DONE);
  d.clear_attempts();
  const std::string done = render_job(d);
  EXPECT_NE(done.find("state:       done\n"), std::string::npos) << done;
  EXPECT_NE(done.find("finished:    2025-01-06 09:59:59Z (1s ago)\n"), std::string::npos) << done;
  EXPECT_NE(done.find("attempts:    none recorded\n"), std::string::npos) << done;
}

TEST(QueueFormat, SenderSummary) {
  pb::ListJobsReply r = two_jobs();
  r.set_total(7);
  r.set_total_size(4096);
  EXPECT_EQ(render_sender_summary(r),
            "7 messages (4K), oldest 2h 5m: 4F2A0C1B9D3E (deferred), 00AA?]0;pwn? (held), ...");
  r.set_total(2);
  EXPECT_EQ(render_sender_summary(r), "2 messages (4K), oldest 2h 5m: 4F2A0C1B9D3E (deferred), 00AA?]0;pwn? (held)");
  pb::ListJobsReply none;
  none.set_total(0);
  EXPECT_EQ(render_sender_summary(none), "none");
}

}  // namespace
}  // namespace mail::mailctl
