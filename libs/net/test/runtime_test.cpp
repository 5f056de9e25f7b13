// SPDX-License-Identifier: Apache-2.0
// runtime_test.cpp: when Runtime::run() returns, no session coroutine is left
// that could refer to the caller's objects: sessions still suspended (here
// one waiting for a line that never comes) are destroyed inside run().
#include "mail/net/runtime.h"

#include <gtest/gtest.h>

#include <atomic>

#include "mail/net/server.h"
#include "test_support.h"

namespace mail::net::test {
namespace {

struct Tracked {
  explicit Tracked(std::atomic<int>& n) : alive(n) { ++alive; }
  ~Tracked() { --alive; }
  std::atomic<int>& alive;
};

TEST(Runtime, RunReturnsOnlyAfterSuspendedSessionsAreDestroyed) {
  std::atomic<int> alive{0};
  std::atomic<bool> started{false};
  int after_run = -1;
  {
    Runtime rt(2, 1);
    ServerOptions o;
    o.address = "127.0.0.1";
    Server server(rt.io(), o, [&](Connection& c) -> awaitable<void> {
      auto t = std::make_shared<Tracked>(alive);
      started = true;
      co_await c.read_line(100);  // never answered
    });
    server.start();
    const uint16_t port = server.port();
    std::thread client([&] {
      Client c(port);
      while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      rt.request_stop();  // no on_stop: the io_context stops at once
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    });
    rt.run();
    after_run = alive.load();
    client.join();
  }
  EXPECT_EQ(after_run, 0);
}

}  // namespace
}  // namespace mail::net::test
