// SPDX-License-Identifier: Apache-2.0
// offload_test.cpp: blocking work on the pool (value, void, exception,
// resumption on the caller's strand) and the Runtime's stop sequence.
#include "mail/net/offload.h"
#include "mail/net/runtime.h"
#include "test_support.h"

#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <csignal>

namespace mail::net::test {
namespace {

using Strand = asio::strand<asio::io_context::executor_type>;

TEST(Offload, ReturnsValueFromPoolThreadAndResumesOnStrand) {
  IoThread io(2);
  asio::thread_pool pool(2);
  Strand strand = asio::make_strand(io.io);
  auto fut = asio::co_spawn(
      strand,
      [&]() -> awaitable<std::string> {
        auto caller = std::this_thread::get_id();
        std::thread::id worker;
        std::string v = co_await offload(pool, [&] {
          worker = std::this_thread::get_id();
          std::this_thread::sleep_for(20ms);  // blocking is allowed here
          return std::string("from pool");
        });
        if (worker == caller) co_return "ran on the I/O thread";
        if (!strand.running_in_this_thread()) co_return "resumed off the strand";
        co_return v;
      },
      asio::use_future);
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fut.get(), "from pool");
}

TEST(Offload, VoidAndExceptions) {
  IoThread io(1);
  asio::thread_pool pool(1);
  auto fut = asio::co_spawn(
      io.io,
      [&]() -> awaitable<std::string> {
        int side_effect = 0;
        co_await offload(pool, [&] { side_effect = 42; });
        if (side_effect != 42) co_return "void work did not run";
        try {
          co_await offload(pool, []() -> int { throw std::runtime_error("db down"); });
          co_return "no exception";
        } catch (const std::runtime_error& e) {
          co_return std::string("caught ") + e.what();
        }
      },
      asio::use_future);
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fut.get(), "caught db down");
}

TEST(Offload, MoveOnlyResult) {
  IoThread io(1);
  asio::thread_pool pool(1);
  auto fut = asio::co_spawn(
      io.io,
      [&]() -> awaitable<int> {
        std::unique_ptr<int> p = co_await offload(pool, [] { return std::make_unique<int>(7); });
        co_return *p;
      },
      asio::use_future);
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fut.get(), 7);
}

TEST(Offload, ManyConcurrentCallsOnABoundedPool) {
  IoThread io(2);
  asio::thread_pool pool(3);
  std::atomic<int> running{0}, peak{0}, done{0};
  for (int i = 0; i < 30; ++i) {
    asio::co_spawn(
        asio::make_strand(io.io),
        [&]() -> awaitable<void> {
          co_await offload(pool, [&] {
            int now = ++running;
            int p = peak.load();
            while (now > p && !peak.compare_exchange_weak(p, now)) {
            }
            std::this_thread::sleep_for(5ms);
            --running;
          });
          ++done;
        },
        asio::detached);
  }
  auto end = std::chrono::steady_clock::now() + 10s;
  while (done.load() < 30 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(done.load(), 30);
  EXPECT_LE(peak.load(), 3);
}

TEST(Runtime, RequestStopRunsTheStopCoroutineOnce) {
  Runtime rt(2, 1);
  std::atomic<int> stops{0};
  std::atomic<bool> offloaded{false};
  rt.on_stop([&]() -> awaitable<void> {
    ++stops;
    co_await offload(rt.blocking(), [&] { offloaded = true; });
  });
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    rt.request_stop();
    rt.request_stop();
  });
  rt.run();
  stopper.join();
  EXPECT_EQ(stops.load(), 1);
  EXPECT_TRUE(offloaded.load());
}

TEST(Runtime, SigtermStops) {
  Runtime rt(1, 1);
  std::atomic<int> stops{0};
  rt.on_stop([&]() -> awaitable<void> {
    ++stops;
    co_return;
  });
  asio::post(rt.io(), [] { std::raise(SIGTERM); });
  rt.run();
  EXPECT_EQ(stops.load(), 1);
}

}  // namespace
}  // namespace mail::net::test
