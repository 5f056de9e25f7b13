// SPDX-License-Identifier: Apache-2.0
// session_test.cpp: the shared session loop on raw wire text, through a toy
// protocol that uses every part of the engine: pipelined commands, literals
// of both kinds (IMAP style "{N}" and "{N+}"), frames split at every byte,
// oversized lines and literals, idle and command timeouts, the error limit,
// drain with sessions at the prompt, inside a command and inside a
// transaction, and the wake-up channel.
#include "mail/net/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <charconv>

#include "mail/net/clock.h"
#include "mail/net/command_table.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

// The toy protocol. Commands: PING, BAD (an error), BEGIN/END (a
// transaction: drain waits for END), SLOW (waits for wake() or 2 s inside
// the command), AUTH (reads one continuation line), LIT ... (echoes the
// whole frame, literals included), QUIT.
class Toy : public Session {
 public:
  enum class Verb { kPing, kBad, kBegin, kEnd, kSlow, kAuth, kLit, kQuit, kWait };
  enum class State { kIdle, kInTransaction };

  Toy(Connection& c, SessionRegistry& r, SessionOptions o, std::atomic<int>* alive)
      : Session(c, r, o), alive_(alive) {
    if (alive_) ++*alive_;
  }
  ~Toy() override {
    if (alive_) --*alive_;
  }

 protected:
  awaitable<void> start() override {
    if (drain_requested()) {
      send(drain_goodbye());
      close_after_flush();
    } else {
      send("+ hi\r\n");
    }
    co_return;
  }

  awaitable<void> on_frame(std::string frame) override {
    std::string_view verb_text = std::string_view(frame).substr(0, frame.find(' '));
    static const std::pair<std::string_view, Verb> kNames[] = {
        {"PING", Verb::kPing}, {"BAD", Verb::kBad},   {"BEGIN", Verb::kBegin}, {"END", Verb::kEnd},
        {"SLOW", Verb::kSlow}, {"AUTH", Verb::kAuth}, {"LIT", Verb::kLit},     {"QUIT", Verb::kQuit},
        {"WAIT", Verb::kWait}};
    const Row* row = nullptr;
    for (auto& [name, v] : kNames)
      if (name == verb_text) row = find_command(kTable, v);
    if (!row) {
      send_error("- unknown\r\n");
      co_return;
    }
    if (!row->allowed_in(state_)) {
      send_error("- not now\r\n");
      co_return;
    }
    co_await (this->*(row->handler))(frame);
  }

  void on_line_too_long() override { send_error("- line too long\r\n"); }
  void on_frame_too_long() override { send_error("- literal too big\r\n"); }
  FrameParse parse_frame(std::string_view line) override {
    // "... {N}" or "... {N+}" at the end of the line announces a literal.
    if (line.empty() || line.back() != '}') return {};
    size_t open = line.rfind('{');
    if (open == std::string_view::npos) return {};
    std::string_view inside = line.substr(open + 1, line.size() - open - 2);
    bool plus = !inside.empty() && inside.back() == '+';
    if (plus) inside.remove_suffix(1);
    size_t n = 0;
    auto [p, ec] = std::from_chars(inside.data(), inside.data() + inside.size(), n);
    if (ec != std::errc() || p != inside.data() + inside.size()) return {};
    return {FrameParse::kLiteral, n, !plus};
  }
  std::string continuation() override { return "+ go on\r\n"; }
  std::string idle_goodbye() override { return "- idle, bye\r\n"; }
  std::string timeout_goodbye() override { return "- timeout in command\r\n"; }
  std::string drain_goodbye() override { return "- shutting down\r\n"; }
  std::string errors_goodbye(std::string) override { return "- too many errors\r\n"; }
  bool busy() const override { return state_ == State::kInTransaction; }

 private:
  using Handler = awaitable<void> (Toy::*)(const std::string&);
  using Row = CommandRow<Verb, Handler>;
  static constexpr uint32_t kAny = states({State::kIdle, State::kInTransaction});
  static const CommandTable<Verb, Handler, 9> kTable;

