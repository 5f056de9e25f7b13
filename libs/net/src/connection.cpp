// SPDX-License-Identifier: Apache-2.0
// connection.cpp: bounded line/raw reads, timed writes and STARTTLS for one
// client. I/O is tried non-blocking first and waits for socket readiness
// only when it must; TLS drives OpenSSL directly over the descriptor.
// Deadlines: one net::Timer (clock.h) per direction; when it fires it cancels
// the socket's pending I/O and marks the operation as timed out. A generation
// number makes a late timer callback (queued just as the operation finished)
// harmless. Trusts nothing from the peer.
#include "mail/net/connection.h"

#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <cassert>
#include <csignal>
#include <cstring>

namespace mail::net {
namespace {

constexpr size_t kReadChunk = 16 * 1024;  // one TLS record

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
  // Reads and writes are tried at once and wait for readiness only when the
  // kernel has nothing (try_read, try_write, wait_for); TLS uses the
  // descriptor directly, so it must be non-blocking too.
  socket_.non_blocking(true, ec);
  socket_.native_non_blocking(true, ec);
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
  arm(read_deadline_, effective_timeout());
  Step step = Step::done;
  size_t n = 0;
  for (;;) {
    have = end_ - begin_;
    // Move the unconsumed bytes to the front when that frees useful room.
    if (begin_ > 0 && (buf_.size() - end_ < kReadChunk || begin_ >= buf_.size() / 2)) {
      std::memmove(buf_.data(), buf_.data() + begin_, have);
      begin_ = 0;
      end_ = have;
    }
    size_t want = std::min({kReadChunk, max_buffer_ - have, std::max<size_t>(at_most, 1)});
    if (buf_.size() - end_ < want) buf_.resize(end_ + want);
    step = try_read(buf_.data() + end_, want, n);
    if (step != Step::want_read && step != Step::want_write) break;
    // Nothing to read now. With nothing buffered either, the session is
    // idle: give the buffer back while waiting (TLS: unless OpenSSL holds
    // bytes of a record already).
    if (begin_ == end_ && !(ssl_ && SSL_has_pending(ssl_.get()))) {
      std::string().swap(buf_);
      begin_ = end_ = 0;
    }
    const bool ready = co_await wait_for(step);
    if (!ready) {
      step = Step::error;
      break;
    }
  }
  bool timed_out = read_deadline_.fired;
  disarm(read_deadline_);
  if (step == Step::done) {
    end_ += n;
    bytes_read_ += n;
    co_return Status::ok;
  }
  if (timed_out) co_return Status::timeout;
  if (!socket_.is_open()) co_return Status::error;  // close() was called, not the peer's doing
  if (step == Step::eof) co_return Status::eof;
  co_return Status::error;
}

Connection::Step Connection::tls_step(int ret) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ: return Step::want_read;
    case SSL_ERROR_WANT_WRITE: return Step::want_write;
    case SSL_ERROR_ZERO_RETURN: return Step::eof;  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
    default: return Step::error;
  }
}

Connection::Step Connection::try_read(char* into, size_t want, size_t& got) {
  got = 0;
  if (ssl_) {
    ERR_clear_error();
    if (SSL_read_ex(ssl_.get(), into, want, &got) == 1) return Step::done;
    return tls_step(0);
  }
  boost::system::error_code ec;
  got = socket_.read_some(asio::buffer(into, want), ec);
  if (!ec && got > 0) return Step::done;
  if (ec == asio::error::would_block || ec == asio::error::try_again) return Step::want_read;
  if (ec == asio::error::eof) return Step::eof;
  return Step::error;
}

Connection::Step Connection::try_write(const char* from, size_t size, size_t& put) {
  put = 0;
  if (ssl_) {
    ERR_clear_error();
    if (SSL_write_ex(ssl_.get(), from, size, &put) == 1) return Step::done;
    return tls_step(0);
  }
  boost::system::error_code ec;
  put = socket_.write_some(asio::buffer(from, size), ec);
  if (!ec) return Step::done;
  if (ec == asio::error::would_block || ec == asio::error::try_again) return Step::want_write;
  return Step::error;
}

awaitable<bool> Connection::wait_for(Step step) {
  boost::system::error_code ec;
  auto what = step == Step::want_write ? asio::ip::tcp::socket::wait_write : asio::ip::tcp::socket::wait_read;
  co_await socket_.async_wait(what, asio::redirect_error(use_awaitable, ec));
  co_return !ec && socket_.is_open();
}

