// SPDX-License-Identifier: Apache-2.0
// transfer_fixture.h: the Transfer service of the mta over a real gRPC
// channel (127.0.0.1, port 0) into a real, throw-away PostgreSQL database,
// connected as the mail_mta role; shared by transfer_test.cpp (Submit) and
// staging_test.cpp (Stage/Append/Commit/Discard). Reads for assertions go
// through a connection of their own, so only committed rows are seen.
#pragma once
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "mail/pg/testing.h"
#include "mail/rpc/channel.h"
#include "transfer_service.h"

namespace mail::mta::test {

namespace pb = mail::transfer::v1;

inline const std::string kMsaToken = "msa-token-0123456789abcdef";
inline const std::string kMtaToken = "mta-token-0123456789abcdef";

class TransferFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = new pg::testing::TempDatabase(MAIL_MIGRATIONS_DIR); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  /// Starts the service over a pool of `connections` to the database; only
  /// the msa's token is accepted. stub_ calls it as the msa.
  void start(const TransferOptions& opts, size_t connections,
             std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10)) {
    pool_ = std::make_unique<pg::Pool>(db_->conninfo() + " user=mail_mta", connections, acquire_timeout);
    tokens_.add("msa", kMsaToken);
    tokens_.add("mta", kMtaToken);
    guard_ = std::make_unique<rpc::CallGuard>(tokens_, "transfer", std::vector<std::string>{"msa"}, metrics_);
    service_ = std::make_unique<TransferService>(*pool_, opts, [this](int64_t id) { announced_.push_back(id); },
                                                 metrics_, *guard_);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    stub_ = stub(kMsaToken);
  }

  /// A client presenting `token`.
  std::unique_ptr<pb::Transfer::Stub> stub(const std::string& token) {
    return pb::Transfer::NewStub(rpc::make_channel("127.0.0.1:" + std::to_string(port_), token));
  }

  /// The first column of the first row of `sql` (with one text argument).
  int64_t count(const std::string& sql, const std::string& arg = "") {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    auto r = arg.empty() ? tx.exec(sql) : tx.exec_params(sql, arg);
    return r[0][0].as<int64_t>();
  }

  /// The committed body of the job `queue_id`, its chunks in order;
  /// "<none>" when there is no such job. Checks the blob's recorded size.
  std::string job_body(const std::string& queue_id) {
    pqxx::connection c(db_->conninfo());
    pqxx::work tx(c);
    auto blob = tx.exec_params("SELECT b.id, b.size FROM queue.jobs j JOIN store.blobs b ON b.id = j.blob_id"
                               " WHERE j.queue_id = $1",
                               queue_id);
    if (blob.empty()) return "<none>";
    auto chunks = tx.exec_params("SELECT data FROM store.blob_chunks WHERE blob_id = $1 ORDER BY seq",
                                 blob[0][0].as<int64_t>());
    std::string out;
    for (const auto& row : chunks) {
      pqxx::binarystring b(row[0]);
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    EXPECT_EQ(blob[0][1].as<size_t>(), out.size()) << "blob size matches its chunks";
    return out;
  }

  inline static pg::testing::TempDatabase* db_ = nullptr;
  std::unique_ptr<pg::Pool> pool_;
  metrics::Registry metrics_;
  rpc::CallerTokens tokens_;
  std::unique_ptr<rpc::CallGuard> guard_;
  std::unique_ptr<TransferService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::Transfer::Stub> stub_;
  std::vector<int64_t> announced_;
  int port_ = 0;
};

}  // namespace mail::mta::test
