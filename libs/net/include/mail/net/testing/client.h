// SPDX-License-Identifier: Apache-2.0
// client.h: a blocking loopback client for protocol tests. It connects to
// 127.0.0.1:port, sends bytes, reads CRLF lines and multi-line replies, and
// can upgrade to TLS (client side, certificate verification off: it trusts
// whatever the server under test presents). Every wait is bounded, so a
// broken server fails the test instead of hanging it. Test code only.
#pragma once
#include "mail/net/asio.h"  // first: Asio needs <utility> ahead of it

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mail::net::testing {

/// Blocking-style client built on async operations run with a deadline.
/// Read results are the line itself (with its "\n"), or one of the markers
/// "<eof>" (orderly close), "<error>" (reset or other failure) and
/// "<timeout>".
class Client {
 public:
  static constexpr std::chrono::milliseconds kWait{5000};

  explicit Client(uint16_t port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
    error_ = ec;
  }
  bool connected() const { return connected_; }
  /// The error of the last failed connect, handshake or send.
  const boost::system::error_code& last_error() const { return error_; }

  /// Upgrades to TLS (client side, no verification). False on failure.
  bool handshake(std::chrono::milliseconds wait = kWait) {
    ctx_.emplace(asio::ssl::context::tls_client);
    ctx_->set_verify_mode(asio::ssl::verify_none);
    tls_.emplace(socket_, *ctx_);
    boost::system::error_code ec = asio::error::timed_out;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) { ec = e; });
    bool ok = run(wait) && !ec;
    if (!ok) error_ = ec;
    return ok;
  }

  /// Writes all of `data`. False on error or timeout.
  bool send(const std::string& data, std::chrono::milliseconds wait = kWait) {
    boost::system::error_code ec = asio::error::timed_out;
    auto done = [&](boost::system::error_code e, size_t) { ec = e; };
    if (tls_)
      asio::async_write(*tls_, asio::buffer(data), done);
    else
      asio::async_write(socket_, asio::buffer(data), done);
    bool ok = run(wait) && !ec;
    if (!ok) error_ = ec;
    return ok;
  }

  /// One line including its "\r\n", or "<eof>", "<error>", "<timeout>".
  std::string line(std::chrono::milliseconds wait = kWait) {
    boost::system::error_code ec = asio::error::timed_out;
    size_t n = 0;
    auto done = [&](boost::system::error_code e, size_t k) {
      ec = e;
      n = k;
    };
    if (tls_)
      asio::async_read_until(*tls_, asio::dynamic_buffer(in_), "\n", done);
    else
      asio::async_read_until(socket_, asio::dynamic_buffer(in_), "\n", done);
    if (!run(wait)) return "<timeout>";
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return "<eof>";
    if (ec) return "<error>";
    std::string l = in_.substr(0, n);
    in_.erase(0, n);
    return l;
  }

  /// An SMTP-style reply: lines while the fourth byte is '-', joined.
  /// Stops early at a marker ("<eof>", ...).
  std::string reply(std::chrono::milliseconds wait = kWait) {
    std::string all;
    for (;;) {
      std::string l = line(wait);
      all += l;
      if (l.size() < 4 || l[0] == '<' || l[3] != '-') return all;
    }
  }

  /// A POP3-style multi-line block: lines up to and including ".\r\n",
  /// joined. Stops early at a marker ("<eof>", ...).
  std::string dot_terminated(std::chrono::milliseconds wait = kWait) {
    std::string all;
    for (;;) {
      std::string l = line(wait);
      all += l;
      if (l == ".\r\n" || l.front() == '<') return all;
    }
  }

  /// True when the server closes the connection (eof or reset) within `wait`.
  bool closed(std::chrono::milliseconds wait = kWait) {
    std::string l = line(wait);
    return l == "<eof>" || l == "<error>";
  }

  /// Bytes already received but not yet returned as lines.
  const std::string& pending() const { return in_; }

  void shutdown_send() {
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  // Runs the client's io_context until the pending operation completes
  // (true) or the deadline passes (false; the operation is cancelled).
  bool run(std::chrono::milliseconds wait) {
    io_.restart();
    io_.run_for(wait);
    if (io_.stopped()) return true;
    boost::system::error_code ec;
    socket_.cancel(ec);
    io_.restart();
    io_.run_for(std::chrono::milliseconds(1000));
    return false;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::optional<asio::ssl::context> ctx_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string in_;
  boost::system::error_code error_;
  bool connected_ = false;
};

}  // namespace mail::net::testing
