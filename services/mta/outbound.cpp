// SPDX-License-Identifier: Apache-2.0
// Outbound delivery coroutines (see outbound.h).
#include "outbound.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>

#include "mail/common/log.h"
#include "mail/net/connect.h"
#include "mail/net/offload.h"
#include "mail/net/tls.h"
#include "mail/pg/exec.h"
#include "mail/queue/dsn.h"

namespace mail::mta {

namespace asio = boost::asio;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

// The message body, chunk by chunk from store.blob_chunks (on the blocking pool).
class BlobBody final : public smtpc::BodySource {
 public:
  BlobBody(pg::Pool& pool, asio::thread_pool& blocking, int64_t blob_id)
      : pool_(pool), blocking_(blocking), blob_id_(blob_id) {}
  net::awaitable<common::Result<std::string>> next() override {
    std::string chunk;
    bool failed = false;
    std::string error;
    co_await net::offload(blocking_, [&] {
      try {
        pool_.with([&](pqxx::connection& c) {
          pqxx::work tx(c);
          auto r = pg::exec(tx, "SELECT data FROM store.blob_chunks WHERE blob_id = $1 AND seq = $2", blob_id_, seq_);
          if (!r.empty()) {
            pqxx::binarystring b(r[0][0]);
            chunk.assign(reinterpret_cast<const char*>(b.data()), b.size());
          }
          tx.commit();
          return 0;
        });
      } catch (const std::exception& e) {
        failed = true;
        error = e.what();
      }
    });
    if (failed) co_return common::Error{common::ErrorCode::unavailable, "reading the message: " + error};
    ++seq_;
    co_return chunk;
  }

 private:
  pg::Pool& pool_;
  asio::thread_pool& blocking_;
  int64_t blob_id_;
  int seq_ = 0;
};

std::string default_code(int reply_code) {
  if (reply_code >= 200 && reply_code < 300) return "2.0.0";
  if (reply_code >= 500) return "5.0.0";
  return "4.0.0";
}

std::vector<queue::RecipientResult> all(const queue::Job& job, queue::Outcome outcome, const std::string& code,
                                        const std::string& detail) {
  std::vector<queue::RecipientResult> out;
  for (const auto& r : job.pending) out.push_back({r.id, outcome, code, detail});
  return out;
}

}  // namespace

Outbound::Outbound(queue::PgQueue& queue, pg::Pool& pool, OutboundOptions options, queue::RedisOptions redis,
                   metrics::Registry& registry)
    : queue_(queue),
      pool_(pool),
      opts_(std::move(options)),
      blocking_(4),
      plain_tls_(net::make_client_tls_context(false)),
      redis_(redis),
      outcomes_(registry.counter_family("mail_mta_outbound_outcomes_total",
                                        "Remote recipients by outcome and the class of the reply that decided it (none: no reply)")),
      connections_(registry.counter_family("mail_mta_outbound_connections_total",
                                           "Outbound SMTP sessions by result (opened, reused, failed)")),
      active_(registry.gauge("mail_mta_outbound_active", "Outbound conversations under way")),
      latency_(registry.histogram("mail_mta_outbound_delivery_latency_seconds",
                                  "From acceptance to the remote server's answer",
                                  {0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 14400, 86400, 432000})) {
  net::ClientTlsOptions v;
  v.ca_file = opts_.ca_file;
  verify_tls_ = std::make_unique<asio::ssl::context>(net::make_client_tls_context(v));
  resolver_ = std::make_unique<dns::Resolver>(io_.get_executor(), opts_.resolver);
  router_ = std::make_unique<Router>(*resolver_, opts_);
}

Outbound::~Outbound() { stop(); }

void Outbound::start() {
  guard_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(io_.get_executor());
  asio::co_spawn(io_, reap_idle(), asio::detached);
  thread_ = std::thread([this] {
    try {
      io_.run();
    } catch (const std::exception& e) {
      log::error("outbound io thread stopped", {{"error", e.what()}});
    }
  });
}

void Outbound::stop() {
  if (!thread_.joinable()) return;
  {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, 30s, [&] { return inflight_ == 0; });
  }
  asio::post(io_, [this] {
    stopping_ = true;
    for (auto& [name, d] : destinations_) d.idle.clear();  // closes the sockets
  });
  guard_.reset();
  io_.stop();
  thread_.join();
  blocking_.join();
}

void Outbound::submit(queue::Job job, std::string owner) {
  {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return inflight_ < opts_.max_connections; });
    ++inflight_;
  }
  asio::co_spawn(io_, deliver(std::move(job), std::move(owner)), [this](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        // The lease lapses and the reconciler announces the leg again.
        log::warn("outbound delivery failed", {{"error", ex.what()}});
      }
    }
    std::lock_guard lk(mu_);
    --inflight_;
    cv_.notify_all();
  });
}

