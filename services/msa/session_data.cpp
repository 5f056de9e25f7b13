// SPDX-License-Identifier: Apache-2.0
// DATA for the SMTP session: read the message through smtp::DataDecoder, add
// the trace and submission fields, forward it to the mta as it arrives, and
// answer 250 only after the mta's one commit.
//
// Memory: a session holds its header section until it is complete (bounded
// by the header limits), then at most one chunk (mta.chunk_size): each full
// chunk goes to the mta's staging blob (Transfer.Append, one short call)
// before more is read from the client. Every byte held is reserved from the
// process-wide DataBudget first. When the budget is spent, the session sends
// what it holds as a short chunk, then waits (a timer, no thread) up to
// smtp.data_timeout, then stops buffering and answers 451 4.3.1 at the end
// of data: slow or many clients cannot make the msa hold their messages.
// A client that waits for nothing (reads stop) simply stops being read: TCP
// flow control makes it wait instead.
//
// Threads: each mta call is short and runs on the blocking pool
// (net::offload); between calls, while the client is slow, nothing is held
// but the session's buffer. A message that fits in its first chunk (most
// mail) goes in one Transfer.Submit as before.
//
// The promise: 250 only after Submit or Commit returned OK (the mta's one
// commit of body, job and recipients). Anything else (the client gone, a
// bad line, too big, a looping header, the mta failing) answers 4xx/5xx as
// before and leaves at most a staging blob, which is discarded here (best
// effort) or swept by the mta.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/mime/header.h"
#include "mail/net/clock.h"
#include "mail/net/offload.h"
#include "mail/smtp/data.h"
#include "policy.h"
#include "rewrite.h"
#include "session.h"

namespace mail::msa {

namespace {

}  // namespace

/// One DATA in progress.
struct Session::Incoming {
  Incoming(DataBudget& budget, const smtp::Limits& limits) : share(budget), decoder(limits) {}

  BudgetShare share;          ///< what `buf` may hold
  smtp::DataDecoder decoder;  ///< wire bytes -> message bytes (CRLF.CRLF, no smuggling)
  /// Before header_done: the message as decoded so far. After: the
  /// rewritten message bytes not yet sent to the mta.
  std::string buf;
  bool header_done = false;
  bool paused = false;  ///< buf is full: make room before reading more

  /// Set when the transaction is already refused (answered at end of data);
  /// the rest of the DATA is then read and dropped.
  std::optional<smtp::Reply> refusal;
  std::string refusal_reason;

  std::string staging_id;  ///< empty: nothing sent to the mta yet
  uint64_t sent = 0;       ///< bytes the staging blob holds