  awaitable<void> ping(const std::string&) {
    send("+ pong\r\n");
    co_return;
  }
  awaitable<void> bad(const std::string&) {
    send_error("- bad\r\n");
    co_return;
  }
  awaitable<void> begin(const std::string&) {
    state_ = State::kInTransaction;
    send("+ begun\r\n");
    co_return;
  }
  awaitable<void> end(const std::string&) {
    state_ = State::kIdle;
    send("+ ended\r\n");
    co_return;
  }
  awaitable<void> slow(const std::string&) {
    bool woken = co_await wait_wake(std::chrono::seconds(2));
    send(woken ? "+ woken\r\n" : "+ waited\r\n");
  }
  awaitable<void> auth(const std::string&) {
    send("+ send it\r\n");
    ReadResult r = co_await read_line(20);
    if (r.status == Status::too_long)
      send_error("- response too long\r\n");
    else if (r.ok())
      send("+ got " + r.line + "\r\n");
  }
  awaitable<void> lit(const std::string& frame) {
    std::string shown;
    for (char c : frame) shown += c == '\r' ? std::string("\\r") : c == '\n' ? std::string("\\n") : std::string(1, c);
    send("+ [" + shown + "]\r\n");
    co_return;
  }
  // One wait_input_or_wake(300ms), reported; after input, the line read.
  awaitable<void> wait(const std::string&) {
    send("+ waiting\r\n");
    const bool written = co_await flush();
    if (!written) co_return;
    const Waited w = co_await wait_input_or_wake(std::chrono::milliseconds(300));
    switch (w) {
      case Waited::kInput: {
        send("+ wait input\r\n");
        ReadResult r = co_await read_line(20);
        if (r.ok()) send("+ read " + r.line + "\r\n");
        break;
      }
      case Waited::kWake: send("+ wait wake\r\n"); break;
      case Waited::kTimeout: send("+ wait timeout\r\n"); break;
      case Waited::kClosed: send("+ wait closed\r\n"); break;
    }
  }
  awaitable<void> quit(const std::string&) {
    send("+ bye\r\n");
    close_after_flush();
    co_return;
  }

  State state_ = State::kIdle;
  std::atomic<int>* alive_;
};

const CommandTable<Toy::Verb, Toy::Handler, 9> Toy::kTable = {{
    {Verb::kPing, kAny, &Toy::ping},
    {Verb::kBad, kAny, &Toy::bad},
    {Verb::kBegin, states({State::kIdle}), &Toy::begin},
    {Verb::kEnd, states({State::kInTransaction}), &Toy::end},
    {Verb::kSlow, kAny, &Toy::slow},
    {Verb::kAuth, states({State::kIdle}), &Toy::auth},
    {Verb::kLit, kAny, &Toy::lit},
    {Verb::kQuit, kAny, &Toy::quit},
    {Verb::kWait, kAny, &Toy::wait},
}};

struct ToyServer {
  explicit ToyServer(SessionOptions o = {}, std::atomic<int>* alive = nullptr)
      : fixture([this, o, alive](Connection& c) -> awaitable<void> {
          auto s = std::make_shared<Toy>(c, registry, o, alive);
          {
            std::lock_guard lock(mu);
            last = s;
          }
          co_await s->run();
        }) {}
  uint16_t port() const { return fixture.port(); }
  std::shared_ptr<Toy> last_session() {
    std::lock_guard lock(mu);
    return last.lock();
  }
  SessionRegistry registry;
  std::mutex mu;
  std::weak_ptr<Toy> last;
  Fixture fixture;
};

SessionOptions small() {
  SessionOptions o;
  o.max_line = 40;
  o.max_frame = 100;
  o.max_errors = 3;
  return o;
}

