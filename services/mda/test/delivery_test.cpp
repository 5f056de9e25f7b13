// SPDX-License-Identifier: Apache-2.0
// The mda's Delivery service against a real PostgreSQL (a throw-away
// database), running as the mail_mda role: a repeated Deliver makes one copy,
// postmaster@ exists, unknown users and loops fail for good, a full mailbox
// defers, and the trace prefix is per recipient; only the mta may deliver; a
// repeated Deliver of an expunged copy stores nothing; the first delivery
// makes the default mailboxes; each copy is stored with the MIME tree of
// its own trace prefix and body (none for a body over max_structure_bytes).
// Every call goes through a real in-process gRPC server.
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>

#include <mutex>

#include "delivery_service.h"
#include "mail/rpc/channel.h"
#include "mail/pg/testing.h"
#include "mail/store/mailstore.h"
#include "mail/store/message_structure.h"
#include "mail/store/sweep.h"

using namespace mail;
namespace pb = mail::delivery::v1;

namespace {

const std::string kMtaToken = "mta-token-0123456789abcdef";
const std::string kMsaToken = "msa-token-0123456789abcdef";

class DeliveryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    admin_ = std::make_unique<pqxx::connection>(db_->conninfo());
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mda", 2);
    // A domain of its own per test; its pm@ is the platform's postmaster.
    name_ = "d" + std::to_string(++counter_) + ".test";
    mda::DeliveryOptions opts = options_;
    opts.resolve.postmaster = at("pm");
    opts.announce = [this](const store::MailboxNotice& n) {
      std::lock_guard lock(announced_mu_);
      announced_.push_back(n);
    };
    service_ = std::make_unique<mda::DeliveryService>(*pool_, opts, metrics_, guard_);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
    stub_ = stub(kMtaToken);
    pqxx::work tx(*admin_);
    auto d = tx.exec_params("INSERT INTO directory.domains(name) VALUES ($1) RETURNING id", name_);
    domain_ = d[0][0].as<int64_t>();
    tx.commit();
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<pb::Delivery::Stub> stub(const std::string& token) {
    return pb::Delivery::NewStub(rpc::make_channel("127.0.0.1:" + std::to_string(port_), token));
  }
  static rpc::CallerTokens tokens() {
    rpc::CallerTokens t;
    t.add("mta", kMtaToken);
    t.add("msa", kMsaToken);
    return t;
  }

  // "user@d.test" in this test's own domain.
  std::string at(const std::string& local) { return local + "@" + name_; }
  int64_t account(const std::string& address, int64_t quota = 0) {
    pqxx::work tx(*admin_);
    auto r = tx.exec_params(
        "INSERT INTO directory.accounts(domain_id, address, password_hash, quota_bytes) VALUES ($1, $2, 'x', $3) RETURNING id",
        domain_, at(address.substr(0, address.find('@'))), quota);
    tx.commit();
    return r[0][0].as<int64_t>();
  }
  // A queued job as the mta leaves it: blob, job, one pending recipient row each.
  pb::DeliverRequest job(const std::string& body, const std::vector<std::string>& rcpts) {
    pqxx::work tx(*admin_);
    auto b = tx.exec_params("INSERT INTO store.blobs(size, chunks) VALUES ($1, 1) RETURNING id", static_cast<int64_t>(body.size()));
    int64_t blob = b[0][0].as<int64_t>();
    tx.exec_params("INSERT INTO store.blob_chunks(blob_id, seq, data) VALUES ($1, 0, $2)", blob, pqxx::binarystring(body));
    auto j = tx.exec_params("INSERT INTO queue.jobs(queue_id, blob_id, sender, size) VALUES (md5(random()::text), $1, 'from@else.test', $2) RETURNING id, queue_id",
                            blob, static_cast<int64_t>(body.size()));
    pb::DeliverRequest req;
    req.set_job_id(j[0][0].as<int64_t>());
    req.set_queue_id(j[0][1].as<std::string>());
    req.set_blob_id(blob);
    req.set_sender("from@else.test");
    for (const auto& full : rcpts) {
      const std::string a = at(full.substr(0, full.find('@')));
      auto r = tx.exec_params("INSERT INTO queue.recipients(job_id, address, route) VALUES ($1, $2, 'local') RETURNING id", req.job_id(), a);
      auto* p = req.add_recipients();
      p->set_recipient_id(r[0][0].as<int64_t>());
      p->set_address(a);
    }
    tx.commit();
    return req;
  }
  pb::DeliverReply deliver(const pb::DeliverRequest& req) {
    pb::DeliverReply reply;
    grpc::ClientContext ctx;
    auto st = stub_->Deliver(&ctx, req, &reply);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return reply;
  }
  std::vector<std::string> inbox(int64_t account_id) {
    pqxx::work tx(*admin_);
    std::vector<std::string> out;
    for (const auto& m : store::load_maildrop(tx, account_id).messages) out.push_back(store::read_message(tx, m.message_id));
    return out;
  }
  std::string state(int64_t recipient_id) {
    pqxx::work tx(*admin_);
    return tx.exec_params("SELECT state FROM queue.recipients WHERE id = $1", recipient_id)[0][0].as<std::string>();
  }

