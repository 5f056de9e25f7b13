// SPDX-License-Identifier: Apache-2.0
// DATA for the SMTP session: read the message through smtp::DataDecoder, add
// the trace and submission fields, hand it to the mta, and answer 250 only
// after the mta committed it.
//
// The whole message is held in memory (at most smtp.max_message_size per
// session in DATA) and streamed to the mta only once it is complete and
// valid: the mta then holds a database connection for milliseconds, not for
// as long as a slow client takes to send, and a refused message (bare LF,
// too big) never reaches the queue at all.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>

#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/net/offload.h"
#include "mail/smtp/data.h"
#include "rewrite.h"
#include "session.h"

namespace mail::msa {

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

  std::string message;
  smtp::DataError error = smtp::DataError::kNone;
  conn().set_timeout(settings_.data_timeout);
  bool complete = co_await read_message(message, error);
  conn().set_timeout(settings_.command_timeout);
  if (!complete) co_return;

  if (error != smtp::DataError::kNone) {
    refuse_transaction(smtp::data_error_name(error), smtp::data_error_reply(error, settings_.limits));
    reset_transaction();
    co_return;
  }
  co_await submit(std::move(message));
  reset_transaction();
}

// Feeds the decoder until the terminating CRLF.CRLF. False when the
// connection ended or timed out first (the session is then closing).
net::awaitable<bool> Session::read_message(std::string& message, smtp::DataError& error) {
  smtp::DataDecoder decoder(settings_.limits);
  net::Status st = co_await read_stream(decoder);
  if (st != net::Status::ok) {
    if (st == net::Status::timeout) {
      log::info("timeout in DATA", {{"session", session_id_}, {"client", conn().peer_ip()}});
    } else {
      log::info("lost connection in DATA", {{"session", session_id_}, {"client", conn().peer_ip()}});
    }
    co_return false;
  }
  error = decoder.error();
  // The decoder keeps the decoded message in one buffer; take it whole
  // rather than copying it piece by piece.
  if (error == smtp::DataError::kNone) message = decoder.take_output();
  co_return true;
}

net::awaitable<void> Session::submit(std::string message) {
  const std::string id = new_transaction_id();
  const bool submission = authenticated_ || listener_ != Listener::kMx;
  const std::time_t now = std::time(nullptr);

  TraceInfo trace;
  trace.helo = helo_;
  trace.client_name = client_name_;
  trace.client_ip = conn().peer_ip();
  trace.hostname = settings_.hostname;
  trace.protocol = protocol();
  trace.id = id;
  if (conn().tls()) {
    trace.tls_version = conn().tls_protocol();
    trace.tls_cipher = conn().tls_cipher();
    trace.tls_bits = conn().tls_cipher_bits();
  }
  if (txn_.recipients.size() == 1) trace.for_recipient = txn_.recipients.front();
  trace.time = now;

  RewriteOptions opts;
  opts.submission = submission;
  opts.now = now;
  opts.max_received = settings_.max_received;
  opts.message_id = "<" + common::random_hex(12) + "." + id + "@" + settings_.hostname + ">";
  auto rewritten = rewrite_message(message, trace, opts);
  if (auto* err = std::get_if<RewriteError>(&rewritten)) {
    if (err->too_many_hops)
      refuse_transaction("loop", {554, "5.4.6", "Too many hops: mail loop detected"});
    else
      refuse_transaction("header_limits", {552, "5.3.4", "Message header section too large"});
    co_return;
  }
  const Rewritten& rw = std::get<Rewritten>(rewritten);
  std::string_view body = std::string_view(message).substr(rw.body_offset);
  const uint64_t size = rw.head.size() + body.size();

  mail::transfer::v1::Envelope env;
  env.set_sender(txn_.sender);
  for (const auto& r : txn_.recipients) env.add_recipients(r);
  env.set_helo(helo_);
  env.set_client_ip(conn().peer_ip());
  env.set_auth_user(auth_user_);
  env.set_protocol(trace.protocol);
  env.set_size_hint(size);
  env.set_body_8bitmime(txn_.body_8bitmime);
  // Unique per transaction: lets a later retry of the same Submit return
  // the first queue id instead of queueing a second copy.
  env.set_idempotency_key(settings_.hostname + "/" + id);

  const auto started = std::chrono::steady_clock::now();
  SubmitResult result = co_await submit_with_retry(env, rw.head, body, started + settings_.mta_retry_window);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  smtp::Reply r = submit_reply(result.code, result.queue_id);
  if (result.code != grpc::StatusCode::OK) {
    ctx_.metrics.submit_failed(seconds);
    log::warn("mta submit failed",
              {{"session", session_id_}, {"id", id}, {"code", static_cast<int>(result.code)}, {"error", result.error}});
    refuse_transaction(submit_result_name(result.code), r);
    co_return;
  }
  ctx_.metrics.accepted(listener_, size, seconds);
  log::info("accepted", {{"session", session_id_},
                         {"id", id},
                         {"queue_id", result.queue_id},
                         {"from", txn_.sender.empty() ? "<>" : txn_.sender},
                         {"nrcpt", txn_.recipients.size()},
                         {"size", size},
                         {"client", conn().peer_ip()},
                         {"auth_user", auth_user_},
                         {"protocol", trace.protocol},
                         {"seconds", seconds}});
  reply(r);
}

// Transfer.Submit, retried while the mta is UNAVAILABLE (or the call was
// CANCELLED because the mta died under it) and `give_up` has not passed.
// Either the mta kept nothing, or it committed just before dying and the
// idempotency key makes the retry return that queue id; so a restart of the
// mta costs the client a slower reply, not a 451, and never a second copy.
net::awaitable<SubmitResult> Session::submit_with_retry(const mail::transfer::v1::Envelope& env, std::string_view head,
                                                        std::string_view body,
                                                        std::chrono::steady_clock::time_point give_up) {
  for (int attempt = 1;; ++attempt) {
    SubmitResult r =
        co_await net::offload(ctx_.blocking, [this, &env, head, body] { return ctx_.mta.submit(env, head, body); });
    const bool retry = r.code == grpc::StatusCode::UNAVAILABLE || r.code == grpc::StatusCode::CANCELLED;
    if (!retry || std::chrono::steady_clock::now() >= give_up) co_return r;
    log::info("mta unavailable, waiting",
              {{"session", session_id_}, {"id", env.idempotency_key()}, {"attempt", attempt}});
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
