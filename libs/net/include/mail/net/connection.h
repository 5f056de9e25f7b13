// SPDX-License-Identifier: Apache-2.0
// Connection: one client connection, the session skeleton every protocol
// service (SMTP, POP3, IMAP) is written against. It owns the socket, a bounded
// read buffer, optional TLS, and the per-operation deadlines.
//
// Trusts: nothing that arrives on the socket. Every read is bounded in size
// (max_buffer, the caller's max_len) and in time (timeout); every write is
// bounded in time. Peer misbehaviour comes back as a Status or `false`, never
// as an exception.
//
// Threading: a Connection lives on one strand (the Server creates its socket
// on a fresh strand and runs the handler coroutine there). All coroutines must
// be awaited from that strand. At most one read operation (read_line, fill,
// start_tls) and at most one write operation (write, shutdown) may be in
// flight at a time; a read and a write may overlap (e.g. IMAP IDLE, with a
// second coroutine co_spawned on get_executor()).
//
// Timeouts: each read or write gets `timeout()` from the moment it starts; if
// it expires, the connection's pending I/O is cancelled and the operation
// reports Status::timeout (reads) or false (writes). The session should then
// write a short goodbye ("421 4.4.2 timeout") and return; the write has its
// own fresh deadline.
//
// Stress: a Connection may share a Stress object with its Server. While the
// Server has it on (too many connections, see ServerOptions::stress_threshold)
// every read and write that *starts* uses min(timeout(), stress timeout), as
// Postfix's smtpd uses its stress value of smtpd_timeout; operations already
// waiting keep their deadline. Sessions keep calling set_timeout() as they
// like: the cap applies on top, so no protocol needs to know about it, though
// under_stress() lets one also tighten its own limits (error counts).
#pragma once
#include "mail/net/asio.h"
#include "mail/net/clock.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mail::net {

/// Outcome of a read.
enum class Status {
  ok,        ///< data available / line returned
  too_long,  ///< read_line: the line exceeded max_len and was discarded up to
             ///< and including its LF; the session may reply and continue.
             ///< fill: the buffer already holds max_buffer() bytes.
  eof,       ///< the peer closed the connection (also TLS truncation)
  timeout,   ///< no data within timeout()
  error,     ///< reset, TLS failure, closed locally, ...
};

/// "ok", "too_long", "eof", "timeout", "error" (for logs).
const char* to_string(Status s);

/// Result of read_line. `line` is meaningful only when status == ok.
struct ReadResult {
  Status status = Status::error;
  std::string line;  ///< without its terminator (CRLF or bare LF)
  bool ok() const { return status == Status::ok; }
};

/// Load state shared by the connections of one Server (see the file comment).
/// Thread-safe: the Server sets it from any thread, connections read it.
class Stress {
 public:
  explicit Stress(Duration timeout) : timeout_(timeout) {}
  bool on() const { return on_.load(std::memory_order_relaxed); }
  void set(bool on) { on_.store(on, std::memory_order_relaxed); }
  /// The timeout operations get while on() (at most; a shorter one stays).
  Duration timeout() const { return timeout_; }

 private:
  std::atomic<bool> on_{false};
  const Duration timeout_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static constexpr Duration kDefaultTimeout = std::chrono::minutes(5);
  static constexpr size_t kDefaultMaxBuffer = 64 * 1024;

  /// Wraps a connected socket. The socket's executor should be a strand
  /// (Server does this); that strand becomes the connection's executor.
  /// Connections are always owned by a shared_ptr (timers hold weak refs).
  static std::shared_ptr<Connection> create(asio::ip::tcp::socket socket);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // ---- reading -----------------------------------------------------------

  /// Next line, without its terminator. A line ends at LF; a CR right before
  /// the LF is removed too, so both CRLF and bare LF end a line (as SMTP and
  /// POP3 servers accept for commands). Other CRs stay in the line.
  /// `max_len` bounds the line without its terminator (SMTP's 512 octets
  /// including CRLF is max_len = 510). An over-long line is consumed and
  /// dropped up to its LF and reported as too_long, so the session can answer
  /// with an error and go on. On eof/timeout/error any partial line stays in
  /// buffered().
  awaitable<ReadResult> read_line(size_t max_len);