  /// What SetUp gives the service (a derived fixture may change it first).
  mda::DeliveryOptions options_;
  /// The stored MIME tree of each message in the account's INBOX, by UID.
  std::vector<std::optional<std::string>> trees(int64_t account_id) {
    pqxx::work tx(*admin_);
    std::vector<std::optional<std::string>> out;
    for (const auto& m : store::load_maildrop(tx, account_id).messages) {
      auto s = store::message_structures(tx, account_id, {m.message_id});
      out.push_back(s.empty() ? std::optional<std::string>("<none>") : s[0].structure);
    }
    return out;
  }
  std::mutex announced_mu_;
  std::vector<store::MailboxNotice> announced_;
  static pg::testing::TempDatabase* db_;
  std::unique_ptr<pqxx::connection> admin_;
  std::unique_ptr<pg::Pool> pool_;
  metrics::Registry metrics_;
  rpc::CallerTokens tokens_ = tokens();
  rpc::CallGuard guard_{tokens_, "delivery", {"mta"}, metrics_};
  std::unique_ptr<mda::DeliveryService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::Delivery::Stub> stub_;
  int port_ = 0;
  int64_t domain_ = 0;
  std::string name_;
  static int counter_;
};
pg::testing::TempDatabase* DeliveryTest::db_ = nullptr;
int DeliveryTest::counter_ = 0;

const std::string kBody = "Subject: t\r\n\r\nhello\r\n";

}  // namespace

TEST_F(DeliveryTest, RepeatedDeliverMakesOneCopy) {
  int64_t id = account("one@d.test");
  auto req = job(kBody, {"one@d.test"});
  for (int i = 0; i < 3; ++i) {
    auto reply = deliver(req);
    ASSERT_EQ(reply.results_size(), 1);
    EXPECT_EQ(reply.results(0).outcome(), pb::DELIVERED) << "call " << i;
  }
  auto msgs = inbox(id);
  ASSERT_EQ(msgs.size(), 1u) << "three calls, one copy";
  EXPECT_EQ(msgs[0], "Return-Path: <from@else.test>\r\nDelivered-To: " + at("one") + "\r\n" + kBody);
  EXPECT_EQ(state(req.recipients(0).recipient_id()), "delivered");
}

TEST_F(DeliveryTest, DeliveredToKeepsTheSubaddressAsReceived) {
  const int64_t id = account("sub@d.test");
  const int64_t other = account("target@d.test");
  {
    pqxx::work tx(*admin_);
    tx.exec_params("INSERT INTO directory.aliases(domain_id, address, target) VALUES ($1, $2, $3)", domain_, at("team"),
                   at("target"));
    tx.commit();
  }
  ASSERT_EQ(deliver(job(kBody, {"sub+Lists@" + name_})).results(0).outcome(), pb::DELIVERED);
  ASSERT_EQ(deliver(job(kBody, {at("team")})).results(0).outcome(), pb::DELIVERED);
  ASSERT_EQ(deliver(job(kBody, {at("sub")})).results(0).outcome(), pb::DELIVERED);
  auto msgs = inbox(id);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], "Return-Path: <from@else.test>\r\nDelivered-To: sub+Lists@" + name_ + "\r\n" + kBody);
  EXPECT_EQ(msgs[1], "Return-Path: <from@else.test>\r\nDelivered-To: " + at("sub") + "\r\n" + kBody);
  auto via_alias = inbox(other);
  ASSERT_EQ(via_alias.size(), 1u);
  EXPECT_EQ(via_alias[0], "Return-Path: <from@else.test>\r\nDelivered-To: " + at("target") + "\r\n" + kBody)
      << "an alias names the mailbox it led to";
}

