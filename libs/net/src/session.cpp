// SPDX-License-Identifier: Apache-2.0
// session.cpp: the shared session loop (see session.h). Everything here runs
// on the session's strand except SessionRegistry, which is under a mutex, and
// the entry points request_drain() and wake(), which post to the strand.
#include "mail/net/session.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <vector>

#include "mail/common/log.h"

namespace mail::net {

// ---- registry ----------------------------------------------------------------

uint64_t SessionRegistry::add(std::weak_ptr<Session> session) {
  std::lock_guard lock(mu_);
  uint64_t id = ++next_id_;
  sessions_.emplace(id, std::move(session));
  return id;
}

void SessionRegistry::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

void SessionRegistry::drain() {
  draining_ = true;
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, weak] : sessions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->request_drain();
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

// ---- session -----------------------------------------------------------------

Session::Session(Connection& conn, SessionRegistry& registry, SessionOptions options)
    : conn_(conn), registry_(registry), options_(options) {}

Session::~Session() = default;

void Session::request_drain() {
  asio::post(conn_.get_executor(), [self = shared_from_this()] { self->on_drain(); });
}

void Session::wake() {
  asio::post(conn_.get_executor(), [self = shared_from_this()] {
    self->woken_ = true;
    if (self->waiting_) self->waiting_->cancel();
    if (self->waiting_input_) self->conn_.cancel_wait();
  });
}

void Session::on_drain() {
  drain_requested_ = true;
  if (waiting_) waiting_->cancel();
  if (waiting_input_) conn_.cancel_wait();
  if (!at_prompt_ || busy() || closing_) return;  // the loop says goodbye when the command is done
  // Suspended at the prompt with nothing in progress: say goodbye now. The
  // pending read fails once the connection closes after the goodbye, and the
  // loop ends.
  closing_ = true;
  std::string bye = std::move(out_);
  out_.clear();
  bye += drain_goodbye();
  auto conn = conn_.shared_from_this();
  asio::co_spawn(
      conn->get_executor(),
      [conn, bye = std::move(bye)]() -> awaitable<void> {
        co_await conn->write(bye);
        conn->close();
      },
      asio::detached);
}

awaitable<void> Session::run() {
  registry_id_ = registry_.add(weak_from_this());
  struct Leave {
    Session* s;
    ~Leave() { s->registry_.remove(s->registry_id_); }
  } leave{this};

  const size_t need = options_.max_line + 2;
  if (conn_.max_buffer() < need) conn_.set_max_buffer(need);
  if (registry_.draining()) drain_requested_ = true;
  try {
    conn_.set_timeout(options_.command_timeout);
    co_await start();
    co_await loop();
    const bool unsent = !out_.empty() && conn_.is_open();
    if (unsent) co_await flush();
  } catch (const std::exception& e) {
    // A bug, not peer input: end this session only; finish() still runs.
    log::error("session failed", {{"client", conn_.peer_ip()}, {"error", e.what()}});
  }
  co_await finish();
  if (conn_.is_open()) co_await conn_.shutdown();
}

awaitable<void> Session::loop() {
  while (!closing_) {
    if (drain_requested_ && !busy()) {
      send(drain_goodbye());
      closing_ = true;
      break;
    }
    if (!out_.empty() && (!line_pending() || out_.size() >= options_.flush_at)) {
      bool written = co_await flush();
      if (!written) co_return;
    }
    std::string frame;
    bool got = co_await read_frame(frame);
    if (!got) continue;
    conn_.set_timeout(options_.command_timeout);
    co_await on_frame(std::move(frame));
  }
}

awaitable<bool> Session::read_frame(std::string& frame) {
  conn_.set_timeout(options_.idle_timeout);
  at_prompt_ = true;
  ReadResult r = co_await conn_.read_line(options_.max_line);
  at_prompt_ = false;
  if (closing_) co_return false;  // drained while waiting; the goodbye is on its way
  switch (r.status) {
    case Status::ok: break;
    case Status::too_long: on_line_too_long(); co_return false;
    case Status::timeout:
      send(idle_goodbye());
      closing_ = true;
      co_return false;
    case Status::eof:
    case Status::error:
      on_disconnect(r.status);
      out_.clear();
      closing_ = true;
      co_return false;
  }
  frame = std::move(r.line);
  const size_t max_frame = options_.max_frame ? options_.max_frame : options_.max_line;
  size_t line_start = 0;
  while (true) {
    FrameParse p = parse_frame(std::string_view(frame).substr(line_start));
    if (p.kind == FrameParse::kComplete) co_return true;
    if (p.literal > max_frame || frame.size() + 2 + p.literal > max_frame) {
      on_frame_too_long();
      if (!p.synchronizing) closing_ = true;  // its octets are on their way
      co_return false;
    }
    conn_.set_timeout(options_.command_timeout);
    if (p.synchronizing) {
      send(continuation());
      bool written = co_await flush();
      if (!written) co_return false;
    }
    frame += "\r\n";
    Status st = co_await read_exact(p.literal, frame);
    if (st != Status::ok) co_return false;
    line_start = frame.size();
    r = co_await conn_.read_line(options_.max_line);
    if (r.status == Status::too_long) {
      on_line_too_long();
      co_return false;
    }
    if (!r.ok()) {
      read_failed(r.status);
      co_return false;
    }
    frame += r.line;
  }
}

void Session::send_error(std::string wire) {
  if (++errors_ >= options_.max_errors && !closing_) {
    out_ += errors_goodbye(std::move(wire));
    closing_ = true;
    return;
  }
  out_ += wire;
}

awaitable<bool> Session::flush() {
  if (out_.empty()) co_return conn_.is_open();
  std::string data = std::move(out_);
  out_.clear();
  bool written = co_await conn_.write(data);
  if (!written) closing_ = true;
  co_return written;
}

void Session::read_failed(Status st) {
  out_.clear();
  if (st == Status::timeout) out_ += timeout_goodbye();
  closing_ = true;
}

awaitable<ReadResult> Session::read_line(size_t max_len) {
  if (!out_.empty()) {
    bool written = co_await flush();
    if (!written) co_return ReadResult{Status::error, {}};
  }
  conn_.set_timeout(options_.command_timeout);
  ReadResult r = co_await conn_.read_line(max_len);
  if (r.status != Status::ok && r.status != Status::too_long) read_failed(r.status);
  co_return r;
}

awaitable<Status> Session::read_exact(size_t n, std::string& out) {
  while (n > 0) {
    std::string_view got = conn_.buffered();
    if (!got.empty()) {
      size_t take = got.size() < n ? got.size() : n;
      out.append(got.data(), take);
      conn_.consume(take);
      n -= take;
      continue;
    }
    Status st = co_await conn_.fill();
    if (st != Status::ok) {
      read_failed(st);
      co_return st;
    }
  }
  co_return Status::ok;
}

awaitable<Session::Waited> Session::wait_input_or_wake(Duration max) {
  if (drain_requested_ || !conn_.is_open()) co_return Waited::kClosed;
  if (woken_) {
    woken_ = false;
    co_return Waited::kWake;
  }
  // The timer ends the socket wait; the socket wait ends the timer.
  Timer timer(conn_.get_executor(), max);
  bool timed_out = false;
  timer.async_wait([this, &timed_out](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    if (waiting_input_) conn_.cancel_wait();
  });
  waiting_input_ = true;
  const bool readable = co_await conn_.wait_readable();
  waiting_input_ = false;
  timer.cancel();
  // Let the cancelled handler run before `timed_out` goes out of scope.
  co_await asio::post(conn_.get_executor(), use_awaitable);
  if (drain_requested_ || !conn_.is_open()) co_return Waited::kClosed;
  if (woken_) {
    woken_ = false;
    co_return Waited::kWake;
  }
  if (readable) co_return Waited::kInput;
  if (timed_out) co_return Waited::kTimeout;
  co_return Waited::kClosed;
}

awaitable<void> Session::pause(Duration d) {
  if (d <= Duration::zero()) co_return;
  Timer timer(conn_.get_executor(), d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

awaitable<bool> Session::wait_wake(Duration max) {
  if (woken_) {
    woken_ = false;
    co_return true;
  }
  Timer timer(conn_.get_executor(), max);
  waiting_ = &timer;
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  waiting_ = nullptr;
  bool woken = woken_;
  woken_ = false;
  co_return woken;
}

}  // namespace mail::net
