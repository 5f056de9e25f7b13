// SPDX-License-Identifier: Apache-2.0
// script_server.h: test support for the SMTP client: a scripted SMTP server
// on 127.0.0.1 (port 0, the net tests' Fixture around net::Server), which
// follows a list of steps (send bytes, expect a command, read DATA, start
// TLS, stay silent, trickle bytes, wait for the client to go) and keeps a
// transcript of what the client said; plus a runner that connects a
// ClientSession to it and describes what came back. Test code only.
//
// Transcript lines: "C: <command line>", "D: <data bytes, CR and LF shown as
// \r and \n>", "S: tls", "C: <eof>"; a step that does not go as scripted
// adds "!! <why>" and ends the script (the server then closes).
#pragma once
#include "mail/net/asio.h"  // first: Asio needs <utility> ahead of it

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mail/net/connect.h"
#include "mail/smtpclient/session.h"
#include "test_support.h"

namespace mail::smtp::client::test {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using net::awaitable;
using net::test::run_coro;

/// CR and LF made visible ("\r", "\n").
inline std::string visible(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

struct Step {
  enum class Kind { send, trickle, expect, quiet, data, starttls, pause, wait_close } kind;
  std::string text = {};
  std::chrono::milliseconds ms = {};
};

class Script {
 public:
  /// Sends these exact bytes.
  Script& send(std::string bytes) { return add({Step::Kind::send, std::move(bytes)}); }
  /// Sends reply lines: "250-a\n250 b" goes out as "250-a\r\n250 b\r\n".
  Script& reply(std::string_view lines) {
    std::string out;
    size_t start = 0;
    while (start <= lines.size()) {
      size_t end = lines.find('\n', start);
      if (end == std::string_view::npos) end = lines.size();
      out.append(lines.substr(start, end - start));
      out += "\r\n";
      start = end + 1;
    }
    return send(std::move(out));
  }
  /// Sends reply lines one byte at a time, `per_byte` apart.
  Script& trickle(std::string_view lines, std::chrono::milliseconds per_byte) {
    reply(lines);
    steps.back().kind = Step::Kind::trickle;
    steps.back().ms = per_byte;
    return *this;
  }
  /// Reads one command line, which must start with `prefix`.
  Script& expect(std::string prefix) { return add({Step::Kind::expect, std::move(prefix)}); }
  /// The client must send nothing for `ms` (it waits for our reply).
  Script& quiet(std::chrono::milliseconds ms = 100ms) { return add({Step::Kind::quiet, {}, ms}); }
  /// Reads the DATA bytes up to and including CRLF.CRLF.
  Script& data() { return add({Step::Kind::data}); }
  /// Server-side TLS handshake (the ScriptServer's context).
  Script& starttls() { return add({Step::Kind::starttls}); }
  /// Sleeps.
  Script& pause(std::chrono::milliseconds ms) { return add({Step::Kind::pause, {}, ms}); }
  /// Reads (recording each line) until the client closes.
  Script& wait_close() { return add({Step::Kind::wait_close}); }

  std::vector<Step> steps;

 private:
  Script& add(Step s) {
    steps.push_back(std::move(s));
    return *this;
  }
};

class ScriptServer {
 public:
  explicit ScriptServer(Script script, asio::ssl::context* tls = nullptr)
      : script_(std::move(script)), tls_(tls), done_future_(done_.get_future()) {
    net::ServerOptions opts;
    opts.timeout = 5s;
    fixture_.emplace([this](net::Connection& c) { return run(c); }, opts);
  }
  uint16_t port() const { return fixture_->port(); }

  /// Waits (bounded) for the script to end; the transcript, one entry a line.
  std::string transcript(std::chrono::milliseconds wait = 10s) {
    if (done_future_.wait_for(wait) != std::future_status::ready) return log() + "!! script did not end\n";
    return log();
  }

 private:
  std::string log() {
    std::lock_guard lock(mu_);
    return log_;
  }
  void note(const std::string& line) {
    std::lock_guard lock(mu_);
    log_ += line + "\n";
  }

  awaitable<void> run(net::Connection& c) {
    if (started_.exchange(true)) {
      note("!! a second connection");
      co_return;
    }
    for (const Step& step : script_.steps) {
      const bool ok = co_await play(c, step);
      if (!ok) break;
    }
    done_.set_value();
  }

  awaitable<bool> play(net::Connection& c, const Step& step) {
    switch (step.kind) {
      case Step::Kind::send: {
        const bool ok = co_await c.write(step.text);
        if (!ok) note("!! write failed");
        co_return ok;
      }
      case Step::Kind::trickle: {
        for (size_t i = 0; i < step.text.size(); ++i) {
          std::string_view one(step.text.data() + i, 1);
          const bool ok = co_await c.write(one);
          if (!ok) {
            note("!! write failed");
            co_return false;
          }
          asio::steady_timer timer(c.get_executor(), step.ms);
          co_await timer.async_wait(net::use_awaitable);
        }
        co_return true;
      }
      case Step::Kind::expect: {
        net::ReadResult r = co_await c.read_line(4096);
        if (!r.ok()) {
          note("!! expected " + step.text + ", got <" + net::to_string(r.status) + ">");
          co_return false;
        }
        note("C: " + r.line);
        if (r.line.rfind(step.text, 0) != 0) {
          note("!! expected " + step.text);
          co_return false;
        }
        co_return true;
      }
      case Step::Kind::quiet: {
        if (!c.buffered().empty()) {
          note("!! client sent ahead: " + visible(c.buffered()));
          co_return false;
        }
        c.set_timeout(step.ms);
        const net::Status st = co_await c.fill();
        c.set_timeout(5s);
        if (st == net::Status::timeout) co_return true;
        note(st == net::Status::ok ? "!! client sent ahead: " + visible(c.buffered())
                                   : std::string("!! ") + net::to_string(st));
        co_return false;
      }
      case Step::Kind::data: {
        std::string got;
        for (;;) {
          got.append(c.buffered());
          c.consume(c.buffered().size());
          const size_t end = ("\r\n" + got).find("\r\n.\r\n");
          if (end != std::string::npos) {
            const size_t stop = end + 3;
            const std::string extra = got.substr(stop);
            got.resize(stop);
            note("D: " + visible(got));
            if (!extra.empty()) note("!! after the data: " + visible(extra));
            co_return extra.empty();
          }
          const net::Status st = co_await c.fill();
          if (st != net::Status::ok) {
            note("D: " + visible(got) + " <" + net::to_string(st) + ">");
            co_return false;
          }
        }
      }
      case Step::Kind::starttls: {
        const bool ok = co_await c.start_tls(*tls_);
        note(ok ? "S: tls" : "!! server handshake failed");
        co_return ok;
      }
      case Step::Kind::pause: {
        asio::steady_timer timer(c.get_executor(), step.ms);
        co_await timer.async_wait(net::use_awaitable);
        co_return true;
      }
      case Step::Kind::wait_close: {
        for (;;) {
          net::ReadResult r = co_await c.read_line(4096);
          if (r.ok()) {
            note("C: " + r.line);
            continue;
          }
          note(std::string("C: <") + net::to_string(r.status) + ">");
          co_return r.status == net::Status::eof;
        }
      }
    }
    co_return false;
  }

  Script script_;
  asio::ssl::context* tls_;
  std::mutex mu_;
  std::string log_;
  std::atomic<bool> started_{false};
  std::promise<void> done_;
  std::future<void> done_future_;
  std::optional<net::test::Fixture> fixture_;  // last: its sessions use the members above
};

// ---- the client side --------------------------------------------------------

/// A body from fixed chunks; fails with `error` instead of chunk `fail_at`
/// when set.
class ChunkBody : public BodySource {
 public:
  explicit ChunkBody(std::vector<std::string> chunks, size_t fail_at = SIZE_MAX)
      : chunks_(std::move(chunks)), fail_at_(fail_at) {}
  awaitable<common::Result<std::string>> next() override {
    if (next_ == fail_at_) co_return common::Error{common::ErrorCode::unavailable, "blob 7 chunk 2: database gone"};
    if (next_ >= chunks_.size()) co_return std::string();
    co_return chunks_[next_++];
  }

 private:
  std::vector<std::string> chunks_;
  size_t fail_at_;
  size_t next_ = 0;
};

/// Options with test-sized timeouts (a broken test fails in seconds).
inline ClientOptions test_options() {
  ClientOptions o;
  o.helo_name = "client.test.example";
  o.tls = TlsPolicy::none;
  o.greeting_timeout = o.ehlo_timeout = o.mail_timeout = o.rcpt_timeout = 5000ms;
  o.data_init_timeout = o.data_block_timeout = o.data_end_timeout = 5000ms;
  o.starttls_timeout = o.auth_timeout = o.rset_timeout = 5000ms;
  o.quit_timeout = 2000ms;
  return o;
}

/// "delivered 2.0.0 250 2.0.0 Ok" (kind, enhanced code, text), one outcome a
/// line; the code is in the text when it is the server's, else "(local)".
inline std::string show(const std::vector<RecipientOutcome>& outcomes) {
  std::string out;
  for (const auto& o : outcomes) {
    out += to_string(o.kind);
    out += " " + o.enhanced + " " + o.text;
    if (o.code == 0) out += " (local)";
    else if (o.text.rfind(std::to_string(o.code), 0) != 0) out += " (code " + std::to_string(o.code) + ")";
    out += "\n";
  }
  return out;
}

/// "error stage=ehlo temp code=0 4.5.0 bad reply to EHLO: bad_code".
inline std::string show(const SessionError& e) {
  return "error stage=" + e.stage + (e.permanent ? " perm" : " temp") + " code=" + std::to_string(e.code) + " " +
         e.enhanced + " " + e.text;
}

/// What the test does with an open session; returns its own description.
using SessionBody = std::function<awaitable<std::string>(ClientSession&)>;

/// Connects to 127.0.0.1:port, opens a session with `opts`, runs `body`,
/// quits. Returns show(SessionError) when open() fails, else the body's text.
inline std::string run_client(uint16_t port, ClientOptions opts, SessionBody body) {
  return run_coro([port, opts = std::move(opts), body = std::move(body)]() -> awaitable<std::string> {
    net::ConnectOptions co;
    co.host = "127.0.0.1";
    co.port = port;
    co.io_timeout = 5s;
    auto conn = co_await net::connect(co);
    if (!conn) co_return "connect failed: " + conn.error().message;
    std::shared_ptr<net::Connection> c = *conn;
    auto opened = co_await ClientSession::open(c, opts);
    if (auto* e = std::get_if<SessionError>(&opened)) {
      std::string out = show(*e);
      co_return out + (c->is_open() ? " [left open]" : "");
    }
    ClientSession& s = *std::get<std::unique_ptr<ClientSession>>(opened);
    std::string out = co_await body(s);
    co_await s.quit();
    co_return out;
  });
}

/// send() once and show the outcomes.
inline awaitable<std::string> send_one(ClientSession& s, const OutboundMessage& msg,
                                       const std::vector<std::string>& chunks) {
  ChunkBody body(chunks);
  std::vector<RecipientOutcome> got = co_await s.send(msg, body);
  co_return show(got);
}

}  // namespace mail::smtp::client::test