TEST_F(DeliveryTest, PostmasterGoesToThePlatformsAndUnknownUserFailsForGood) {
  const int64_t oldest = account("oldest@d.test");
  const int64_t pm = account("pm@d.test");  // this fixture's directory.postmaster
  auto req = job(kBody, {"postmaster@d.test", "abuse@d.test", "ghost@d.test"});
  auto reply = deliver(req);
  ASSERT_EQ(reply.results_size(), 3);
  EXPECT_EQ(reply.results(0).outcome(), pb::DELIVERED);
  EXPECT_EQ(reply.results(1).outcome(), pb::DELIVERED);
  EXPECT_EQ(reply.results(2).outcome(), pb::PERMFAIL);
  EXPECT_EQ(reply.results(2).enhanced_code(), "5.1.1");
  EXPECT_EQ(inbox(pm).size(), 1u) << "one copy per mailbox for the two role addresses";
  EXPECT_TRUE(inbox(oldest).empty()) << "not the domain's oldest account";
}

TEST_F(DeliveryTest, HundredReceivedHeadersIsALoop) {
  int64_t id = account("loop@d.test");
  std::string body;
  for (int i = 0; i < 100; ++i) body += "Received: from h" + std::to_string(i) + "\r\n";
  auto reply = deliver(job(body + kBody, {"loop@d.test"}));
  EXPECT_EQ(reply.results(0).outcome(), pb::PERMFAIL);
  EXPECT_EQ(reply.results(0).enhanced_code(), "5.4.6");
  EXPECT_TRUE(inbox(id).empty());
}

TEST_F(DeliveryTest, AFullMailboxBouncesAtOnceByDefault) {
  int64_t id = account("full@d.test", 10);
  auto req = job(kBody, {"full@d.test"});
  auto reply = deliver(req);
  EXPECT_EQ(reply.results(0).outcome(), pb::PERMFAIL) << "as Dovecot: no five days of silent retries";
  EXPECT_EQ(reply.results(0).enhanced_code(), "5.2.2");
  EXPECT_TRUE(inbox(id).empty());
  EXPECT_EQ(state(req.recipients(0).recipient_id()), "pending") << "the mta records the failure";
}

void set_quota(pqxx::connection& c, int64_t account_id, int64_t quota) {
  pqxx::work tx(c);
  tx.exec_params("UPDATE directory.accounts SET quota_bytes = $2 WHERE id = $1", account_id, quota);
  tx.commit();
}

// Mail the mailbox already holds, as the store counts it.
void set_used(pqxx::connection& c, int64_t account_id, int64_t bytes) {
  pqxx::work tx(c);
  tx.exec_params("INSERT INTO store.quota_usage(account_id, bytes, messages) VALUES ($1, $2, 1)"
                 " ON CONFLICT (account_id) DO UPDATE SET bytes = $2", account_id, bytes);
  tx.commit();
}

class DeliveryRetryingFull : public DeliveryTest {
 protected:
  void SetUp() override {
    options_.over_quota_retry = std::chrono::hours(1);
    DeliveryTest::SetUp();
  }
};

TEST_F(DeliveryRetryingFull, AFullMailboxDefersUntilTheRetryTimeButOneTooLargeBounces) {
  const int64_t id = account("full@d.test", 1000);
  set_used(*admin_, id, 990);  // the message would fit an empty mailbox, not this one
  auto req = job(kBody, {"full@d.test"});
  auto reply = deliver(req);
  EXPECT_EQ(reply.results(0).outcome(), pb::TEMPFAIL);
  EXPECT_EQ(reply.results(0).enhanced_code(), "4.2.2");
  EXPECT_TRUE(inbox(id).empty());
  EXPECT_EQ(state(req.recipients(0).recipient_id()), "pending") << "nothing marked: the mta retries";
  set_quota(*admin_, id, 10);  // now smaller than the message itself: it can never fit
  reply = deliver(req);
  EXPECT_EQ(reply.results(0).outcome(), pb::PERMFAIL);
  EXPECT_EQ(reply.results(0).enhanced_code(), "5.2.2");
  {
    pqxx::work tx(*admin_);  // an old job: over quota for longer than the retry time
    tx.exec_params("UPDATE queue.jobs SET received_at = now() - interval '2 hours' WHERE id = $1", req.job_id());
    tx.commit();
  }
  set_quota(*admin_, id, 1000);
  reply = deliver(req);
  EXPECT_EQ(reply.results(0).outcome(), pb::PERMFAIL) << "over quota longer than delivery.over_quota_retry";
}