net::awaitable<void> Outbound::keep_lease(int64_t leg_id, std::string owner, std::shared_ptr<bool> done) {
  asio::steady_timer timer(io_);
  const auto every = std::max<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(opts_.lease / 3), 100ms);
  while (!*done) {
    timer.expires_after(every);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(net::use_awaitable, ec));
    if (*done) break;
    bool ok = co_await net::offload(blocking_, [&] {
      try {
        return queue_.renew(leg_id, owner);
      } catch (const std::exception&) {
        return true;  // the database is away: try again at the next tick
      }
    });
    if (!ok) {
      log::warn("outbound lease lost", {{"leg", leg_id}});
      break;
    }
  }
}

net::awaitable<void> Outbound::acquire(const std::string& destination) {
  auto& d = destinations_[destination];
  while (d.active >= opts_.max_per_destination) {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::steady_clock::time_point::max());
    d.waiting.push_back(timer);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
  }
  ++d.active;
}

void Outbound::release(const std::string& destination) {
  auto& d = destinations_[destination];
  if (d.active > 0) --d.active;
  if (!d.waiting.empty()) {
    d.waiting.front()->cancel();
    d.waiting.pop_front();
  }
}

net::awaitable<void> Outbound::reap_idle() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    timer.expires_after(std::max<std::chrono::milliseconds>(opts_.connection_cache_time / 2, 100ms));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(net::use_awaitable, ec));
    const auto now = std::chrono::steady_clock::now();
    for (auto& [name, d] : destinations_) {
      std::vector<Idle> keep;
      std::vector<std::unique_ptr<smtpc::ClientSession>> old;
      for (auto& i : d.idle) {
        if (now - i.since < opts_.connection_cache_time)
          keep.push_back(std::move(i));
        else
          old.push_back(std::move(i.session));
      }
      d.idle = std::move(keep);
      for (auto& s : old) co_await s->quit();
    }
  }
}

asio::ssl::context& Outbound::tls_context(smtpc::TlsPolicy policy) {
  return policy == smtpc::TlsPolicy::verify ? *verify_tls_ : plain_tls_;
}

void Outbound::count(const char* outcome, size_t n) {
  outcomes_.Add({{"outcome", outcome}, {"class", "none"}}).Increment(static_cast<double>(n));
}

net::awaitable<void> Outbound::deliver(queue::Job job, std::string owner) {
  active_.Increment();
  auto done = std::make_shared<bool>(false);
  asio::co_spawn(io_, keep_lease(job.leg_id, owner, done), asio::detached);
  // A destination that keeps failing is backed off as a whole: its legs wait
  // without counting an attempt. Past the queue's maximum age a leg is
  // attempted (and given up) instead.
  auto state = co_await net::offload(blocking_, [&] { return queue_.destination(job.destination); });
  if (state.backoff_until && job.received_at + opts_.max_age > Clock::now()) {
    *done = true;
    const auto when = *state.backoff_until;
    // Database and Redis (blocking hiredis) both on the pool, never on the io thread.
    co_await net::offload(blocking_, [&] {
      queue_.defer(job, owner, when, "destination backed off: " + state.last_error);
      std::lock_guard g(redis_mu_);
      redis_.schedule(job.leg_id, when);
    });
    active_.Decrement();
    co_return;
  }
  co_await acquire(job.destination);
  std::vector<queue::RecipientResult> results;
  try {
    results = co_await attempt(job, state.failures > 0);
  } catch (const std::exception& e) {
    results = all(job, queue::Outcome::tempfail, "4.3.0", std::string("internal error: ") + e.what());
  }
  release(job.destination);
  *done = true;
  co_await net::offload(blocking_, [&] {
    auto fin = queue_.finish(job, owner, results);
    std::lock_guard g(redis_mu_);
    if (fin.next) redis_.schedule(job.leg_id, *fin.next);
    for (int64_t leg : fin.bounce_legs) redis_.announce(leg);
  });
  active_.Decrement();
}