  /// Bytes received but not yet consumed. Valid until the next fill(),
  /// consume(), read_line() or start_tls(). While nothing is buffered and
  /// the peer is silent, the read buffer is released (idle memory).
  std::string_view buffered() const { return std::string_view(buf_.data() + begin_, end_ - begin_); }

  /// Drop the first n buffered bytes (n <= buffered().size()).
  void consume(size_t n);

  /// Read more bytes into the buffer (at least one on success), with the
  /// timeout. Returns too_long without reading when the buffer already holds
  /// max_buffer() bytes: consume some first. Lets a pure decoder (SMTP DATA,
  /// IMAP literals) take exactly what it needs and leave the rest buffered.
  /// `at_most` bounds the bytes taken from the socket by this call (at least
  /// 1 is asked for), so a caller can read exactly up to a frame's end and
  /// leave what follows on the socket (the PROXY header before implicit TLS).
  awaitable<Status> fill(size_t at_most = std::numeric_limits<size_t>::max());

  /// Waits, without a deadline and without reading, until input can be
  /// read: true at once when bytes are buffered (here or inside OpenSSL),
  /// else when the socket turns readable; false when cancel_wait() or
  /// close() ended the wait. The read buffer is released meanwhile (idle
  /// memory). Only one operation may be pending on the connection while
  /// this waits (IMAP IDLE waits here between its writes).
  awaitable<bool> wait_readable();
  /// Ends a wait_readable() in progress (from the connection's strand).
  void cancel_wait();

  /// Appends exactly `n` bytes to `out` (buffered bytes first, then from the
  /// socket, never more than the rest of `n` per read), e.g. a length-framed
  /// payload. The caller bounds `n`. Every fill gets the usual deadline; on
  /// anything but ok, `out` holds what had arrived.
  awaitable<Status> read_exactly(size_t n, std::string& out);

  // ---- writing -----------------------------------------------------------

  /// Write all of `data`; false on error, timeout or closed connection.
  /// `data` must stay valid until the coroutine completes.
  awaitable<bool> write(std::string_view data);

  // ---- TLS ---------------------------------------------------------------

  /// Server-side TLS handshake on this connection (STARTTLS, STLS, or
  /// implicit TLS before the greeting), bounded by timeout(). Discards every
  /// byte already buffered first: commands pipelined after STARTTLS must not
  /// be executed inside the TLS session (CVE-2011-0411 class). Returns false
  /// on failure or if TLS is already active; the connection is then unusable
  /// (no clear-text fallback) and the session should end. `ctx` must outlive
  /// the connection.
  awaitable<bool> start_tls(asio::ssl::context& ctx);

  /// Client-side handshake (outbound SMTP, see mail/net/connect.h). When
  /// `server_name` is not empty, the certificate is checked against it (a
  /// host name: SNI is sent and DNS names are matched; an IP literal: no SNI,
  /// iPAddress names are matched). Whether a failed check fails the
  /// handshake is up to `ctx` (verify_peer); without it the result is only
  /// recorded (SSL_get_verify_result) for the caller to report. Same buffer
  /// rule and failure semantics as start_tls.
  awaitable<bool> start_tls_client(asio::ssl::context& ctx, const std::string& server_name);

  bool tls() const { return tls_active_; }
  /// Negotiated protocol ("TLSv1.3") and cipher ("TLS_AES_256_GCM_SHA384"),
  /// and the cipher's secret bits; empty / 0 without TLS. For Received headers.
  std::string tls_protocol() const;
  std::string tls_cipher() const;
  int tls_cipher_bits() const;
  /// The raw OpenSSL handle (nullptr without TLS), e.g. to read a client
  /// certificate. Do not read or write through it.
  SSL* tls_native_handle() { return ssl_.get(); }

  // ---- closing -----------------------------------------------------------

  /// Close now: pending operations finish with error. Idempotent.
  void close();
  /// Close politely: with TLS, send close_notify and wait briefly (at most a
  /// few seconds) for the peer's; then close(). Without TLS just close().
  awaitable<void> shutdown();
  bool is_open() const { return socket_.is_open(); }

  // ---- facts and settings ------------------------------------------------