TEST_F(DeliveryRetryingFull, EachMailboxOfAnAliasIsDeliveredOnItsOwn) {
  const int64_t alice = account("alice@d.test");
  const int64_t dave = account("dave@d.test", 1000);
  set_used(*admin_, dave, 990);
  {
    pqxx::work tx(*admin_);
    for (const auto& [alias, target] : std::vector<std::pair<std::string, std::string>>{
             {at("team"), at("alice")}, {at("team"), at("dave")}, {at("mixed"), at("alice")},
             {at("mixed"), "someone@remote.example"}})
      tx.exec_params("INSERT INTO directory.aliases(domain_id, address, target) VALUES ($1, $2, $3)", domain_, alias,
                     target);
    tx.commit();
  }
  // dave's mailbox is full: alice gets hers now, dave's part waits.
  auto team = job(kBody, {at("team")});
  auto reply = deliver(team);
  EXPECT_EQ(reply.results(0).outcome(), pb::TEMPFAIL);
  EXPECT_EQ(reply.results(0).enhanced_code(), "4.2.2");
  EXPECT_NE(reply.results(0).detail().find(at("dave")), std::string::npos) << reply.results(0).detail();
  EXPECT_EQ(inbox(alice).size(), 1u);
  EXPECT_TRUE(inbox(dave).empty());
  EXPECT_EQ(state(team.recipients(0).recipient_id()), "pending");
  // The retry after dave made room stores dave's copy, and no second one for alice.
  set_quota(*admin_, dave, 0);
  reply = deliver(team);
  EXPECT_EQ(reply.results(0).outcome(), pb::DELIVERED);
  EXPECT_EQ(inbox(alice).size(), 1u) << "a retry never delivers a copy twice";
  EXPECT_EQ(inbox(dave).size(), 1u);
  EXPECT_EQ(state(team.recipients(0).recipient_id()), "delivered");
  // A local and a remote target: the local one is not held back by the other.
  auto mixed = job(kBody, {at("mixed")});
  reply = deliver(mixed);
  EXPECT_EQ(reply.results(0).outcome(), pb::TEMPFAIL);
  EXPECT_EQ(inbox(alice).size(), 2u);
  reply = deliver(mixed);
  EXPECT_EQ(inbox(alice).size(), 2u) << "repeated: still one copy";
}

TEST_F(DeliveryTest, OnlyTheMtaDelivers) {
  const int64_t id = account("guarded@x");
  auto req = job("Subject: forged\r\n\r\nbody\r\n", {"guarded@x"});
  for (const std::string& token : {std::string(), std::string("forged-token-0123456789abcdef"), kMsaToken}) {
    pb::DeliverReply reply;
    grpc::ClientContext ctx;
    auto st = stub(token)->Deliver(&ctx, req, &reply);
    EXPECT_EQ(st.error_code(), token == kMsaToken ? grpc::StatusCode::PERMISSION_DENIED
                                                  : grpc::StatusCode::UNAUTHENTICATED)
        << token;
  }
  EXPECT_TRUE(inbox(id).empty()) << "nothing was delivered";
  EXPECT_EQ(state(req.recipients(0).recipient_id()), "pending");
  auto reply = deliver(req);
  ASSERT_EQ(reply.results_size(), 1);
  EXPECT_EQ(inbox(id).size(), 1u);
}