bool eventually(const std::function<bool()>& cond) {
  auto end = std::chrono::steady_clock::now() + 5s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Session, PipelinedCommandsAreAnsweredInOrder) {
  ToyServer srv(small());
  Client c(srv.port());
  EXPECT_EQ(c.line(), "+ hi\r\n");
  ASSERT_TRUE(c.send("PING\r\nBEGIN\r\nPING\r\nEND\r\nQUIT\r\n"));
  EXPECT_EQ(c.line(), "+ pong\r\n");
  EXPECT_EQ(c.line(), "+ begun\r\n");
  EXPECT_EQ(c.line(), "+ pong\r\n");
  EXPECT_EQ(c.line(), "+ ended\r\n");
  EXPECT_EQ(c.line(), "+ bye\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Session, CommandTableRefusesAVerbInTheWrongState) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("END\r\nBEGIN\r\nBEGIN\r\nQUIT\r\n"));
  EXPECT_EQ(c.line(), "- not now\r\n");
  EXPECT_EQ(c.line(), "+ begun\r\n");
  EXPECT_EQ(c.line(), "- not now\r\n");
  EXPECT_EQ(c.line(), "+ bye\r\n");
}

TEST(Session, SynchronizingLiteralGetsAContinuationFirst) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("LIT a {5}\r\n"));
  EXPECT_EQ(c.line(), "+ go on\r\n");
  ASSERT_TRUE(c.send("ab\r\nc tail\r\n"));
  EXPECT_EQ(c.line(), "+ [LIT a {5}\\r\\nab\\r\\nc tail]\r\n");
}

TEST(Session, NonSynchronizingLiteralsChainWithoutContinuation) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  // The first literal's octets end in "}": only the line after it counts.
  ASSERT_TRUE(c.send("LIT {3+}\r\n{1}x {2+}\r\nyz\r\nPING\r\n"));
  EXPECT_EQ(c.line(), "+ [LIT {3+}\\r\\n{1}x {2+}\\r\\nyz]\r\n");
  EXPECT_EQ(c.line(), "+ pong\r\n");
}

TEST(Session, AFrameSplitAtEveryByteGivesTheSameAnswer) {
  const std::string wire = "LIT q {4+}\r\nA\r\nB rest {2+}\r\nok\r\nPING\r\n";
  const std::string want1 = "+ [LIT q {4+}\\r\\nA\\r\\nB rest {2+}\\r\\nok]\r\n";
  ToyServer srv(small());
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    Client c(srv.port());
    ASSERT_EQ(c.line(), "+ hi\r\n");
    ASSERT_TRUE(c.send(wire.substr(0, cut)));
    std::this_thread::sleep_for(2ms);
    ASSERT_TRUE(c.send(wire.substr(cut)));
    EXPECT_EQ(c.line(), want1) << "cut at " << cut;
    EXPECT_EQ(c.line(), "+ pong\r\n") << "cut at " << cut;
  }
}

TEST(Session, OverlongLineIsRefusedAndTheSessionGoesOn) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send(std::string(41, 'x') + "\r\nPING\r\n"));
  EXPECT_EQ(c.line(), "- line too long\r\n");
  EXPECT_EQ(c.line(), "+ pong\r\n");
  // Exactly max_line is fine.
  ASSERT_TRUE(c.send("LIT " + std::string(36, 'y') + "\r\n"));
  EXPECT_EQ(c.line(), "+ [LIT " + std::string(36, 'y') + "]\r\n");
}

TEST(Session, OversizedSynchronizingLiteralIsRefusedWithoutReadingIt) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("LIT {500}\r\n"));
  EXPECT_EQ(c.line(), "- literal too big\r\n");
  ASSERT_TRUE(c.send("PING\r\n"));
  EXPECT_EQ(c.line(), "+ pong\r\n");
}

