// SPDX-License-Identifier: Apache-2.0
// wire.cpp: one reply read, one write, and their failures in words (see
// wire.h). Trusts nothing from the server; every wait has a deadline.
#include "wire.h"

namespace mail::smtp::client::detail {

using std::chrono::steady_clock;

net::awaitable<ReplyOrError> Wire::read_reply(std::chrono::milliseconds timeout) {
  const steady_clock::time_point until = steady_clock::now() + timeout;
  for (;;) {
    std::string_view in = conn_.buffered();
    const size_t before = in.size();
    ReplyStep step = parser_.parse(in);
    conn_.consume(before - in.size());
    if (auto* reply = std::get_if<ServerReply>(&step)) co_return std::move(*reply);
    if (auto* error = std::get_if<ReplyError>(&step))
      co_return WireError{WireError::Kind::bad_reply, std::string(reply_error_name(*error))};
    // NeedMore: the parser holds everything that was buffered.
    const steady_clock::duration left = until - steady_clock::now();
    if (left <= steady_clock::duration::zero()) co_return WireError{WireError::Kind::read_timeout, {}};
    conn_.set_timeout(left);
    const net::Status status = co_await conn_.fill();
    switch (status) {
      case net::Status::ok:
        break;
      case net::Status::timeout:
        co_return WireError{WireError::Kind::read_timeout, {}};
      case net::Status::eof:
        co_return WireError{WireError::Kind::closed, {}};
      case net::Status::too_long:  // cannot happen: the parser took all that was buffered
      case net::Status::error:
        co_return WireError{WireError::Kind::read_failed, "read error"};
    }
  }
}

net::awaitable<std::optional<WireError>> Wire::write(std::string_view data, std::chrono::milliseconds timeout) {
  conn_.set_timeout(timeout);
  const steady_clock::duration allowed = conn_.effective_timeout();
  const steady_clock::time_point start = steady_clock::now();
  const bool ok = co_await conn_.write(data);
  if (ok) co_return std::nullopt;
  // Connection::write says only "not written"; the clock tells a timeout apart.
  const bool timed_out = steady_clock::now() - start >= allowed;
  co_return WireError{timed_out ? WireError::Kind::write_timeout : WireError::Kind::write_failed, {}};
}

net::awaitable<ReplyOrError> Wire::command(std::string_view line, std::chrono::milliseconds timeout) {
  std::optional<WireError> failed = co_await write(line, timeout);
  if (failed) co_return std::move(*failed);
  ReplyOrError reply = co_await read_reply(timeout);
  co_return reply;
}

std::string describe(const WireError& e, std::string_view what) {
  const std::string w(what);
  switch (e.kind) {
    case WireError::Kind::read_timeout:
      return "timeout waiting for reply to " + w;
    case WireError::Kind::closed:
      return "connection lost after " + w + ": the server closed the connection";
    case WireError::Kind::read_failed:
      return "connection lost after " + w + ": " + (e.detail.empty() ? std::string("read error") : e.detail);
    case WireError::Kind::bad_reply:
      return "bad reply to " + w + ": " + e.detail;
    case WireError::Kind::write_timeout:
      return "timeout sending " + w;
    case WireError::Kind::write_failed:
      return "connection lost while sending " + w;
  }
  return "failure around " + w;
}

std::string local_enhanced(const WireError& e) { return e.kind == WireError::Kind::bad_reply ? "4.5.0" : "4.4.2"; }

std::string enhanced_or_default(const ServerReply& reply) {
  if (!reply.enhanced().empty()) return reply.enhanced();
  return std::to_string(reply.code / 100) + ".0.0";
}

RecipientOutcome outcome_from(const ServerReply& reply) {
  RecipientOutcome o;
  o.kind = reply.permanent()   ? RecipientOutcome::Kind::permfail
           : reply.transient() ? RecipientOutcome::Kind::tempfail
                               : RecipientOutcome::Kind::delivered;
  o.code = reply.code;
  o.enhanced = enhanced_or_default(reply);
  o.text = reply.summary();
  return o;
}

RecipientOutcome local_tempfail(std::string enhanced, std::string text) {
  return RecipientOutcome{RecipientOutcome::Kind::tempfail, 0, std::move(enhanced), std::move(text)};
}

SessionError session_error(const WireError& e, std::string_view what, const char* stage) {
  return SessionError{false, 0, local_enhanced(e), describe(e, what), stage};
}

SessionError session_error(const ServerReply& reply, std::string_view words, const char* stage, bool permanent) {
  return SessionError{permanent, reply.code, enhanced_or_default(reply), std::string(words) + ": " + reply.summary(),
                      stage};
}

SessionError session_error(std::string enhanced, std::string text, const char* stage) {
  return SessionError{false, 0, std::move(enhanced), std::move(text), stage};
}

}  // namespace mail::smtp::client::detail