TEST_F(DeliveryTest, RepeatedDeliverAfterExpungeStoresNothingAgain) {
  int64_t id = account("gone@d.test");
  auto req = job(kBody, {"gone@d.test"});
  ASSERT_EQ(deliver(req).results(0).outcome(), pb::DELIVERED);
  {
    // The user reads and deletes it (as POP3 does), which marks the message
    // orphaned; the sweep (grace 0 here) deletes it. Its delivery record stays.
    pqxx::connection pop3(db_->conninfo() + " user=mail_pop3");
    pqxx::work tx(pop3);
    auto md = store::load_maildrop(tx, id);
    ASSERT_EQ(md.messages.size(), 1u);
    EXPECT_EQ(store::expunge(tx, md.mailbox_id, id, {md.messages[0].uid}), 1);
    tx.commit();
  }
  {
    pqxx::connection mda(db_->conninfo() + " user=mail_mda");
    pqxx::work tx(mda);
    EXPECT_GE(store::sweep_orphans(tx, std::chrono::seconds(0), 100).messages, 1);
    tx.commit();
  }
  {
    pqxx::work tx(*admin_);
    EXPECT_EQ(tx.exec_params("SELECT count(*) FROM store.messages WHERE account_id = $1", id)[0][0].as<int>(), 0);
    EXPECT_EQ(tx.exec_params("SELECT count(*) FROM store.deliveries WHERE account_id = $1 AND message_id IS NULL",
                             id)[0][0].as<int>(), 1);
  }
  // The mta repeats the call (it lost the first reply): still delivered, nothing stored.
  auto again = deliver(req);
  ASSERT_EQ(again.results_size(), 1);
  EXPECT_EQ(again.results(0).outcome(), pb::DELIVERED);
  EXPECT_TRUE(inbox(id).empty()) << "an expunged message must not come back";
}

TEST_F(DeliveryTest, FirstDeliveryCreatesTheDefaultMailboxes) {
  int64_t id = account("fresh@d.test");
  ASSERT_EQ(deliver(job(kBody, {"fresh@d.test"})).results(0).outcome(), pb::DELIVERED);
  pqxx::work tx(*admin_);
  auto r = tx.exec_params("SELECT string_agg(name || ':' || COALESCE(special_use, ''), ',' ORDER BY name)"
                          " FROM store.mailboxes WHERE account_id = $1", id);
  EXPECT_EQ(r[0][0].as<std::string>(), "Archive:\\Archive,Drafts:\\Drafts,INBOX:,Junk:\\Junk,Sent:\\Sent,Trash:\\Trash");
}

TEST_F(DeliveryTest, EachStoredCopyIsAnnouncedOnceAfterCommit) {
  const int64_t a = account("ann@d.test");
  const int64_t b = account("bea@d.test");
  auto req = job(kBody, {"ann@d.test", "bea@d.test"});
  ASSERT_EQ(deliver(req).results_size(), 2);
  std::vector<store::MailboxNotice> got;
  {
    std::lock_guard lock(announced_mu_);
    got = announced_;
  }
  ASSERT_EQ(got.size(), 2u);
  pqxx::work tx(*admin_);
  for (const auto& n : got) {
    EXPECT_TRUE(n.account_id == a || n.account_id == b);
    auto r = tx.exec_params("SELECT name, highest_modseq FROM store.mailboxes WHERE id = $1 AND account_id = $2",
                            n.mailbox_id, n.account_id);
    ASSERT_EQ(r.size(), 1u) << "the notice names the account's own mailbox";
    EXPECT_EQ(r[0][0].as<std::string>(), "INBOX");
    EXPECT_EQ(r[0][1].as<int64_t>(), n.modseq) << "the notice carries the committed HIGHESTMODSEQ";
  }
  tx.commit();
  ASSERT_EQ(deliver(req).results_size(), 2);
  std::lock_guard lock(announced_mu_);
  EXPECT_EQ(announced_.size(), 2u) << "a repeated Deliver stores nothing and announces nothing";
}

namespace {
const std::string kMultipartBody =
    "From: a@else.test\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
    "--q\r\nContent-Type: text/plain\r\n\r\none\r\n--q\r\nContent-Type: message/rfc822\r\n\r\n"
    "Subject: inner\r\n\r\ntwo\r\n--q--\r\n";
}  // namespace

TEST_F(DeliveryTest, EachCopyIsStoredWithTheTreeOfItsPrefixAndBody) {
  const int64_t a = account("a@d.test");
  const int64_t b = account("a-much-longer-name@d.test");
  auto reply = deliver(job(kMultipartBody, {"a@d.test", "a-much-longer-name@d.test"}));
  ASSERT_EQ(reply.results_size(), 2);
  std::vector<std::string> stored;
  for (int64_t id : {a, b}) {
    const auto msgs = inbox(id);
    const auto t = trees(id);
    ASSERT_EQ(msgs.size(), 1u);
    ASSERT_EQ(t.size(), 1u);
    ASSERT_TRUE(t[0].has_value());
    // The tree of the message as FETCH sends it: offsets count the trace lines.
    EXPECT_EQ(*t[0], store::message_structure(msgs[0]));
    stored.push_back(*t[0]);
  }
  EXPECT_NE(stored[0], stored[1]) << "Delivered-To differs, and so do the offsets";
  // And with the search fields of the body's header (trace lines have none of them).
  pqxx::work tx(*admin_);
  auto f = tx.exec_params("SELECT search_fields FROM store.messages WHERE account_id = $1", a);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0][0].as<std::string>(), "from\ta@else.test\nsubject\tparts\n");
}