net::awaitable<std::vector<queue::RecipientResult>> Outbound::attempt(const queue::Job& job, bool had_failures) {
  Routes routes = co_await router_->route(job.destination);
  if (routes.hops.empty()) {
    log::warn("no route", {{"queue_id", job.queue_id}, {"destination", job.destination}, {"error", routes.error}});
    count(routes.permanent ? "permfail" : "tempfail", job.pending.size());
    co_return all(job, routes.permanent ? queue::Outcome::permfail : queue::Outcome::tempfail, routes.code,
                  routes.error);
  }
  smtpc::OutboundMessage msg;
  msg.sender = job.sender;
  msg.size = job.size;
  msg.eightbit = true;  // not known without reading the body: declare 8BITMIME when offered
  for (const auto& r : job.pending) msg.recipients.push_back(r.address);

  std::unique_ptr<smtpc::ClientSession> session;
  std::string peer;
  auto& dest = destinations_[job.destination];
  while (!dest.idle.empty() && !session) {
    auto idle = std::move(dest.idle.back());
    dest.idle.pop_back();
    if (idle.session->usable()) {
      session = std::move(idle.session);
      connections_.Add({{"result", "reused"}}).Increment();
    }
  }
  std::string last_error;
  bool last_permanent = false;
  std::string last_code = "4.4.1";
  for (size_t i = 0; !session && i < routes.hops.size(); ++i) {
    const Hop& hop = routes.hops[i];
    net::ConnectOptions co;
    co.host = hop.address;
    co.port = hop.port;
    co.source_address = opts_.source_address;
    co.connect_timeout = opts_.connect_timeout;
    auto conn = co_await net::connect(co);
    if (!conn) {
      last_error = "connect to " + hop.label() + ": " + conn.error().message;
      last_permanent = false;
      last_code = "4.4.1";
      connections_.Add({{"result", "failed"}}).Increment();
      log::info("outbound connect failed", {{"queue_id", job.queue_id}, {"error", last_error}});
      continue;
    }
    smtpc::ClientOptions o = opts_.client;
    o.tls = hop.tls;
    o.tls_ctx = &tls_context(hop.tls);
    o.tls_server_name = hop.host;
    o.auth = hop.auth;
    auto opened = co_await smtpc::ClientSession::open(*conn, o);
    if (auto* err = std::get_if<smtpc::SessionError>(&opened)) {
      last_error = hop.label() + " " + err->stage + ": " + err->text;
      last_permanent = err->permanent;
      last_code = !err->enhanced.empty() ? err->enhanced : (err->permanent ? "5.0.0" : "4.0.0");
      connections_.Add({{"result", "failed"}}).Increment();
      log::info("outbound session failed", {{"queue_id", job.queue_id}, {"error", last_error}});
      continue;
    }
    session = std::move(std::get<std::unique_ptr<smtpc::ClientSession>>(opened));
    connections_.Add({{"result", "opened"}}).Increment();
  }
  if (!session) {
    co_await net::offload(blocking_, [&] { queue_.record_destination(job.destination, false, last_error); });
    count(last_permanent ? "permfail" : "tempfail", job.pending.size());
    co_return all(job, last_permanent ? queue::Outcome::permfail : queue::Outcome::tempfail, last_code, last_error);
  }
  // Reached: a record of failures is cleared (no write when there is none).
  if (had_failures) co_await net::offload(blocking_, [&] { queue_.record_destination(job.destination, true, ""); });
  peer = session->peer();
  BlobBody body(pool_, blocking_, job.blob_id);
  auto outcomes = co_await session->send(msg, body);
  std::vector<queue::RecipientResult> out;
  const double age = std::chrono::duration<double>(Clock::now() - job.received_at).count();
  for (size_t i = 0; i < job.pending.size(); ++i) {
    queue::RecipientResult res{job.pending[i].id, queue::Outcome::tempfail, "4.4.2", "no reply for this recipient"};
    if (i < outcomes.size()) {
      const auto& oc = outcomes[i];
      res.outcome = oc.kind == smtpc::RecipientOutcome::Kind::delivered  ? queue::Outcome::delivered
                    : oc.kind == smtpc::RecipientOutcome::Kind::permfail ? queue::Outcome::permfail
                                                                        : queue::Outcome::tempfail;
      res.code = !oc.enhanced.empty() ? oc.enhanced : default_code(oc.code);
      res.detail = oc.code != 0 ? queue::remote_reply_detail(peer, oc.text) : peer + ": " + oc.text;
    }
    const char* name = res.outcome == queue::Outcome::delivered  ? "delivered"
                       : res.outcome == queue::Outcome::permfail ? "permfail"
                                                                 : "tempfail";
    const int code = i < outcomes.size() ? outcomes[i].code : 0;
    outcomes_.Add({{"outcome", name}, {"class", code >= 200 && code < 600 ? std::to_string(code / 100) + "xx" : "none"}})
        .Increment();
    if (res.outcome == queue::Outcome::delivered) latency_.Observe(age);
    log::info("outbound", {{"queue_id", job.queue_id}, {"to", job.pending[i].address}, {"relay", peer},
                           {"status", name}, {"detail", res.detail}});
    out.push_back(std::move(res));
  }
  if (session->usable() && !stopping_) {
    destinations_[job.destination].idle.push_back(Idle{std::move(session), std::chrono::steady_clock::now()});
  } else {
    co_await session->quit();
  }
  co_return out;
}

}  // namespace mail::mta
