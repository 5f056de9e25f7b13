// SPDX-License-Identifier: Apache-2.0
// The Queue API's handlers (see queue_service.h): request checks, the
// QueueAdmin call, the reply, and the one mapping of failures to statuses.
#include "queue_service.h"

#include <grpcpp/grpcpp.h>

#include <cctype>

#include "mail/common/log.h"
#include "mail/common/strings.h"

namespace mail::mta {

namespace pb = mail::queue::v1;
using grpc::StatusCode;

namespace {

// Raised by the checks below; becomes INVALID_ARGUMENT.
struct BadRequest {
  std::string why;
};

int64_t unix_ms(queue::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Ours are 12 hex digits; accept any short run of letters and digits, in any case.
std::string queue_id_of(const std::string& raw) {
  std::string id(common::trim(raw));
  if (id.empty() || id.size() > 64) throw BadRequest{"bad queue id"};
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c))) throw BadRequest{"bad queue id"};
  return common::ascii_upper(id);
}

std::string address_of(const std::string& raw, const char* what) {
  std::string a = common::normalize_address(raw);
  if (a.empty()) throw BadRequest{std::string("bad ") + what + " address"};
  return a;
}

std::string domain_of(const std::string& raw) {
  std::string d = common::normalize_domain(raw);
  if (d.empty()) throw BadRequest{"bad domain"};
  return d;
}

queue::Target target_of(const pb::Target& t) {
  queue::Target out;
  if (!t.queue_id().empty()) out.queue_id = queue_id_of(t.queue_id());
  if (!t.domain().empty()) out.destination = domain_of(t.domain());
  if (out.queue_id.empty() && out.destination.empty()) throw BadRequest{"give a queue id, a domain or both"};
  return out;
}

pb::JobState state_to_pb(queue::JobState s) {
  switch (s) {
    case queue::JobState::queued: return pb::QUEUED;
    case queue::JobState::deferred: return pb::DEFERRED;
    case queue::JobState::held: return pb::HELD;
    case queue::JobState::active: return pb::ACTIVE;
    case queue::JobState::done: return pb::DONE;
  }
  return pb::QUEUED;
}

queue::ListFilter filter_of(const pb::ListJobsRequest& r) {
  queue::ListFilter f;
  if (r.has_sender()) f.sender = r.sender().empty() ? std::string() : address_of(r.sender(), "sender");
  if (!r.recipient().empty()) f.recipient = address_of(r.recipient(), "recipient");
  if (!r.domain().empty()) f.destination = domain_of(r.domain());
  switch (r.state()) {
    case pb::JOB_STATE_ANY: break;
    case pb::QUEUED: f.state = queue::JobState::queued; break;
    case pb::DEFERRED: f.state = queue::JobState::deferred; break;
    case pb::HELD: f.state = queue::JobState::held; break;
    case pb::ACTIVE: f.state = queue::JobState::active; break;
    default: throw BadRequest{"state: finished jobs are not listed (GetJob shows one)"};
  }
  // Past a century nothing is queued; the bound keeps the arithmetic small.
  constexpr uint64_t kCentury = 100ull * 366 * 86400;
  f.older_than = std::chrono::seconds(static_cast<int64_t>(std::min<uint64_t>(r.older_than_seconds(), kCentury)));
  if (r.limit() > queue::kMaxListLimit)
    throw BadRequest{"limit: at most " + std::to_string(queue::kMaxListLimit)};
  f.limit = r.limit() == 0 ? queue::kDefaultListLimit : r.limit();
  f.with_total = r.with_total();
  return f;
}

void fill_recipient(pb::Recipient* out, const queue::RecipientInfo& r) {
  out->set_address(r.address);
  out->set_destination(r.destination);
  out->set_state(r.state);
  out->set_attempts(r.attempts);
  out->set_code(r.code);
  out->set_error(r.error);
  if (r.updated_at.time_since_epoch().count() != 0) out->set_updated_unix_ms(unix_ms(r.updated_at));
}

void fill_summary(pb::JobSummary* out, const queue::JobSummary& j) {
  out->set_queue_id(j.queue_id);
  out->set_received_unix_ms(unix_ms(j.received_at));
  out->set_size(j.size);
  out->set_sender(j.sender);
  out->set_state(state_to_pb(j.state));
  out->set_attempts(j.attempts);
  if (j.next_attempt) out->set_next_attempt_unix_ms(unix_ms(*j.next_attempt));
  out->set_last_error(j.last_error);
  for (const auto& r : j.recipients) fill_recipient(out->add_recipients(), r);
  out->set_pending_recipients(static_cast<uint32_t>(j.pending));
}

// Runs `body`, mapping what it throws to a status (the one place).
template <class F>
grpc::Status guarded(F&& body, const std::function<grpc::Status(StatusCode, const std::string&)>& fail) {
  try {
    return body();
  } catch (const BadRequest& e) {
    return fail(StatusCode::INVALID_ARGUMENT, e.why);
  } catch (const pqxx::broken_connection& e) {
    return fail(StatusCode::UNAVAILABLE, std::string("queue database unavailable: ") + e.what());
  } catch (const pg::PoolTimeout&) {
    return fail(StatusCode::UNAVAILABLE, "queue database busy: no connection free");
  } catch (const std::exception& e) {
    return fail(StatusCode::INTERNAL, std::string("queue operation failed: ") + e.what());
  }
}

}  // namespace

QueueService::QueueService(queue::QueueAdmin& admin, std::function<void(int64_t)> announce,
                           metrics::Registry& registry, const rpc::CallGuard& guard)
    : admin_(admin),
      announce_(std::move(announce)),
      guard_(guard),
      requests_(registry.counter_family("mail_mta_queue_requests_total",
                                        "Queue API calls (mailctl queue) by method and result")) {}

