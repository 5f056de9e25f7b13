// SPDX-License-Identifier: Apache-2.0
// Local delivery: resolution, loop check, one transaction per envelope recipient.
#include "mail/pg/exec.h"
#include "delivery_service.h"

#include <algorithm>
#include <chrono>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/directory/names.h"
#include "mail/mime/header.h"
#include "mail/mime/search_text.h"
#include "mail/mime/structure_codec.h"
#include "mail/store/mailstore.h"

namespace mail::mda {

namespace pb = mail::delivery::v1;

DeliveryService::DeliveryService(pg::Pool& pool, DeliveryOptions opts, metrics::Registry& registry,
                                 const rpc::CallGuard& guard)
    : guard_(guard),
      pool_(pool),
      opts_(std::move(opts)),
      outcomes_(registry.counter_family("mail_mda_deliveries_total",
                                        "Envelope recipients handled, by outcome and enhanced status code")),
      duration_(registry.histogram("mail_mda_deliver_duration_seconds", "Time to handle one Deliver call",
                                   metrics::Registry::latency_buckets())),
      copies_(registry.counter("mail_mda_copies_stored_total", "Message copies written into mailboxes")) {}

namespace {

pb::RecipientResult make_result(int64_t id, pb::Outcome outcome, std::string code, std::string detail) {
  pb::RecipientResult r;
  r.set_recipient_id(id);
  r.set_outcome(outcome);
  r.set_enhanced_code(std::move(code));
  r.set_detail(std::move(detail));
  return r;
}

const char* outcome_name(pb::Outcome o) {
  switch (o) {
    case pb::DELIVERED: return "delivered";
    case pb::TEMPFAIL: return "tempfail";
    case pb::PERMFAIL: return "permfail";
    default: return "unknown";
  }
}

// The Delivered-To of a copy: the recipient as the envelope gave it when
// it reached the account itself (with its subaddress, "alice+tag@", as
// Dovecot's LMTP keeps it, so that filters and clients can sort on it);
// the account's address when an alias led there.
std::string delivered_to(const std::string& received, const std::string& normalized,
                         const directory::ResolvedAccount& acct, std::string_view separators) {
  const bool direct = acct.address == normalized || directory::strip_subaddress(normalized, separators) == acct.address;
  const bool printable = std::all_of(received.begin(), received.end(), [](char c) {
    return static_cast<unsigned char>(c) > ' ' && c != 0x7f;
  });
  return direct && printable && !received.empty() ? received : acct.address;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& a : v) out += (out.empty() ? "" : ", ") + a;
  return out;
}

// The outcome of a recipient some of whose mailboxes have no copy yet:
// permanent when one can never get it (larger than its whole quota, or over
// quota longer than delivery.over_quota_retry), else temporary; the text
// says which got it and which did not, for the bounce or the queue listing.
pb::RecipientResult partial_result(int64_t id, const std::string& address, size_t delivered,
                                   const std::vector<std::string>& full, const std::vector<std::string>& too_large,
                                   const std::vector<std::string>& remote, const std::string& forward_error) {
  std::string done = delivered > 0 ? " (the other " + std::to_string(delivered) + " got it)" : "";
  if (!too_large.empty())
    return make_result(id, pb::PERMFAIL, "5.2.2", "mailbox full, the message does not fit: " + joined(too_large) + done);
  if (!full.empty()) return make_result(id, pb::TEMPFAIL, "4.2.2", "mailbox full: " + joined(full) + done);
  // The remote targets could not be handed to the mta: keep that part
  // queued rather than drop it (the forward is idempotent: retried safely).
  return make_result(id, pb::TEMPFAIL, "4.3.0",
                     "alias " + address + " forwards to " + joined(remote) + "; " +
                         (forward_error.empty() ? "forwarding is not configured" : forward_error) + done);
}

}  // namespace

