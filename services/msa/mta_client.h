// SPDX-License-Identifier: Apache-2.0
// MtaClient: hands one accepted message to the mta with Transfer.Submit
// (client stream: the envelope, then the message in chunks) and returns the
// mta's verdict. The mta answers only after its single commit, so OK means
// the message is safe and the msa may say 250.
//
// Blocking (synchronous gRPC with one deadline for the whole call): run it
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
};

class MtaClient {
 public:
  MtaClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline, size_t chunk_size);

  /// Streams `envelope`, then head + body as chunks of at most chunk_size
  /// bytes, and waits for the mta's answer.
  SubmitResult submit(const mail::transfer::v1::Envelope& envelope, std::string_view head, std::string_view body);

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