void QueueService::done(const char* method) { requests_.Add({{"method", method}, {"result", "ok"}}).Increment(); }

grpc::Status QueueService::fail(const char* method, StatusCode code, const std::string& why) {
  const char* result = code == StatusCode::UNAVAILABLE       ? "unavailable"
                       : code == StatusCode::INTERNAL        ? "failed"
                       : code == StatusCode::NOT_FOUND       ? "not_found"
                                                             : "refused";
  requests_.Add({{"method", method}, {"result", result}}).Increment();
  if (code == StatusCode::INTERNAL || code == StatusCode::UNAVAILABLE)
    log::warn("queue request failed", {{"method", method}, {"grpc", static_cast<int>(code)}, {"error", why}});
  else
    log::info("queue request refused", {{"method", method}, {"grpc", static_cast<int>(code)}, {"reason", why}});
  // An internal error's text may hold SQL: the caller gets the gist only.
  return {code, code == StatusCode::INTERNAL ? "queue operation failed (see the mta's log)" : why};
}

grpc::Status QueueService::ListJobs(grpc::ServerContext* ctx, const pb::ListJobsRequest* req, pb::ListJobsReply* reply) {
  if (auto st = guard_.check(*ctx, "ListJobs"); !st.ok()) return st;
  return guarded(
      [&] {
        auto r = admin_.list(filter_of(*req));
        for (const auto& j : r.jobs) fill_summary(reply->add_jobs(), j);
        reply->set_more(r.more);
        if (r.total) reply->set_total(*r.total);
        if (r.total_size) reply->set_total_size(*r.total_size);
        reply->set_now_unix_ms(unix_ms(r.now));
        done("ListJobs");
        return grpc::Status::OK;
      },
      [&](StatusCode c, const std::string& why) { return fail("ListJobs", c, why); });
}

grpc::Status QueueService::GetJob(grpc::ServerContext* ctx, const pb::GetJobRequest* req, pb::JobDetail* reply) {
  if (auto st = guard_.check(*ctx, "GetJob"); !st.ok()) return st;
  return guarded(
      [&] {
        const std::string id = queue_id_of(req->queue_id());
        auto d = admin_.show(id);
        if (!d) return fail("GetJob", StatusCode::NOT_FOUND, "no job " + id + " in the queue");
        fill_summary(reply->mutable_job(), d->job);
        if (d->finished_at) reply->set_finished_unix_ms(unix_ms(*d->finished_at));
        reply->set_helo(d->helo);
        reply->set_client_ip(d->client_ip);
        reply->set_auth_user(d->auth_user);
        reply->set_protocol(d->protocol);
        for (const auto& l : d->legs) {
          auto* pl = reply->add_legs();
          pl->set_destination(l.destination);
          pl->set_state(l.state);
          pl->set_attempts(l.attempts);
          pl->set_next_attempt_unix_ms(unix_ms(l.next_attempt));
          pl->set_active(l.leased);
          pl->set_last_error(l.last_error);
          if (l.last_attempt) pl->set_last_attempt_unix_ms(unix_ms(*l.last_attempt));
        }
        for (const auto& a : d->attempts) {
          auto* pa = reply->add_attempts();
          pa->set_destination(a.destination);
          pa->set_at_unix_ms(unix_ms(a.at));
          pa->set_delivered(a.delivered);
          pa->set_deferred(a.deferred);
          pa->set_failed(a.failed);
          pa->set_detail(a.detail);
        }
        reply->set_attempts_truncated(d->attempts_truncated);
        reply->set_now_unix_ms(unix_ms(d->now));
        done("GetJob");
        return grpc::Status::OK;
      },
      [&](StatusCode c, const std::string& why) { return fail("GetJob", c, why); });
}

grpc::Status QueueService::act(grpc::ServerContext* ctx, const char* method, const pb::Target& target,
                               pb::ActionReply* reply, const Action& action) {
  if (auto st = guard_.check(*ctx, method); !st.ok()) return st;
  return guarded(
      [&] {
        const queue::Target t = target_of(target);
        auto r = action(t);
        if (!r.found) return fail(method, StatusCode::NOT_FOUND, "no job " + t.queue_id + " in the queue");
        // After the commit: a lost announcement only waits for the reconciler.
        for (int64_t leg : r.announce) announce_(leg);
        reply->set_jobs(static_cast<uint64_t>(r.jobs));
        reply->set_legs(static_cast<uint64_t>(r.legs));
        reply->set_bounces(static_cast<uint64_t>(r.bounces));
        reply->set_announced(r.announce.size());
        done(method);
        return grpc::Status::OK;
      },
      [&](StatusCode c, const std::string& why) { return fail(method, c, why); });
}

grpc::Status QueueService::Retry(grpc::ServerContext* ctx, const pb::Target* req, pb::ActionReply* reply) {
  return act(ctx, "Retry", *req, reply, [&](const queue::Target& t) { return admin_.retry(t); });
}

grpc::Status QueueService::Hold(grpc::ServerContext* ctx, const pb::Target* req, pb::ActionReply* reply) {
  return act(ctx, "Hold", *req, reply, [&](const queue::Target& t) { return admin_.hold(t); });
}

grpc::Status QueueService::Release(grpc::ServerContext* ctx, const pb::Target* req, pb::ActionReply* reply) {
  return act(ctx, "Release", *req, reply, [&](const queue::Target& t) { return admin_.release(t); });
}

grpc::Status QueueService::Delete(grpc::ServerContext* ctx, const pb::DeleteRequest* req, pb::ActionReply* reply) {
  return act(ctx, "Delete", req->target(), reply, [&](const queue::Target& t) {
    return admin_.remove(t, req->bounce(), [ctx] { return ctx->IsCancelled(); });
  });
}

}  // namespace mail::mta