TEST(Session, OversizedNonSynchronizingLiteralEndsTheSession) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("LIT {500+}\r\n" + std::string(100, 'z')));
  EXPECT_EQ(c.line(), "- literal too big\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Session, ErrorLimitEndsWithTheProtocolsGoodbye) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("BAD\r\nNOPE\r\nBAD\r\nPING\r\n"));
  EXPECT_EQ(c.line(), "- bad\r\n");
  EXPECT_EQ(c.line(), "- unknown\r\n");
  EXPECT_EQ(c.line(), "- too many errors\r\n");
  EXPECT_TRUE(c.closed());
}

// Timeouts run on net::Clock, which the tests move forward: the options are
// the production defaults (five minutes), and no test waits for them.
/// Moves the clock forward a `step` at a time until `c` receives a line, or
/// `limit` in all; returns the line and how far the clock was moved. The
/// lower bound is exact: a deadline armed before the first step cannot fire
/// before the clock has moved its length.
std::pair<std::string, Duration> advance_until_line(Client& c, Duration step, Duration limit) {
  Duration moved{0};
  while (moved <= limit) {
    std::string l = c.line(20ms);
    if (l != "<timeout>") return {l, moved};
    advance_clock_for_tests(step);
    moved += step;
  }
  return {"<timeout>", moved};
}

TEST(Session, IdleTimeoutSaysGoodbye) {
  use_test_clock();
  SessionOptions o = small();
  o.idle_timeout = 5min;
  ToyServer srv(o);
  Client c(srv.port());
  c.line();
  auto [line, moved] = advance_until_line(c, 10s, 6min);
  EXPECT_EQ(line, "- idle, bye\r\n");
  EXPECT_GE(moved, 5min);
  EXPECT_LE(moved, 5min + 30s);
  EXPECT_TRUE(c.closed());
}

TEST(Session, ACommandStartsTheIdleTimeoutAfresh) {
  use_test_clock();
  SessionOptions o = small();
  o.idle_timeout = 5min;
  ToyServer srv(o);
  Client c(srv.port());
  c.line();
  auto [none, moved] = advance_until_line(c, 10s, 4min);
  EXPECT_EQ(none, "<timeout>");
  ASSERT_TRUE(c.send("PING\r\n"));
  EXPECT_EQ(c.line(), "+ pong\r\n");
  // Four minutes were used before the PING: the goodbye needs five more.
  auto [line, again] = advance_until_line(c, 10s, 6min);
  EXPECT_EQ(line, "- idle, bye\r\n");
  EXPECT_GE(again, 5min);
}

TEST(Session, CommandTimeoutInsideACommandSaysItsOwnGoodbye) {
  use_test_clock();
  SessionOptions o = small();
  o.idle_timeout = 10min;
  o.command_timeout = 3min;
  ToyServer srv(o);
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("AUTH\r\n"));
  EXPECT_EQ(c.line(), "+ send it\r\n");
  auto [line, moved] = advance_until_line(c, 10s, 11min);
  EXPECT_EQ(line, "- timeout in command\r\n");
  EXPECT_GE(moved, 3min);
  EXPECT_LE(moved, 3min + 30s);
  EXPECT_TRUE(c.closed());
}

TEST(Session, WaitForAWakeUpEndsOnTheClock) {
  use_test_clock();
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("SLOW\r\n"));
  auto [line, moved] = advance_until_line(c, 250ms, 10s);
  EXPECT_EQ(line, "+ waited\r\n");
  EXPECT_GE(moved, 2s);
}

TEST(Session, ContinuationLineHasItsOwnBound) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("AUTH\r\n"));
  EXPECT_EQ(c.line(), "+ send it\r\n");
  ASSERT_TRUE(c.send(std::string(21, 'a') + "\r\nAUTH\r\n"));
  EXPECT_EQ(c.line(), "- response too long\r\n");
  EXPECT_EQ(c.line(), "+ send it\r\n");
  ASSERT_TRUE(c.send("secret\r\n"));
  EXPECT_EQ(c.line(), "+ got secret\r\n");
}

