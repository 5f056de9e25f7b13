// SPDX-License-Identifier: Apache-2.0
// DeliveryService: the mda's gRPC Delivery API. Stateless and idempotent: for
// each envelope recipient it resolves the final mailboxes (directory rules),
// stores one copy per mailbox and marks the queue recipient delivered, all in
// one PostgreSQL transaction with a UNIQUE key, so a repeated call reports
// DELIVERED without a second copy. The body is parsed once per call and
// every copy is stored with the MIME tree of its own trace prefix + body,
// for IMAP FETCH (mail/store/message_structure.h).
// Trusts: nothing in the request beyond its types (ids are checked by the
// database; addresses are normalized again).
#pragma once
#include "mail/common/result.h"

#include "mail/metrics/registry.h"
#include "mail/delivery/v1/delivery.grpc.pb.h"
#include "mail/directory/resolve.h"
#include "mail/mime/structure.h"
#include "mail/pg/pool.h"
#include "mail/rpc/guard.h"
#include "mail/store/notice.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace mail::mda {

struct DeliveryOptions {
  size_t max_received = 100;             // this many Received headers or more: a loop (5.4.6)
  size_t max_header_bytes = 256 * 1024;  // header section read for the loop check
  /// Bodies up to this size are read and parsed once per Deliver, and each
  /// copy is stored with its MIME tree (message_structure.h); a larger one
  /// gets it at its first FETCH that needs it.
  uint64_t max_structure_bytes = 64ull * 1024 * 1024;
  directory::ResolveOptions resolve;
  /// How long a message that does not fit a mailbox now is retried for it
  /// before it bounces with 5.2.2 (delivery.over_quota_retry); 0, as
  /// Dovecot's default: at once. One larger than the whole quota bounces at once.
  std::chrono::seconds over_quota_retry{0};
  /// Called after each commit that stored copies, once per mailbox changed
  /// (a hint for IMAP sessions, mail/store/notice.h); must not block long.
  std::function<void(const store::MailboxNotice&)> announce;
  /// Hands an alias's targets in other domains back to the mta
  /// (Transfer.Forward): (job id, recipients, idempotency key) -> the new
  /// queue id, or why not. Empty: such targets wait in the queue (4.3.0).
  std::function<common::Result<std::string>(int64_t, const std::vector<std::string>&, const std::string&)> forward;
};

class DeliveryService final : public mail::delivery::v1::Delivery::Service {
 public:
  /// Only callers that `guard` accepts may deliver (the mta).
  DeliveryService(pg::Pool& pool, DeliveryOptions opts, metrics::Registry& registry, const rpc::CallGuard& guard);

  grpc::Status Deliver(grpc::ServerContext* ctx, const mail::delivery::v1::DeliverRequest* req,
                       mail::delivery::v1::DeliverReply* reply) override;

 private:
  const rpc::CallGuard& guard_;
  struct BlobHead {
    bool found = false;
    uint64_t size = 0;
    uint32_t header_size = 0;
    size_t received = 0;
    /// The whole body and its tree, when it is to be stored with each copy.
    std::optional<std::string> body;
    std::optional<mime::Part> tree;
    std::optional<std::string> search_fields;  ///< mime::search_fields() of the header section
  };
  BlobHead inspect_blob(int64_t blob_id);
  mail::delivery::v1::RecipientResult deliver_one(const mail::delivery::v1::DeliverRequest& req,
                                                  const mail::delivery::v1::Recipient& rcpt, const BlobHead& head);

  pg::Pool& pool_;
  DeliveryOptions opts_;
  prometheus::Family<prometheus::Counter>& outcomes_;
  prometheus::Histogram& duration_;
  prometheus::Counter& copies_;
};

}  // namespace mail::mda
