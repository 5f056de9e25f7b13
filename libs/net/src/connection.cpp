// SPDX-License-Identifier: Apache-2.0
// connection.cpp: bounded line/raw reads, timed writes and STARTTLS for one
// client. Deadlines: one steady_timer per direction; when it fires it cancels
// the socket's pending I/O and marks the operation as timed out. A generation
// number makes a late timer callback (queued just as the operation finished)
// harmless. Trusts nothing from the peer.
#include "mail/net/connection.h"

#include <algorithm>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <cstring>

namespace mail::net {
namespace {

constexpr size_t kReadChunk = 16 * 1024;  // one TLS record

bool is_eof(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

const char* to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::too_long:
      return "too_long";
    case Status::eof:
      return "eof";
    case Status::timeout:
      return "timeout";
    case Status::error:
      return "error";
  }
  return "error";
}

std::string address_text(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

std::shared_ptr<Connection> Connection::create(asio::ip::tcp::socket socket) {
  return std::shared_ptr<Connection>(new Connection(std::move(socket)));
}

Connection::Connection(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), read_deadline_(socket_.get_executor()), write_deadline_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_ip_ = address_text(remote.address());
    peer_port_ = remote.port();
  }
  auto local = socket_.local_endpoint(ec);
  if (!ec) {
    local_ip_ = address_text(local.address());
    local_port_ = local.port();
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Connection::~Connection() = default;

void Connection::set_peer(std::string ip, uint16_t port) {
  peer_ip_ = std::move(ip);
  peer_port_ = port;
}

// ---- deadlines ------------------------------------------------------------

void Connection::arm(Deadline& d, Duration after) {
  uint64_t gen = ++d.generation;
  d.fired = false;
  d.timer.expires_after(after);
  d.timer.async_wait([weak = weak_from_this(), &d, gen](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the operation finished first
    auto self = weak.lock();
    if (!self || d.generation != gen) return;  // connection gone, or a stale wait
    d.fired = true;
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void Connection::disarm(Deadline& d) {
  ++d.generation;
  d.timer.cancel();
}

// ---- reading --------------------------------------------------------------

void Connection::consume(size_t n) {
  assert(n <= end_ - begin_);
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

awaitable<Status> Connection::fill(size_t at_most) {
  if (!socket_.is_open()) co_return Status::error;
  size_t have = end_ - begin_;
  if (have >= max_buffer_) co_return Status::too_long;
  // Move the unconsumed bytes to the front when that frees useful room.
  if (begin_ > 0 && (buf_.size() - end_ < kReadChunk || begin_ >= buf_.size() / 2)) {
    std::memmove(buf_.data(), buf_.data() + begin_, have);
    begin_ = 0;
    end_ = have;
  }
  size_t want = std::min({kReadChunk, max_buffer_ - have, std::max<size_t>(at_most, 1)});
  if (buf_.size() - end_ < want) buf_.resize(end_ + want);

  boost::system::error_code ec;
  size_t n = 0;
  auto into = asio::buffer(buf_.data() + end_, want);
  arm(read_deadline_, effective_timeout());
  if (tls_)
    n = co_await tls_->async_read_some(into, asio::redirect_error(use_awaitable, ec));
  else
    n = co_await socket_.async_read_some(into, asio::redirect_error(use_awaitable, ec));
  bool timed_out = read_deadline_.fired;
  disarm(read_deadline_);
  end_ += n;
  bytes_read_ += n;
  if (n > 0) co_return Status::ok;  // data first; an error will show on the next fill
  if (timed_out) co_return Status::timeout;
  if (!socket_.is_open()) co_return Status::error;  // close() was called, not the peer's doing
  if (is_eof(ec)) co_return Status::eof;
  co_return Status::error;
}

awaitable<ReadResult> Connection::read_line(size_t max_len) {
  bool discarding = false;  // inside an over-long line, dropping bytes up to its LF
  size_t scanned = 0;       // bytes of buffered() already searched for LF
  for (;;) {
    std::string_view data = buffered();
    size_t lf = data.find('\n', scanned);
    if (lf != std::string_view::npos) {
      size_t len = lf;
      if (len > 0 && data[len - 1] == '\r') --len;
      if (discarding || len > max_len) {
        consume(lf + 1);
        co_return ReadResult{Status::too_long, {}};
      }
      ReadResult r{Status::ok, std::string(data.substr(0, len))};
      consume(lf + 1);
      co_return r;
    }
    // No LF yet. max_len bytes plus a CR can still become a valid line.
    if (discarding || data.size() > max_len + 1) {
      discarding = true;
      consume(data.size());
      data = {};
    }
    scanned = data.size();
    Status st = co_await fill();
    if (st == Status::too_long) {  // max_buffer() < max_len + 2: cannot hold this line
      discarding = true;
      consume(buffered().size());
      scanned = 0;
      continue;
    }
    if (st != Status::ok) co_return ReadResult{st, {}};
  }
}

// ---- writing --------------------------------------------------------------

awaitable<bool> Connection::write(std::string_view data) {
  if (!socket_.is_open()) co_return false;
  if (data.empty()) co_return true;
  boost::system::error_code ec;
  size_t n = 0;
  arm(write_deadline_, effective_timeout());
  if (tls_)
    n = co_await asio::async_write(*tls_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
  else
    n = co_await asio::async_write(socket_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
  disarm(write_deadline_);
  bytes_written_ += n;
  co_return !ec && n == data.size();
}

// ---- TLS ------------------------------------------------------------------

awaitable<bool> Connection::start_tls(asio::ssl::context& ctx) { return handshake(ctx, true, {}); }

awaitable<bool> Connection::start_tls_client(asio::ssl::context& ctx, const std::string& sni) {
  return handshake(ctx, false, sni);
}

awaitable<bool> Connection::handshake(asio::ssl::context& ctx, bool server, std::string sni) {
  // Whatever the peer sent before the handshake was sent in clear text and
  // must not be interpreted as if it had come through TLS.
  if (tls_ || !socket_.is_open()) co_return false;
  begin_ = end_ = 0;
  tls_.emplace(socket_, ctx);
  if (!server && !sni.empty()) SSL_set_tlsext_host_name(tls_->native_handle(), sni.c_str());
  boost::system::error_code ec;
  arm(read_deadline_, effective_timeout());
  co_await tls_->async_handshake(server ? asio::ssl::stream_base::server : asio::ssl::stream_base::client,
                                 asio::redirect_error(use_awaitable, ec));
  disarm(read_deadline_);
  // On failure tls_ stays set: the connection must never fall back to clear text.
  tls_active_ = !ec;
  co_return tls_active_;
}

// OpenSSL's getters take a non-const SSL*; they do not change the session.
SSL* Connection::ssl() const {
  return tls_ ? const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle() : nullptr;
}

std::string Connection::tls_protocol() const {
  if (!tls_active_) return {};
  const char* v = SSL_get_version(ssl());
  return v ? v : "";
}

std::string Connection::tls_cipher() const {
  if (!tls_active_) return {};
  const char* c = SSL_get_cipher_name(ssl());
  return c ? c : "";
}

int Connection::tls_cipher_bits() const {
  if (!tls_active_) return 0;
  return SSL_get_cipher_bits(ssl(), nullptr);
}

SSL* Connection::tls_native_handle() { return tls_ ? tls_->native_handle() : nullptr; }

// ---- closing --------------------------------------------------------------

void Connection::close() {
  boost::system::error_code ec;
  disarm(read_deadline_);
  disarm(write_deadline_);
  if (socket_.is_open()) {
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
}

awaitable<void> Connection::shutdown() {
  if (tls_active_ && socket_.is_open()) {
    boost::system::error_code ec;
    arm(write_deadline_, std::min<Duration>(effective_timeout(), std::chrono::seconds(3)));
    co_await tls_->async_shutdown(asio::redirect_error(use_awaitable, ec));
    disarm(write_deadline_);
  }
  close();
}

}  // namespace mail::net