  std::string id;  ///< transaction id (logs, Received, idempotency key)
  TraceInfo trace;
  RewriteOptions rewrite;
};

net::awaitable<void> Session::do_data(const smtp::Command&) {
  if (txn_.recipients.empty()) {
    if (txn_.rcpt_refused == 0) {
      reply(503, "5.5.1", "Error: need RCPT command");
      co_return;
    }
    reply(554, "5.5.1", "No valid recipients");
    co_return;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  bool flushed = co_await flush();
  if (!flushed) co_return;

  Incoming in(ctx_.budget, settings_.limits);
  in.id = new_transaction_id();
  const std::time_t now = std::time(nullptr);
  in.trace.helo = helo_;
  in.trace.client_name = client_name_;
  in.trace.client_ip = conn().peer_ip();
  in.trace.hostname = settings_.hostname;
  in.trace.protocol = protocol();
  in.trace.id = in.id;
  if (conn().tls()) {
    in.trace.tls_version = conn().tls_protocol();
    in.trace.tls_cipher = conn().tls_cipher();
    in.trace.tls_bits = conn().tls_cipher_bits();
  }
  if (txn_.recipients.size() == 1) in.trace.for_recipient = txn_.recipients.front();
  in.trace.time = now;
  in.rewrite.submission = authenticated_ || listener_ != Listener::kMx;
  in.rewrite.now = now;
  in.rewrite.max_received = settings_.max_received;
  in.rewrite.message_id = "<" + common::random_hex(12) + "." + in.id + "@" + settings_.hostname + ">";

  conn().set_timeout(settings_.data_timeout);
  bool complete = co_await read_message(in);
  conn().set_timeout(settings_.command_timeout);
  if (!complete) {
    co_await discard_staging(in);
    co_return;
  }
  if (in.decoder.error() != smtp::DataError::kNone) {
    co_await discard_staging(in);
    refuse_transaction(smtp::data_error_name(in.decoder.error()),
                       smtp::data_error_reply(in.decoder.error(), settings_.limits));
    reset_transaction();
    co_return;
  }
  if (!in.refusal && !in.header_done) rewrite_header(in, true);
  if (in.refusal) {
    co_await discard_staging(in);
    refuse_transaction(in.refusal_reason, *in.refusal);
    reset_transaction();
    co_return;
  }
  co_await submit(in);
  reset_transaction();
}

// Feeds the decoder until the terminating CRLF.CRLF, making room (sending
// chunks, reserving budget) whenever the buffer is full. False when the
// connection ended or timed out first (the session is then closing).
net::awaitable<bool> Session::read_message(Incoming& in) {
  // The decoder adapter read_stream() drives: feeds only as much as `buf`
  // may grow by (decoded bytes never outnumber the wire bytes that made
  // them), and says "done" when buf is full so that room is made first.
  struct Adapter {
    Incoming& in;
    size_t feed(std::string_view bytes) {
      size_t used = 0;
      while (used < bytes.size() && !in.decoder.done()) {
        std::string_view rest = bytes.substr(used);
        if (in.refusal || in.decoder.error() != smtp::DataError::kNone) {
          // Refused either way: read on to the end of data, keep nothing.
          used += in.decoder.feed(rest);
          (void)in.decoder.take_output();
          continue;
        }
        const size_t room = in.share.held() > in.buf.size() ? in.share.held() - in.buf.size() : 0;
        if (room == 0) {
          in.paused = true;
          break;
        }
        used += in.decoder.feed(rest.substr(0, room));
        in.buf += in.decoder.take_output();
      }
      return used;
    }
    bool done() const { return in.decoder.done() || in.paused; }
  } adapter{in};

  co_await make_room(in);
  while (true) {
    net::Status st = co_await read_stream(adapter);
    if (st != net::Status::ok) {
      if (st == net::Status::timeout) {
        log::info("timeout in DATA", {{"session", session_id_}, {"client", conn().peer_ip()}});
      } else {
        log::info("lost connection in DATA", {{"session", session_id_}, {"client", conn().peer_ip()}});
      }
      co_return false;
    }
    if (in.decoder.done()) co_return true;
    in.paused = false;
    co_await make_room(in);
  }
}

// Before reading more: finish the header if it is complete, send every
// full chunk, and reserve room for the next bytes.
net::awaitable<void> Session::make_room(Incoming& in) {
  if (in.refusal) co_return;
  if (in.decoder.error() != smtp::DataError::kNone) {
    // Refused at the end of data with the decoder's reply: stop sending,
    // let go of what is held (the feeder keeps nothing from here on).
    std::string().swap(in.buf);
    in.share.release_all();
    co_return;
  }
  if (!in.header_done) rewrite_header(in, false);
  if (in.refusal) co_return;
  const size_t chunk = ctx_.mta.chunk_size();
  if (in.header_done) {
    while (in.buf.size() >= chunk) {
      const bool sent = co_await send_chunk(in, chunk);
      if (!sent) co_return;
    }
    in.share.shrink_to(in.buf.size());
  }
  // While the header section is incomplete it grows a chunk at a time (up
  // to the header limit, see rewrite_header); then one chunk is the most.
  const size_t want = in.header_done ? chunk : in.buf.size() + chunk;
  if (in.share.grow_to(want)) co_return;

  // The budget is spent. Send what we hold (a short chunk) so that it does
  // not count, then wait for others to do the same, bounded by the DATA timeout.
  if (in.header_done && !in.buf.empty()) {
    const bool sent = co_await send_chunk(in, in.buf.size());
    if (!sent) co_return;
    in.share.shrink_to(0);
  }
  ctx_.metrics.budget_wait();
  const size_t least = in.buf.size() + std::min<size_t>(4096, want - in.buf.size());
  const auto until = net::Clock::now() + settings_.data_timeout;
  // Woken by every release of budget; registered before the next try, so
  // that a release in between is not missed (wake() is kept until waited).
  const uint64_t waiter = ctx_.budget.add_waiter([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->wake();
  });
  bool got = false;
  while (!got) {
    got = in.share.grow_to(want) || in.share.grow_to(least);
    const auto now = net::Clock::now();
    if (got || now >= until) break;
    co_await wait_wake(until - now);
  }
  ctx_.budget.remove_waiter(waiter);
  if (got) co_return;
  log::warn("DATA memory budget spent", {{"session", session_id_}, {"client", conn().peer_ip()},
                                         {"budget", ctx_.budget.limit()}, {"in_use", ctx_.budget.used()}});
  stop_buffering(in, "data_budget", {451, "4.3.1", "Insufficient system resources, please try again later"});
}

// The header section is complete (or can no longer be): apply the msa's
// changes (rewrite.h). Same result as on the whole message: the rewrite
// reads only the header section.
void Session::rewrite_header(Incoming& in, bool at_end) {
  if (!at_end && !mime::find_header_end(in.buf) && in.buf.size() <= in.rewrite.header_limits.max_header_bytes)
    return;  // read more first
  auto rewritten = rewrite_message(in.buf, in.trace, in.rewrite);
  if (auto* err = std::get_if<RewriteError>(&rewritten)) {
    if (err->too_many_hops)
      stop_buffering(in, "loop", {554, "5.4.6", "Too many hops: mail loop detected"});
    else
      stop_buffering(in, "header_limits", {552, "5.3.4", "Message header section too large"});
    return;
  }
  const Rewritten& rw = std::get<Rewritten>(rewritten);
  in.buf = rw.head + in.buf.substr(rw.body_offset);
  in.header_done = true;
  in.share.force_to(in.buf.size());  // our own fields, on top of what was reserved
}

// Sends the first n bytes of buf to the mta's staging blob (opening it on the
// first chunk). On failure the transaction is refused as Submit would be.
net::awaitable<bool> Session::send_chunk(Incoming& in, size_t n) {
  if (in.staging_id.empty()) {
    const uint64_t hint = txn_.size.value_or(0);
    SubmitResult r = co_await with_mta_retry("stage", [this, hint] { return ctx_.mta.stage(hint); });
    if (r.code != grpc::StatusCode::OK) {
      log::warn("mta stage failed", {{"session", session_id_}, {"id", in.id}, {"code", static_cast<int>(r.code)},
                                     {"error", r.error}});
      stop_buffering(in, submit_result_name(r.code), submit_reply(r.code, ""));
      co_return false;
    }
    in.staging_id = r.id;
  }
  std::string_view chunk = std::string_view(in.buf).substr(0, n);
  const uint64_t offset = in.sent;
  SubmitResult r = co_await with_mta_retry(
      "append", [this, &in, offset, chunk] { return ctx_.mta.append(in.staging_id, offset, chunk); });
  if (r.code != grpc::StatusCode::OK) {
    log::warn("mta append failed", {{"session", session_id_}, {"id", in.id}, {"code", static_cast<int>(r.code)},
                                    {"error", r.error}});
    stop_buffering(in, submit_result_name(r.code), submit_reply(r.code, ""));
    co_return false;
  }
  in.sent += n;
  in.buf.erase(0, n);
  ctx_.metrics.staged(n);
  co_return true;
}

// The transaction is refused (answered at end of data); drop what is held.
void Session::stop_buffering(Incoming& in, std::string_view reason, const smtp::Reply& r) {
  if (!in.refusal) {
    in.refusal = r;
    in.refusal_reason = std::string(reason);
  }
  std::string().swap(in.buf);
  in.share.release_all();
}

net::awaitable<void> Session::discard_staging(Incoming& in) {
  std::string().swap(in.buf);
  in.share.release_all();
  if (in.staging_id.empty()) co_return;
  std::string id = std::exchange(in.staging_id, {});
  co_await net::offload(ctx_.blocking, [this, &id] { ctx_.mta.discard(id); });
}

// The end of data of a good message: Submit it whole, or Commit the staged
// one with its last bytes.
net::awaitable<void> Session::submit(Incoming& in) {
  const uint64_t size = in.sent + in.buf.size();
  mail::transfer::v1::Envelope env;
  env.set_sender(txn_.sender);
  for (const auto& r : txn_.recipients) env.add_recipients(r);
  env.set_helo(helo_);
  env.set_client_ip(conn().peer_ip());
  env.set_auth_user(auth_user_);
  env.set_protocol(in.trace.protocol);
  env.set_size_hint(size);
  env.set_body_8bitmime(txn_.body_8bitmime);
  // Unique per transaction: lets a later retry of the same Submit or Commit
  // return the first queue id instead of queueing a second copy.
  env.set_idempotency_key(settings_.hostname + "/" + in.id);

  const auto started = std::chrono::steady_clock::now();
  SubmitResult result;
  if (in.staging_id.empty()) {
    std::string_view whole = in.buf;
    result = co_await with_mta_retry("submit", [this, &env, whole] { return ctx_.mta.submit(env, whole, {}); });
  } else {
    std::string_view last = in.buf;
    const uint64_t offset = in.sent;
    result = co_await with_mta_retry(
        "commit", [this, &in, &env, offset, last] { return ctx_.mta.commit(in.staging_id, env, offset, last); });
    if (result.code == grpc::StatusCode::OK) {
      ctx_.metrics.staged(last.size());
      in.staging_id.clear();  // it is the job's body now
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  smtp::Reply r = submit_reply(result.code, result.queue_id);
  if (result.code != grpc::StatusCode::OK) {
    ctx_.metrics.submit_failed(seconds);
    log::warn("mta submit failed", {{"session", session_id_}, {"id", in.id}, {"code", static_cast<int>(result.code)},
                                    {"error", result.error}});
    co_await discard_staging(in);
    refuse_transaction(submit_result_name(result.code), r);
    co_return;
  }
  std::string().swap(in.buf);
  in.share.release_all();
  ctx_.metrics.accepted(listener_, size, seconds);
  log::info("accepted", {{"session", session_id_},
                         {"id", in.id},
                         {"queue_id", result.queue_id},
                         {"from", txn_.sender.empty() ? "<>" : txn_.sender},
                         {"nrcpt", txn_.recipients.size()},
                         {"size", size},
                         {"client", conn().peer_ip()},
                         {"auth_user", auth_user_},
                         {"protocol", in.trace.protocol},
                         {"seconds", seconds}});
  reply(r);
}

// One mta call on the blocking pool, retried while the mta is UNAVAILABLE
// (or the call was CANCELLED because the mta died under it) for up to
// mta.retry_window. Every call is safe to repeat: Stage leaves at most an
// unused staging blob, Append is idempotent by offset, and Submit and Commit
// carry the idempotency key, so a retry after a commit whose answer was lost
// returns that queue id. A restart of the mta costs the client a slower
// reply, not a 451, and never a second copy.
template <class Call>
net::awaitable<SubmitResult> Session::with_mta_retry(const char* what, Call call) {
  const auto give_up = std::chrono::steady_clock::now() + settings_.mta_retry_window;
  for (int attempt = 1;; ++attempt) {
    SubmitResult r = co_await net::offload(ctx_.blocking, call);
    const bool retry = r.code == grpc::StatusCode::UNAVAILABLE || r.code == grpc::StatusCode::CANCELLED;
    if (!retry || std::chrono::steady_clock::now() >= give_up) co_return r;
    log::info("mta unavailable, waiting", {{"session", session_id_}, {"call", what}, {"attempt", attempt}});
    co_await wait_for_mta(give_up);
  }
}

// Polls the channel (no thread is held while waiting) until it is connected
// again or `until` has passed.
net::awaitable<void> Session::wait_for_mta(std::chrono::steady_clock::time_point until) {
  while (std::chrono::steady_clock::now() < until) {
    net::asio::steady_timer timer(conn().get_executor(), std::chrono::milliseconds(100));
    boost::system::error_code ec;
    co_await timer.async_wait(net::asio::redirect_error(net::use_awaitable, ec));
    if (ctx_.mta.connected()) break;
  }
}

}  // namespace mail::msa