  /// The client's address as text ("192.0.2.1", "2001:db8::1"; IPv4-mapped
  /// IPv6 addresses are shown as IPv4). Captured at accept time.
  const std::string& peer_ip() const { return peer_ip_; }
  uint16_t peer_port() const { return peer_port_; }
  /// Replace the peer address (a PROXY protocol header from a trusted
  /// load balancer named the real client).
  void set_peer(std::string ip, uint16_t port);
  const std::string& local_ip() const { return local_ip_; }
  uint16_t local_port() const { return local_port_; }

  /// Deadline applied to every following read and write (default 5 min).
  void set_timeout(Duration d) { timeout_ = d; }
  Duration timeout() const { return timeout_; }
  /// Share the Server's load state (nullptr: never under stress).
  void set_stress(std::shared_ptr<const Stress> s) { stress_ = std::move(s); }
  /// The Server is over its stress threshold now.
  bool under_stress() const { return stress_ && stress_->on(); }
  /// What an operation starting now gets: timeout(), capped by the stress
  /// timeout while under_stress().
  /// ... and never past the deadline (set_deadline).
  Duration effective_timeout() const {
    Duration t = under_stress() ? std::min(timeout_, stress_->timeout()) : timeout_;
    if (deadline_ != std::chrono::steady_clock::time_point::max())
      t = std::min(t, std::max<Duration>(Duration::zero(), deadline_ - std::chrono::steady_clock::now()));
    return t;
  }
  /// An overall deadline on top of the per-operation timeout: every read
  /// and write that starts gets at most the time left until `at` (none left:
  /// an operation that has to wait times out at once). time_point::max()
  /// (the default) means none. Outbound connections use it to bound a whole
  /// delivery attempt however slowly a server trickles its bytes.
  void set_deadline(std::chrono::steady_clock::time_point at) { deadline_ = at; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  /// Upper bound of buffered() (default 64 KiB). read_line needs
  /// max_buffer() >= max_len + 2.
  void set_max_buffer(size_t n) { max_buffer_ = n < 256 ? 256 : n; }
  size_t max_buffer() const { return max_buffer_; }

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

  /// The connection's strand.
  Executor get_executor() { return socket_.get_executor(); }

 private:
  explicit Connection(asio::ip::tcp::socket socket);

  struct Deadline {
    explicit Deadline(const Executor& ex) : timer(ex) {}
    Timer timer;
    uint64_t generation = 0;
    bool fired = false;
  };
  void arm(Deadline& d, Duration after);
  void disarm(Deadline& d);
  awaitable<bool> handshake(asio::ssl::context& ctx, bool server, std::string sni);  // by value: outlives the caller
  SSL* ssl() const { return ssl_.get(); }

  /// One non-blocking attempt of an I/O step; what to wait for otherwise.
  enum class Step { done, want_read, want_write, eof, error };
  Step try_read(char* into, size_t want, size_t& got);
  Step try_write(const char* from, size_t size, size_t& put);
  Step tls_step(int ret);
  /// Waits for the socket to become readable/writable (false: cancelled,
  /// by a deadline or close()).
  awaitable<bool> wait_for(Step step);

  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };

  asio::ip::tcp::socket socket_;
  // TLS is driven directly over the socket's descriptor (no BIO pair, no
  // stream buffers): OpenSSL releases its record buffers while idle
  // (SSL_MODE_RELEASE_BUFFERS) and fill() releases the read buffer, so an
  // idle TLS connection costs little more than the SSL object itself.
  std::unique_ptr<SSL, SslFree> ssl_;
  bool tls_active_ = false;
  Deadline read_deadline_;
  Deadline write_deadline_;

  std::string buf_;  // bytes [begin_, end_) are unconsumed
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t max_buffer_ = kDefaultMaxBuffer;
  Duration timeout_ = kDefaultTimeout;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::shared_ptr<const Stress> stress_;

  std::string peer_ip_;
  uint16_t peer_port_ = 0;
  std::string local_ip_;
  uint16_t local_port_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
};

/// Address as text; IPv4-mapped IPv6 shown as IPv4.
std::string address_text(const asio::ip::address& a);

}  // namespace mail::net