TEST(Session, WakeRousesAWaitingCommand) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("SLOW\r\n"));
  std::this_thread::sleep_for(50ms);
  auto s = srv.last_session();
  ASSERT_TRUE(s);
  s->wake();
  EXPECT_EQ(c.line(1000ms), "+ woken\r\n");
  // A wake-up before the wait is not lost.
  s->wake();
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send("SLOW\r\n"));
  EXPECT_EQ(c.line(1000ms), "+ woken\r\n");
}

TEST(Session, WaitForInputOrWakeReportsWhichCameFirst) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("WAIT\r\n"));
  EXPECT_EQ(c.line(), "+ waiting\r\n");
  EXPECT_EQ(c.line(2000ms), "+ wait timeout\r\n");
  ASSERT_TRUE(c.send("WAIT\r\n"));
  EXPECT_EQ(c.line(), "+ waiting\r\n");
  ASSERT_TRUE(c.send("hello\r\n"));
  EXPECT_EQ(c.line(), "+ wait input\r\n");
  EXPECT_EQ(c.line(), "+ read hello\r\n");
  ASSERT_TRUE(c.send("WAIT\r\n"));
  EXPECT_EQ(c.line(), "+ waiting\r\n");
  auto s = srv.last_session();
  ASSERT_TRUE(s);
  s->wake();
  EXPECT_EQ(c.line(250ms), "+ wait wake\r\n") << "before the 300ms are up";
  // A wake-up that came first, and input already buffered, end the wait at once.
  s->wake();
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send("WAIT\r\n"));
  EXPECT_EQ(c.line(), "+ waiting\r\n");
  EXPECT_EQ(c.line(250ms), "+ wait wake\r\n");
  ASSERT_TRUE(c.send("WAIT\r\nnext\r\n"));
  EXPECT_EQ(c.line(), "+ waiting\r\n");
  EXPECT_EQ(c.line(250ms), "+ wait input\r\n");
  EXPECT_EQ(c.line(), "+ read next\r\n");
  // The session still answers normally afterwards.
  ASSERT_TRUE(c.send("PING\r\n"));
  EXPECT_EQ(c.line(), "+ pong\r\n");
}

TEST(Session, DrainEndsAWaitForInput) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("WAIT\r\n"));
  EXPECT_EQ(c.line(), "+ waiting\r\n");
  srv.registry.drain();
  EXPECT_EQ(c.line(250ms), "+ wait closed\r\n");
  EXPECT_EQ(c.line(), "- shutting down\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Session, DrainClosesASessionAtThePromptAtOnce) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(eventually([&] { return srv.registry.size() == 1; }));
  srv.registry.drain();
  EXPECT_EQ(c.line(), "- shutting down\r\n");
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(eventually([&] { return srv.registry.size() == 0; }));
}

TEST(Session, DrainLetsTheCurrentCommandFinishFirst) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("SLOW\r\n"));
  std::this_thread::sleep_for(50ms);
  srv.registry.drain();  // also ends the wait early (not a wake-up)
  EXPECT_EQ(c.line(), "+ waited\r\n");
  EXPECT_EQ(c.line(), "- shutting down\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Session, DrainWaitsForTheTransactionToEnd) {
  ToyServer srv(small());
  Client c(srv.port());
  c.line();
  ASSERT_TRUE(c.send("BEGIN\r\n"));
  EXPECT_EQ(c.line(), "+ begun\r\n");
  srv.registry.drain();
  ASSERT_TRUE(c.send("PING\r\n"));
  EXPECT_EQ(c.line(), "+ pong\r\n");
  ASSERT_TRUE(c.send("END\r\n"));
  EXPECT_EQ(c.line(), "+ ended\r\n");
  EXPECT_EQ(c.line(), "- shutting down\r\n");
  EXPECT_TRUE(c.closed());
}

TEST(Session, ANewSessionWhileDrainingSaysGoodbye) {
  ToyServer srv(small());
  srv.registry.drain();
  Client c(srv.port());
  EXPECT_EQ(c.line(), "- shutting down\r\n");
  EXPECT_TRUE(c.closed());
}

}  // namespace
}  // namespace mail::net::test
