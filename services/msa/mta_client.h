// SPDX-License-Identifier: Apache-2.0
// MtaClient: hands accepted messages to the mta and returns its verdict.
//   submit(): Transfer.Submit, one client stream (the envelope, then the
//     message in chunks), for a message the msa holds whole (one that fit
//     in its first chunk).
//   stage() / append() / commit() / discard(): Transfer's staging calls, for
//     a message forwarded chunk by chunk while the client is still sending;
//     each is one short unary call, so no thread waits on the client.
// The mta answers submit() and commit() only after its single commit, so OK
// means the message is safe and the msa may say 250.
//
// Blocking (synchronous gRPC, one deadline per call): run every call
// through net::offload on the blocking pool. Trusts: the mta's reply within
// its types; the queue id is checked before it reaches an SMTP reply.
#pragma once
#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "mail/transfer/v1/transfer.grpc.pb.h"

namespace mail::msa {

struct SubmitResult {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string error;     ///< the status message when not OK (for logs)
  std::string queue_id;  ///< when OK
  std::string id;        ///< stage(): the staging id, when OK
};

class MtaClient {
 public:
  MtaClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline, size_t chunk_size);

  /// Streams `envelope`, then head + body as chunks of at most chunk_size
  /// bytes, and waits for the mta's answer.
  SubmitResult submit(const mail::transfer::v1::Envelope& envelope, std::string_view head, std::string_view body);

  /// Transfer.Stage: a new staging blob; its id in `queue_id`'s place (`id`).
  SubmitResult stage(uint64_t size_hint);
  /// Transfer.Append of `chunk` at `offset` (safe to repeat after a failure).
  SubmitResult append(const std::string& staging_id, uint64_t offset, std::string_view chunk);
  /// Transfer.Commit: the last `chunk` at `offset`; envelope.size_hint must
  /// be the whole message's size.
  SubmitResult commit(const std::string& staging_id, const mail::transfer::v1::Envelope& envelope, uint64_t offset,
                      std::string_view chunk);
  /// Transfer.Discard, best effort (the mta's sweep is the safety net).
  void discard(const std::string& staging_id);

  /// Bytes per chunk sent to the mta (mta.chunk_size).
  size_t chunk_size() const { return chunk_size_; }

  /// False while the channel is in TRANSIENT_FAILURE or SHUTDOWN.
  bool ready();
  /// True when the channel is connected now (asks it to connect otherwise).
  /// Never blocks.
  bool connected();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<mail::transfer::v1::Transfer::Stub> stub_;
  std::chrono::milliseconds deadline_;
  size_t chunk_size_;
};

}  // namespace mail::msa