DeliveryService::BlobHead DeliveryService::inspect_blob(int64_t blob_id) {
  return pool_.with([&](pqxx::connection& c) {
    // Blobs never change once committed: no transaction needed.
    pqxx::nontransaction tx(c);
    BlobHead head;
    auto info = store::blob_info(tx, blob_id);
    if (!info) return head;
    head.found = true;
    head.size = info->size;
    std::string prefix = store::read_blob_prefix(tx, blob_id, std::min<uint64_t>(opts_.max_header_bytes, info->size));
    auto end = mime::find_header_end(prefix);
    // A header larger than what we read counts as all of it for the loop check.
    head.header_size = static_cast<uint32_t>(end ? *end : prefix.size());
    auto parsed = mime::parse_header(std::string_view(prefix).substr(0, head.header_size));
    if (auto* h = std::get_if<mime::Header>(&parsed)) head.received = mime::count_fields(h->fields, "Received");
    else head.received = opts_.max_received;  // too many fields to even count: treat as a loop
    // What SEARCH matches of the header, once for every copy (none of the
    // fields it keeps is in a trace prefix).
    if (end) head.search_fields = mime::search_fields(std::string_view(prefix).substr(0, head.header_size));
    if (head.received < opts_.max_received && head.size <= opts_.max_structure_bytes) {
      // Parsed once here; each copy's tree is this one with its trace prefix.
      std::string body;
      body.reserve(static_cast<size_t>(head.size));
      store::for_each_chunk(tx, blob_id, [&](std::string_view c) { body.append(c); });
      head.tree = mime::parse_structure(body);
      head.body = std::move(body);
    }
    return head;
  });
}

pb::RecipientResult DeliveryService::deliver_one(const pb::DeliverRequest& req, const pb::Recipient& rcpt,
                                                 const BlobHead& head) {
  const std::string address = common::normalize_address(rcpt.address());
  if (address.empty()) return make_result(rcpt.recipient_id(), pb::PERMFAIL, "5.1.3", "bad recipient address syntax");
  try {
    return pool_.with([&](pqxx::connection& c) -> pb::RecipientResult {
      pqxx::work tx(c);
      auto res = directory::resolve(tx, address, opts_.resolve);
      switch (res.status) {
        case directory::ResolveStatus::ok: break;
        case directory::ResolveStatus::unknown:
          return make_result(rcpt.recipient_id(), pb::PERMFAIL, "5.1.1", "no such user here: " + address);
        case directory::ResolveStatus::loop:
          return make_result(rcpt.recipient_id(), pb::PERMFAIL, "5.4.6", "alias loop for " + address);
        case directory::ResolveStatus::not_local:
          return make_result(rcpt.recipient_id(), pb::PERMFAIL, "5.1.2", "not a local domain: " + address);
        case directory::ResolveStatus::invalid:
          return make_result(rcpt.recipient_id(), pb::PERMFAIL, "5.1.3", "bad recipient address: " + address);
      }
      // Targets in other domains go back to the mta as a new job on the same
      // body; its idempotency key names this job and recipient, so however
      // often this delivery is repeated, they are forwarded once.
      bool forwarded = false;
      std::string forward_error;
      if (!res.remote.empty() && opts_.forward) {
        const std::string key = "fwd:" + std::to_string(req.job_id()) + ":" + std::to_string(rcpt.recipient_id());
        auto fwd = opts_.forward(req.job_id(), res.remote, key);
        if (fwd) {
          forwarded = true;
          log::info("forwarded", {{"queue_id", req.queue_id()}, {"rcpt", address}, {"to", joined(res.remote)},
                                  {"new_queue_id", *fwd}});
        } else {
          forward_error = "forwarding failed: " + fwd.error().message;
        }
      }
      auto accounts = res.accounts;
      std::sort(accounts.begin(), accounts.end(), [](auto& a, auto& b) { return a.account_id < b.account_id; });
      const std::string return_path = "Return-Path: <" + req.sender() + ">\r\n";
      // Each mailbox the address expands to is delivered, deferred or
      // failed on its own: the copies that fit are stored now (and a retry
      // skips them: store_copy() knows each (job, recipient, account)); the
      // queue recipient is done only when every mailbox has its copy.
      std::vector<store::CopyRequest> copies;
      std::vector<std::string> full, too_large;
      int64_t job_age = -1;  // seconds since the mta accepted it, read when needed
      for (const auto& acct : accounts) {
        store::CopyRequest cr;
        cr.job_id = req.job_id();
        cr.recipient_id = rcpt.recipient_id();
        cr.account_id = acct.account_id;
        cr.blob_id = req.blob_id();
        cr.blob_size = head.size;
        cr.header_size = head.header_size;
        cr.header_prefix = return_path + "Delivered-To: " +
                           delivered_to(rcpt.address(), address, acct, opts_.resolve.subaddress_separators) + "\r\n";
        const uint64_t size = cr.header_prefix.size() + head.size;
        if (acct.quota_bytes > 0 && store::quota_used(tx, acct.account_id) + size > acct.quota_bytes) {
          // Over quota only matters when this job has no copy in the mailbox yet.
          auto seen = pg::exec(tx, "SELECT 1 FROM store.deliveries WHERE job_id = $1 AND account_id = $2 LIMIT 1",
                               cr.job_id, cr.account_id);
          if (seen.empty()) {
            if (size > acct.quota_bytes) {
              too_large.push_back(acct.address);  // can never fit
              continue;
            }
            if (job_age < 0) {
              auto j = pg::exec(tx, "SELECT extract(epoch from now() - received_at)::bigint FROM queue.jobs WHERE id = $1",
                                req.job_id());
              job_age = j.empty() ? 0 : std::max<int64_t>(j[0][0].as<int64_t>(), 0);
            }
            if (job_age >= opts_.over_quota_retry.count()) too_large.push_back(acct.address);  // given up
            else full.push_back(acct.address);
            continue;
          }
        }
        if (head.tree)
          cr.structure = mime::encode_structure(mime::parse_structure_prefixed(cr.header_prefix, *head.body, *head.tree));
        cr.search_fields = head.search_fields;
        copies.push_back(std::move(cr));
      }
      const bool complete = full.empty() && too_large.empty() && (res.remote.empty() || forwarded);
      // Mark the queue recipient first when it is done: the store's last
      // statement takes the mailbox lock, and only the commit should follow.
      if (complete)
        pg::exec(tx,
                 "UPDATE queue.recipients SET state = 'delivered', last_code = '2.0.0', last_error = '', updated_at = now()"
                 " WHERE id = $1 AND job_id = $2 AND state = 'pending'",
                 rcpt.recipient_id(), req.job_id());
      int stored = 0;
      std::vector<store::MailboxNotice> changed;
      for (const auto& cr : copies) {
        auto copy = store::store_copy(tx, cr);
        if (!copy.already) {
          ++stored;
          changed.push_back({cr.account_id, copy.mailbox_id, copy.modseq});
        }
      }
      tx.commit();
      copies_.Increment(stored);
      if (opts_.announce)
        for (const auto& n : changed) opts_.announce(n);
      if (stored > 0)
        log::info("delivered", {{"queue_id", req.queue_id()}, {"rcpt", address}, {"copies", stored}});
      if (complete)
        return make_result(rcpt.recipient_id(), pb::DELIVERED, "2.0.0",
                           stored > 0 ? "delivered" : "delivered before (repeated call)");
      return partial_result(rcpt.recipient_id(), address, accounts.size() - full.size() - too_large.size(), full,
                            too_large, forwarded ? std::vector<std::string>{} : res.remote, forward_error);
    });
  } catch (const pqxx::unique_violation&) {
    // A concurrent call for the same job and recipient committed first.
    return make_result(rcpt.recipient_id(), pb::DELIVERED, "2.0.0", "delivered by a concurrent call");
  } catch (const std::exception& e) {
    log::warn("delivery failed", {{"queue_id", req.queue_id()}, {"rcpt", address}, {"error", e.what()}});
    return make_result(rcpt.recipient_id(), pb::TEMPFAIL, "4.3.0", "temporary local problem");
  }
}