// The mta side of Transfer.Forward, as a small fake of our own interface:
// it records each call, and fails while `down`.
class DeliveryForwarding : public DeliveryTest {
 protected:
  struct Call {
    int64_t job;
    std::vector<std::string> rcpts;
    std::string key;
  };
  void SetUp() override {
    options_.forward = [this](int64_t job, const std::vector<std::string>& rcpts,
                              const std::string& key) -> common::Result<std::string> {
      calls_.push_back({job, rcpts, key});
      if (down_) return common::Error{common::ErrorCode::unavailable, "mta: connection refused"};
      return std::string("FWD") + std::to_string(calls_.size());
    };
    DeliveryTest::SetUp();
  }
  std::vector<Call> calls_;
  bool down_ = false;
};

TEST_F(DeliveryForwarding, RemoteTargetsOfAnAliasGoBackToTheMtaOnce) {
  const int64_t alice = account("alice@d.test");
  {
    pqxx::work tx(*admin_);
    for (const auto& target : {at("alice"), std::string("someone@remote.example"), std::string("other@far.example")})
      tx.exec_params("INSERT INTO directory.aliases(domain_id, address, target) VALUES ($1, $2, $3)", domain_,
                     at("mixed"), target);
    tx.commit();
  }
  auto mixed = job(kBody, {at("mixed")});
  down_ = true;
  auto reply = deliver(mixed);
  EXPECT_EQ(reply.results(0).outcome(), pb::TEMPFAIL) << "the mta is away: the remote part waits";
  EXPECT_NE(reply.results(0).detail().find("forwarding failed: mta: connection refused"), std::string::npos)
      << reply.results(0).detail();
  EXPECT_EQ(inbox(alice).size(), 1u) << "the local target is not held back";
  EXPECT_EQ(state(mixed.recipients(0).recipient_id()), "pending");
  down_ = false;
  reply = deliver(mixed);
  EXPECT_EQ(reply.results(0).outcome(), pb::DELIVERED);
  EXPECT_EQ(inbox(alice).size(), 1u) << "a retry never stores a second copy";
  EXPECT_EQ(state(mixed.recipients(0).recipient_id()), "delivered");
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1].job, mixed.job_id());
  std::vector<std::string> rcpts = calls_[1].rcpts;
  std::sort(rcpts.begin(), rcpts.end());
  EXPECT_EQ(rcpts, (std::vector<std::string>{"other@far.example", "someone@remote.example"}));
  EXPECT_EQ(calls_[0].key, calls_[1].key) << "the same key each time: the mta forwards once";
  EXPECT_EQ(calls_[1].key, "fwd:" + std::to_string(mixed.job_id()) + ":" + std::to_string(mixed.recipients(0).recipient_id()));
  // A purely local alias never calls the mta.
  deliver(job(kBody, {at("alice")}));
  EXPECT_EQ(calls_.size(), 2u);
}

class DeliverySmallParse : public DeliveryTest {
 protected:
  void SetUp() override {
    options_.max_structure_bytes = kMultipartBody.size() - 1;
    DeliveryTest::SetUp();
  }
};

TEST_F(DeliverySmallParse, BodiesOverTheLimitAreStoredWithoutATree) {
  const int64_t id = account("big@d.test");
  ASSERT_EQ(deliver(job(kMultipartBody, {"big@d.test"})).results(0).outcome(), pb::DELIVERED);
  EXPECT_EQ(trees(id), (std::vector<std::optional<std::string>>{std::nullopt})) << "left to the first FETCH";
  const int64_t small = account("small@d.test");
  ASSERT_EQ(deliver(job(kBody, {"small@d.test"})).results(0).outcome(), pb::DELIVERED);
  EXPECT_EQ(trees(small), (std::vector<std::optional<std::string>>{store::message_structure(inbox(small)[0])}));
}
