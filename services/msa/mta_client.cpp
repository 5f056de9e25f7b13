// SPDX-License-Identifier: Apache-2.0
// Transfer client: Submit and the staging calls (see mta_client.h).
#include "mta_client.h"

#include <grpcpp/client_context.h>

namespace mail::msa {
namespace pb = mail::transfer::v1;

namespace {

// Queue ids end up in an SMTP reply and in logs: keep them to plain tokens.
bool sane_queue_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return false;
  }
  return true;
}

}  // namespace

MtaClient::MtaClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline, size_t chunk_size)
    : channel_(std::move(channel)),
      stub_(pb::Transfer::NewStub(channel_)),
      deadline_(deadline),
      chunk_size_(chunk_size ? chunk_size : 256 * 1024) {}

SubmitResult MtaClient::submit(const pb::Envelope& envelope, std::string_view head, std::string_view body) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  pb::SubmitReply reply;
  auto writer = stub_->Submit(&ctx, &reply);

  pb::SubmitRequest req;
  *req.mutable_envelope() = envelope;
  bool ok = writer->Write(req);

  // head + body, cut into chunk_size pieces; a piece may span the two.
  size_t hpos = 0, bpos = 0;
  while (ok && (hpos < head.size() || bpos < body.size())) {
    std::string* chunk = req.mutable_chunk();
    chunk->clear();
    size_t room = chunk_size_;
    if (hpos < head.size()) {
      size_t n = std::min(room, head.size() - hpos);
      chunk->append(head.substr(hpos, n));
      hpos += n;
      room -= n;
    }
    if (room > 0 && bpos < body.size()) {
      size_t n = std::min(room, body.size() - bpos);
      chunk->append(body.substr(bpos, n));
      bpos += n;
    }
    ok = writer->Write(req);
  }
  // Only a stream that carried everything may be half-closed: the mta
  // commits what it read when the stream ends normally. After a failed
  // Write, Finish() reports the reason (the call is already over).
  if (ok)
    writer->WritesDone();
  else
    ctx.TryCancel();
  grpc::Status st = writer->Finish();

  SubmitResult r;
  r.code = st.error_code();
  if (!ok && r.code == grpc::StatusCode::OK) r.code = grpc::StatusCode::UNKNOWN;  // cannot happen; be safe
  if (r.code != grpc::StatusCode::OK) {
    r.error = st.error_message();
    return r;
  }
  if (!sane_queue_id(reply.queue_id())) {
    // Committed, but the id is unusable in a reply: say 250 without it
    // rather than a 4xx that would make the client send a second copy.
    r.queue_id = "unknown";
    r.error = "mta returned a malformed queue id";
    return r;
  }
  r.queue_id = reply.queue_id();
  return r;
}

namespace {

SubmitResult status_result(const grpc::Status& st) {
  SubmitResult r;
  r.code = st.error_code();
  if (!st.ok()) r.error = st.error_message();
  return r;
}

}  // namespace

SubmitResult MtaClient::stage(uint64_t size_hint) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  pb::StageRequest req;
  req.set_size_hint(size_hint);
  pb::StageReply reply;
  SubmitResult r = status_result(stub_->Stage(&ctx, req, &reply));
  if (r.code == grpc::StatusCode::OK) {
    // The id goes back to the mta only, but it is still the peer's text.
    if (reply.staging_id().empty() || reply.staging_id().size() > 64) {
      r.code = grpc::StatusCode::UNKNOWN;
      r.error = "mta returned a malformed staging id";
    } else {
      r.id = reply.staging_id();
    }
  }
  return r;
}

SubmitResult MtaClient::append(const std::string& staging_id, uint64_t offset, std::string_view chunk) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  pb::AppendRequest req;
  req.set_staging_id(staging_id);
  req.set_offset(offset);
  req.set_chunk(std::string(chunk));
  pb::AppendReply reply;
  SubmitResult r = status_result(stub_->Append(&ctx, req, &reply));
  if (r.code == grpc::StatusCode::OK && reply.staged() != offset + chunk.size()) {
    r.code = grpc::StatusCode::FAILED_PRECONDITION;  // the mta holds something else than we sent
    r.error = "mta staged " + std::to_string(reply.staged()) + " bytes, expected " +
              std::to_string(offset + chunk.size());
  }
  return r;
}

SubmitResult MtaClient::commit(const std::string& staging_id, const pb::Envelope& envelope, uint64_t offset,
                               std::string_view chunk) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  pb::CommitRequest req;
  req.set_staging_id(staging_id);
  *req.mutable_envelope() = envelope;
  req.set_offset(offset);
  req.set_chunk(std::string(chunk));
  pb::SubmitReply reply;
  SubmitResult r = status_result(stub_->Commit(&ctx, req, &reply));
  if (r.code != grpc::StatusCode::OK) return r;
  if (!sane_queue_id(reply.queue_id())) {
    r.queue_id = "unknown";  // committed: 250 without the id, as submit() does
    r.error = "mta returned a malformed queue id";
    return r;
  }
  r.queue_id = reply.queue_id();
  return r;
}

void MtaClient::discard(const std::string& staging_id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::min<std::chrono::milliseconds>(deadline_, std::chrono::seconds(5)));
  pb::DiscardRequest req;
  req.set_staging_id(staging_id);
  pb::DiscardReply reply;
  stub_->Discard(&ctx, req, &reply);  // failures leave it to the sweep
}

bool MtaClient::connected() { return channel_->GetState(true) == GRPC_CHANNEL_READY; }

bool MtaClient::ready() {
  auto s = channel_->GetState(true);
  return s != GRPC_CHANNEL_TRANSIENT_FAILURE && s != GRPC_CHANNEL_SHUTDOWN;
}

}  // namespace mail::msa
