// SPDX-License-Identifier: Apache-2.0
// Transfer.Submit over a real gRPC channel into a real PostgreSQL (a
// throw-away database, as the mail_mta role): what is committed is exactly
// what was streamed; a stream that is shorter or longer than announced, or
// malformed, commits nothing; a caller without an accepted token commits
// nothing either.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "mail/pg/testing.h"
#include "mail/rpc/channel.h"
#include "transfer_service.h"

using namespace mail;
namespace pb = mail::transfer::v1;

namespace {

const std::string kMsaToken = "msa-token-0123456789abcdef";
const std::string kMtaToken = "mta-token-0123456789abcdef";

class TransferTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() { delete db_; }
  void SetUp() override {
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mta", 4);
    mta::TransferOptions opts;
    opts.chunk_size = 1000;  // several chunks per message
    tokens_.add("msa", kMsaToken);
    tokens_.add("mta", kMtaToken);
    guard_ = std::make_unique<rpc::CallGuard>(tokens_, "transfer", std::vector<std::string>{"msa"}, metrics_);
    service_ = std::make_unique<mta::TransferService>(*pool_, opts, [this](int64_t id) { announced_.push_back(id); },
                                                      metrics_, *guard_);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    stub_ = stub(kMsaToken);
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<pb::Transfer::Stub> stub(const std::string& token) {
    return pb::Transfer::NewStub(rpc::make_channel("127.0.0.1:" + std::to_string(port_), token));
  }

  // Streams the envelope then `pieces`; size_hint = `announce` (or the real size).
  grpc::Status submit(const std::vector<std::string>& pieces, pb::SubmitReply* reply, int64_t announce = -1) {
    grpc::ClientContext ctx;
    auto w = stub_->Submit(&ctx, reply);
    pb::SubmitRequest req;
    auto* e = req.mutable_envelope();
    e->set_sender("a@remote.test");
    e->add_recipients("b@remote.test");
    uint64_t size = 0;
    for (const auto& p : pieces) size += p.size();
    e->set_size_hint(announce < 0 ? size : static_cast<uint64_t>(announce));
    e->set_client_ip("127.0.0.1");
    EXPECT_TRUE(w->Write(req));
    for (const auto& p : pieces) {
      req.set_chunk(p);
      EXPECT_TRUE(w->Write(req));
    }
    w->WritesDone();
    return w->Finish();
  }
  std::string stored(const std::string& queue_id) {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT string_agg(encode(data, 'base64'), '' ORDER BY seq) IS NOT NULL, sum(length(data)), b.size"
        " FROM queue.jobs j JOIN store.blobs b ON b.id = j.blob_id LEFT JOIN store.blob_chunks bc ON bc.blob_id = b.id"
        " WHERE j.queue_id = $1 GROUP BY b.size", queue_id);
    if (r.empty()) return "<none>";
    std::string out;
    auto chunks = tx.exec_params(
        "SELECT data FROM store.blob_chunks bc JOIN queue.jobs j ON j.blob_id = bc.blob_id WHERE j.queue_id = $1 ORDER BY seq",
        queue_id);
    for (const auto& row : chunks) {
      pqxx::binarystring b(row[0]);
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    EXPECT_EQ(r[0][2].as<size_t>(), out.size()) << "blob size matches its chunks";
    return out;
  }
  int64_t jobs() {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    return tx.exec("SELECT count(*) FROM queue.jobs")[0][0].as<int64_t>();
  }

  static pg::testing::TempDatabase* db_;
  std::unique_ptr<pg::Pool> pool_;
  metrics::Registry metrics_;
  rpc::CallerTokens tokens_;
  std::unique_ptr<rpc::CallGuard> guard_;
  std::unique_ptr<mta::TransferService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::Transfer::Stub> stub_;
  std::vector<int64_t> announced_;
  int port_ = 0;
};
pg::testing::TempDatabase* TransferTest::db_ = nullptr;

}  // namespace

TEST_F(TransferTest, CommitsExactlyWhatWasStreamed) {
  // Many messages of varied sizes and piece boundaries: every one must come
  // back byte for byte (a dangling envelope once refused some of these).
  for (int n = 1; n <= 40; ++n) {
    std::string msg = "Subject: m" + std::to_string(n) + "\r\n\r\n" + std::string(n * 97, static_cast<char>('a' + n % 26)) + "\r\n";
    std::vector<std::string> pieces;
    for (size_t i = 0; i < msg.size(); i += 333 + n) pieces.push_back(msg.substr(i, 333 + n));
    pb::SubmitReply reply;
    auto st = submit(pieces, &reply);
    ASSERT_TRUE(st.ok()) << n << ": " << st.error_message();
    EXPECT_EQ(reply.size(), msg.size());
    EXPECT_EQ(stored(reply.queue_id()), msg) << n;
  }
  EXPECT_EQ(announced_.size(), 40u) << "each commit wakes a worker";
}

TEST_F(TransferTest, WrongSizeOrShapeCommitsNothing) {
  int64_t before = jobs();
  pb::SubmitReply reply;
  EXPECT_EQ(submit({"Subject: x\r\n\r\nshort\r\n"}, &reply, 1000).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(submit({"Subject: x\r\n\r\nlong\r\n"}, &reply, 3).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(submit({}, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "empty message";
  {
    grpc::ClientContext ctx;
    auto w = stub_->Submit(&ctx, &reply);
    pb::SubmitRequest req;
    req.set_chunk("no envelope first");
    w->Write(req);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(jobs(), before) << "nothing kept";
  EXPECT_TRUE(announced_.empty());
}

TEST_F(TransferTest, OnlyAcceptedCallersSubmit) {
  const int64_t before = jobs();
  struct Case {
    std::string token;
    grpc::StatusCode want;
  };
  for (const Case& c : {Case{"", grpc::StatusCode::UNAUTHENTICATED},
                        Case{"forged-token-0123456789abcdef", grpc::StatusCode::UNAUTHENTICATED},
                        Case{kMtaToken, grpc::StatusCode::PERMISSION_DENIED}}) {
    auto s = stub(c.token);
    grpc::ClientContext ctx;
    pb::SubmitReply reply;
    auto w = s->Submit(&ctx, &reply);
    pb::SubmitRequest req;
    req.mutable_envelope()->set_sender("forged@remote.test");
    req.mutable_envelope()->add_recipients("b@remote.test");
    req.mutable_envelope()->set_auth_user("ceo@example.test");  // a claim nobody vouches for
    req.mutable_envelope()->set_size_hint(8);
    w->Write(req);  // may already fail: the server answers before reading
    req.set_chunk("x: y\r\n\r\n");
    w->Write(req);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), c.want) << c.token;
  }
  EXPECT_EQ(jobs(), before) << "nothing was queued";
  EXPECT_TRUE(announced_.empty());
  pb::SubmitReply reply;
  EXPECT_TRUE(submit({"x: y\r\n\r\nbody\r\n"}, &reply).ok()) << "the msa's token works";
  EXPECT_EQ(jobs(), before + 1);
}