awaitable<bool> Connection::wait_readable() {
  if (!socket_.is_open()) co_return false;
  if (begin_ != end_ || (ssl_ && SSL_has_pending(ssl_.get()))) co_return true;
  std::string().swap(buf_);
  begin_ = end_ = 0;
  // Readiness only: nothing of a TLS record is consumed, so ending the wait
  // early (cancel_wait) leaves the stream as it was. A reactor may report
  // readiness with nothing to read (an edge left from bytes already
  // consumed): only bytes waiting, or the peer's end (a peek of 0), count.
  for (;;) {
    const bool ready = co_await wait_for(Step::want_read);
    if (!ready) co_return false;
    char byte;
    const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) co_return true;
  }
}

void Connection::cancel_wait() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
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

awaitable<Status> Connection::read_exactly(size_t n, std::string& out) {
  while (n > 0) {
    if (buffered().empty()) {
      Status st = co_await fill(n);
      if (st != Status::ok) co_return st;
    }
    const size_t k = std::min(n, buffered().size());
    out.append(buffered().substr(0, k));
    consume(k);
    n -= k;
  }
  co_return Status::ok;
}

// ---- writing --------------------------------------------------------------

awaitable<bool> Connection::write(std::string_view data) {
  if (!socket_.is_open()) co_return false;
  if (data.empty()) co_return true;
  arm(write_deadline_, effective_timeout());
  size_t off = 0;
  while (off < data.size()) {
    size_t n = 0;
    // A retry after WANT_* repeats the same buffer and length, as
    // SSL_write requires.
    Step step = try_write(data.data() + off, data.size() - off, n);
    if (step == Step::done) {
      off += n;
      continue;
    }
    if (step == Step::eof || step == Step::error) break;
    const bool ready = co_await wait_for(step);
    if (!ready) break;
  }
  disarm(write_deadline_);
  bytes_written_ += off;
  co_return off == data.size();
}

// ---- TLS ------------------------------------------------------------------

awaitable<bool> Connection::start_tls(asio::ssl::context& ctx) { return handshake(ctx, true, {}); }

awaitable<bool> Connection::start_tls_client(asio::ssl::context& ctx, const std::string& server_name) {
  return handshake(ctx, false, server_name);
}

awaitable<bool> Connection::handshake(asio::ssl::context& ctx, bool server, std::string sni) {
  // Whatever the peer sent before the handshake was sent in clear text and
  // must not be interpreted as if it had come through TLS.
  if (ssl_ || !socket_.is_open()) co_return false;
  // OpenSSL writes to the descriptor with write(2): a peer that has gone
  // must cost this connection an EPIPE, never the process a SIGPIPE.
  static const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  begin_ = end_ = 0;
  std::string().swap(buf_);
  ssl_.reset(SSL_new(ctx.native_handle()));
  // On any failure below ssl_ stays set: the connection must never fall
  // back to clear text.
  if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.native_handle()) != 1) co_return false;
  SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE);
  SSL_set_options(ssl_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (server) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
    if (!sni.empty()) {
      // The name is checked even when ctx does not verify peers, so that
      // opportunistic TLS can still report whether the peer was verified.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
      boost::system::error_code ec;
      asio::ip::make_address(sni, ec);
      if (!ec) {
        // RFC 6066 3: no SNI for an address literal.
        if (X509_VERIFY_PARAM_set1_ip_asc(param, sni.c_str()) != 1) co_return false;
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set_tlsext_host_name(ssl_.get(), sni.c_str()) != 1 || SSL_set1_host(ssl_.get(), sni.c_str()) != 1)
          co_return false;
      }
    }
  }
  arm(read_deadline_, effective_timeout());
  bool done = false;
  for (;;) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_.get());
    if (r == 1) {
      done = true;
      break;
    }
    Step step = tls_step(r);
    if (step != Step::want_read && step != Step::want_write) break;
    const bool ready = co_await wait_for(step);
    if (!ready) break;
  }
  disarm(read_deadline_);
  tls_active_ = done;
  co_return tls_active_;
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
    // Send our close_notify and wait briefly for the peer's.
    arm(write_deadline_, std::min<Duration>(effective_timeout(), std::chrono::seconds(3)));
    for (int round = 0; round < 8; ++round) {
      ERR_clear_error();
      int r = SSL_shutdown(ssl_.get());
      if (r == 1) break;
      if (r == 0) continue;  // ours is sent; call again to read theirs
      Step step = tls_step(r);
      if (step != Step::want_read && step != Step::want_write) break;
      const bool ready = co_await wait_for(step);
      if (!ready) break;
    }
    disarm(write_deadline_);
  }
  close();
}

}  // namespace mail::net
