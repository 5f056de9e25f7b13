// SPDX-License-Identifier: Apache-2.0
// session.h: the one session loop every server protocol (SMTP, POP3, IMAP)
// runs on, and the registry of live sessions that drains them all.
//
// A protocol derives from net::Session and supplies a few hooks: the
// greeting, what to do with one command frame, and its goodbye texts. The
// engine owns everything around them, written once:
//   - reading bounded command frames: a line; for protocols with literals
//     (IMAP) a frame that goes on after a literal of N octets, with or
//     without a continuation request (see FrameParse and on_frame());
//   - the reply queue and the pipelining flush rule (RFC 2920, RFC 2449):
//     queued replies are written once no further complete command is
//     buffered, or when the queue passes options.flush_at, and always before
//     waiting for the client;
//   - the error limit (send_error(): after options.max_errors the protocol's
//     goodbye and close);
//   - the idle timeout at the prompt and the command timeout inside a
//     command, each ending with the protocol's goodbye;
//   - drain on SIGTERM (SessionRegistry::drain()): a session at the prompt
//     says goodbye at once; one busy in a command or transaction finishes it
//     first (busy()), then says goodbye;
//   - a wake-up channel (wake(), wait_wake()) through which another part of
//     the process can rouse a waiting session (IMAP IDLE).
// Metrics stay with each protocol (start() and finish() are where a session
// opens and closes its series).
//
// Trusts: nothing from the peer; every read is bounded in size and time.
// Threading: a Session lives on its connection's strand; request_drain() and
// wake() may be called from any thread.
#pragma once
#include "mail/net/asio.h"
#include "mail/net/connection.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mail::net {

class Session;

/// The live sessions of a process, across listeners and protocols. drain()
/// tells each to finish what it is doing and close with its goodbye; new
/// sessions started while draining say goodbye at once.
class SessionRegistry {
 public:
  /// From any thread; idempotent.
  void drain();
  bool draining() const { return draining_.load(); }
  size_t size() const;

 private:
  friend class Session;
  uint64_t add(std::weak_ptr<Session> session);
  void remove(uint64_t id);

  mutable std::mutex mu_;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;
  std::atomic<bool> draining_{false};
};

/// The protocol-neutral limits of one session.
struct SessionOptions {
  size_t max_line = 510;  ///< a command line, without its CRLF
  /// Bound of a whole frame (lines and literals) for protocols with
  /// literals; 0 = max_line.
  size_t max_frame = 0;
  size_t max_errors = 20;  ///< send_error() calls before the session ends
  Duration idle_timeout = std::chrono::minutes(5);     ///< waiting for a command
  Duration command_timeout = std::chrono::minutes(5);  ///< each read and write inside a command
  size_t flush_at = 64 * 1024;                         ///< write queued replies at this size anyway
};

