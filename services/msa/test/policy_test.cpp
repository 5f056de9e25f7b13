// SPDX-License-Identifier: Apache-2.0
// Unit tests for policy.h: EHLO capability lists per listener and TLS state,
// recipient verdict replies, and the mapping of Transfer.Submit statuses.
#include "policy.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mail::msa {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Ehlo, CapabilitiesPerListenerAndTlsState) {
  struct Row {
    Listener listener;
    bool tls_active, tls_available;
    bool starttls, auth;
  } rows[] = {
      {Listener::kMx, false, true, true, false},          // port 25 before STARTTLS
      {Listener::kMx, true, true, false, true},           // port 25 after STARTTLS: AUTH optional
      {Listener::kMx, false, false, false, false},        // no certificate configured
      {Listener::kSubmission, false, true, true, false},  // 587: no AUTH in clear text
      {Listener::kSubmission, true, true, false, true},   // 587 after STARTTLS
      {Listener::kSubmissions, true, true, false, true},  // 465: implicit TLS
  };
  for (const auto& r : rows) {
    auto ext = ehlo_extensions(EhloState{r.listener, r.tls_active, r.tls_available, 26214400});
    SCOPED_TRACE(std::string(listener_name(r.listener)) + (r.tls_active ? " tls" : " plain"));
    EXPECT_EQ(ext.front(), "PIPELINING");
    EXPECT_TRUE(has(ext, "SIZE 26214400"));
    EXPECT_TRUE(has(ext, "8BITMIME"));
    EXPECT_TRUE(has(ext, "ENHANCEDSTATUSCODES"));
    EXPECT_EQ(has(ext, "STARTTLS"), r.starttls);
    EXPECT_EQ(has(ext, "AUTH PLAIN LOGIN"), r.auth);
    EXPECT_FALSE(has(ext, "CHUNKING"));
    EXPECT_FALSE(has(ext, "SMTPUTF8"));
  }
}

TEST(Help, ListsOnlyWhatThisListenerOffersNow) {
  const std::string base = "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY";
  EXPECT_EQ(help_text(EhloState{Listener::kSubmission, false, true, 1}), base + " STARTTLS");
  EXPECT_EQ(help_text(EhloState{Listener::kSubmission, true, true, 1}), base + " AUTH");
  EXPECT_EQ(help_text(EhloState{Listener::kMx, false, false, 1}), base) << "no certificate: neither";
}

TEST(Sender, OwnerMaySendWithAnAddressExtension) {
  const std::vector<std::string> owned = {"alice@example.test", "sales@example.test"};
  EXPECT_TRUE(owns_sender(owned, "alice@example.test", "+"));
  EXPECT_TRUE(owns_sender(owned, "alice+news@example.test", "+"));
  EXPECT_TRUE(owns_sender(owned, "alice+a+b@example.test", "+"));
  EXPECT_TRUE(owns_sender(owned, "sales-eu@example.test", "+-"));
  EXPECT_FALSE(owns_sender(owned, "sales-eu@example.test", "+")) << "- is no delimiter here";
  EXPECT_FALSE(owns_sender(owned, "alice+x@other.test", "+")) << "the domain must match";
  EXPECT_FALSE(owns_sender(owned, "+alice@example.test", "+"));
  EXPECT_FALSE(owns_sender(owned, "alicex@example.test", "+"));
  EXPECT_FALSE(owns_sender(owned, "alice+x@example.test", "")) << "extensions off";
  EXPECT_FALSE(owns_sender(owned, "bob+alice@example.test", "+"));
}

TEST(Listener, AuthRequiredOnSubmissionOnly) {
  EXPECT_FALSE(auth_required(Listener::kMx));
  EXPECT_TRUE(auth_required(Listener::kSubmission));
  EXPECT_TRUE(auth_required(Listener::kSubmissions));
}

TEST(RecipientReply, Verdicts) {
  struct Row {
    RecipientVerdict v;
    bool authenticated;
    int code;
    const char* enhanced;
    const char* text_part;
  } rows[] = {
      {RecipientVerdict::kLocalOk, false, 250, "2.1.5", "Ok"},
      {RecipientVerdict::kLocalUnknown, false, 550, "5.1.1",
       "<u@example.test>: Recipient address rejected: User unknown"},
      {RecipientVerdict::kLocalOverQuota, false, 452, "4.2.2", "Mailbox full"},
      {RecipientVerdict::kLocalTooLarge, false, 552, "5.2.2", "larger than the mailbox can ever hold"},
      {RecipientVerdict::kNotLocal, false, 550, "5.7.1", "Relay access denied"},
      {RecipientVerdict::kNotLocal, true, 550, "5.7.1", "Relay access denied"},
      {RecipientVerdict::kBadAddress, false, 501, "5.1.3", "Bad recipient address syntax"},
      {RecipientVerdict::kUnavailable, false, 451, "4.3.0", "try again"},
  };
  for (const auto& r : rows) {
    auto reply = recipient_reply(r.v, "u@example.test", r.authenticated);
    EXPECT_EQ(reply.code, r.code);
    EXPECT_EQ(reply.enhanced, r.enhanced);
    EXPECT_NE(reply.text.find(r.text_part), std::string::npos) << reply.text;
  }
}

TEST(SubmitReply, GrpcStatusMapping) {
  struct Row {
    grpc::StatusCode code;
    int smtp;
    const char* enhanced;
  } rows[] = {
      {grpc::StatusCode::OK, 250, "2.0.0"},
      {grpc::StatusCode::UNAVAILABLE, 451, "4.3.0"},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 451, "4.3.0"},
      {grpc::StatusCode::CANCELLED, 451, "4.3.0"},
      {grpc::StatusCode::INTERNAL, 451, "4.3.0"},
      {grpc::StatusCode::UNKNOWN, 451, "4.3.0"},
      {grpc::StatusCode::ABORTED, 451, "4.3.0"},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 552, "5.3.4"},
      {grpc::StatusCode::INVALID_ARGUMENT, 554, "5.5.0"},
  };
  for (const auto& r : rows) {
    auto reply = submit_reply(r.code, "Q1");
    EXPECT_EQ(reply.code, r.smtp) << static_cast<int>(r.code);
    EXPECT_EQ(reply.enhanced, r.enhanced);
  }
  EXPECT_EQ(submit_reply(grpc::StatusCode::OK, "ABC123").wire(), "250 2.0.0 Ok: queued as ABC123\r\n");
  EXPECT_EQ(submit_reply(grpc::StatusCode::UNAVAILABLE, "").wire(),
            "451 4.3.0 Temporary failure, please try again\r\n");
}

}  // namespace
}  // namespace mail::msa