grpc::Status DeliveryService::Deliver(grpc::ServerContext* ctx, const pb::DeliverRequest* req, pb::DeliverReply* reply) {
  if (auto st = guard_.check(*ctx, "Deliver"); !st.ok()) return st;
  auto start = std::chrono::steady_clock::now();
  if (req->job_id() <= 0 || req->blob_id() <= 0 || req->recipients_size() == 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "job_id, blob_id and recipients are required");
  BlobHead head;
  try {
    head = inspect_blob(req->blob_id());
  } catch (const std::exception& e) {
    log::warn("cannot read message", {{"queue_id", req->queue_id()}, {"error", e.what()}});
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store unavailable");
  }
  for (const auto& rcpt : req->recipients()) {
    pb::RecipientResult r;
    if (!head.found)
      r = make_result(rcpt.recipient_id(), pb::TEMPFAIL, "4.3.0", "message body not found");
    else if (head.received >= opts_.max_received)
      r = make_result(rcpt.recipient_id(), pb::PERMFAIL, "5.4.6",
                      "mail loop: " + std::to_string(head.received) + " Received headers");
    else
      r = deliver_one(*req, rcpt, head);
    outcomes_.Add({{"outcome", outcome_name(r.outcome())}, {"code", r.enhanced_code()}}).Increment();
    *reply->add_results() = std::move(r);
  }
  duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return grpc::Status::OK;
}

}  // namespace mail::mda