/// What a protocol's frame parser says about the bytes of a frame so far.
struct FrameParse {
  enum Kind {
    kComplete,  ///< the frame is a whole command: on_frame() gets it
    kLiteral,   ///< it ends in a literal announcement: read `literal` octets, then a line more
  };
  Kind kind = kComplete;
  size_t literal = 0;
  bool synchronizing = false;  ///< send continuation() before reading the literal
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Connection& conn, SessionRegistry& registry, SessionOptions options);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// The whole conversation, greeting to close. Call once, on the
  /// connection's strand, holding a shared_ptr to the session.
  awaitable<void> run();

  /// Finish the current command (and transaction), then say goodbye and
  /// close. From any thread.
  void request_drain();

  /// Rouse a wait_wake() in progress, or the next one. From any thread.
  void wake();

 protected:
  // ---- what the protocol supplies ----------------------------------------

  /// Before the first command: queue the greeting (or a refusal and
  /// close_after_flush()). Called with drain already requested when the
  /// registry is draining: say the drain goodbye instead.
  virtual awaitable<void> start() = 0;
  /// One complete command frame (a line without its terminator; with
  /// literals, the lines joined by CRLF with the literal octets between).
  virtual awaitable<void> on_frame(std::string frame) = 0;
  /// The command line was longer than max_line (it has been skipped).
  virtual void on_line_too_long() = 0;
  /// For protocols with literals: does this line of the frame (the first,
  /// or the one after a literal) end in a literal announcement? The default
  /// says every line is a whole command.
  virtual FrameParse parse_frame(std::string_view /*last_line*/) { return {}; }
  /// The continuation request before a synchronizing literal ("+ OK\r\n").
  virtual std::string continuation() { return {}; }
  /// A literal that would make the frame longer than max_frame: queue the
  /// protocol's error. The literal is not read: after a synchronizing one
  /// the client sends nothing more of the command and the session goes on;
  /// after a non-synchronizing one it closes.
  virtual void on_frame_too_long() { on_line_too_long(); }

  /// Wire text of the goodbyes.
  virtual std::string idle_goodbye() = 0;     ///< no command within idle_timeout
  virtual std::string timeout_goodbye() { return idle_goodbye(); }  ///< a read or write inside a command timed out
  virtual std::string drain_goodbye() = 0;    ///< the process is stopping
  /// After max_errors; `last` is the error reply that reached the limit.
  virtual std::string errors_goodbye(std::string last) = 0;

  /// True while a drain must wait (an SMTP transaction in progress).
  virtual bool busy() const { return false; }
  /// The peer closed or the connection failed at the prompt.
  virtual void on_disconnect(Status) {}
  /// After the loop, before the connection is shut down (release leases).
  virtual awaitable<void> finish() { co_return; }

  // ---- what the engine offers ----------------------------------------------

  Connection& conn() { return conn_; }
  const Connection& conn() const { return conn_; }
  const SessionOptions& options() const { return options_; }
  /// A new idle limit from the next prompt on (IMAP: longer once logged in).
  void set_idle_timeout(Duration d) { options_.idle_timeout = d; }

  /// Queue reply text.
  void send(std::string_view wire) { out_ += wire; }
  /// Queue an error reply; the max_errors-th one is replaced by
  /// errors_goodbye() and the session closes after it.
  void send_error(std::string wire);
  size_t errors() const { return errors_; }
  /// Write what is queued now; false (and closing) when the write failed.
  awaitable<bool> flush();
  /// Drop what is queued (the peer is gone).
  void discard_output() { out_.clear(); }
  size_t queued() const { return out_.size(); }

  /// End the session once the queued replies are written.
  void close_after_flush() { closing_ = true; }
  bool closing() const { return closing_; }
  bool drain_requested() const { return drain_requested_; }

  /// Another line inside a command (an AUTH response): flushes first, then
  /// reads with the command timeout. On timeout the timeout goodbye is
  /// queued and the session closes; on eof/error it closes silently.
  awaitable<ReadResult> read_line(size_t max_len);
  /// Exactly n octets into `out` (appended), with the command timeout.
  awaitable<Status> read_exact(size_t n, std::string& out);
  /// Feeds buffered input to `decoder` (decoder.feed(string_view) -> size_t
  /// consumed, decoder.done()) until it is done, reading more as needed.
  /// Returns ok, or the read status that ended it; on timeout the timeout
  /// goodbye is queued, on every failure the session closes.
  template <class Decoder>
  awaitable<Status> read_stream(Decoder& decoder) {
    while (true) {
      std::string_view buffered = conn_.buffered();
      if (!buffered.empty()) conn_.consume(decoder.feed(buffered));
      if (decoder.done()) co_return Status::ok;
      Status st = co_await conn_.fill();
      if (st == Status::ok) continue;
      read_failed(st);
      co_return st;
    }
  }
  /// Any input already received and not yet consumed.
  bool input_pending() const { return !conn_.buffered().empty(); }
  /// A whole further command line is buffered.
  bool line_pending() const { return conn_.buffered().find('\n') != std::string_view::npos; }

  /// Waits until wake() is called (true) or `max` has passed (false), or the
  /// connection closes (false). One waiter at a time.
  awaitable<bool> wait_wake(Duration max);

  /// What ended a wait_input_or_wake().
  enum class Waited { kInput, kWake, kTimeout, kClosed };
  /// Waits for whichever comes first: client input (a byte is buffered or
  /// the socket is readable: read it with read_line()), wake() (also one
  /// that came before this call), `max` passing, or the connection closing
  /// or a drain being requested (kClosed; see drain_requested()). Neither
  /// deadline applies while waiting: the caller bounds the wait with `max`
  /// (IMAP IDLE: the untagged updates between waits are its own writes).
  awaitable<Waited> wait_input_or_wake(Duration max);

  /// Waits `d` on the engine's clock (clock.h) without holding the thread:
  /// the delay after a failed login, a throttle's delay.
  awaitable<void> pause(Duration d);

  /// A read inside a command failed: queue the timeout goodbye or drop the
  /// output, and close.
  void read_failed(Status st);

 private:
  awaitable<void> loop();
  awaitable<bool> read_frame(std::string& frame);
  void on_drain();

  Connection& conn_;
  SessionRegistry& registry_;
  SessionOptions options_;
  uint64_t registry_id_ = 0;

  std::string out_;
  size_t errors_ = 0;
  bool closing_ = false;
  bool drain_requested_ = false;
  bool at_prompt_ = false;  ///< suspended reading the next command

  // wake-up channel
  bool woken_ = false;
  Timer* waiting_ = nullptr;
  bool waiting_input_ = false;  ///< in wait_input_or_wake(): wake() cancels the socket wait
};

}  // namespace mail::net
