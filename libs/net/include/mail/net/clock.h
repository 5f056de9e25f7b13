// SPDX-License-Identifier: Apache-2.0
// clock.h: the time source of every engine deadline (read and write
// timeouts, the idle and command timeouts, TLS handshake and PROXY header
// timeouts, wait_wake()), and the timer type that waits on it.
//
// In production net::Clock is std::chrono::steady_clock. Tests may move it
// forward (testing::advance_clock()), so that a five-minute idle timeout is
// tested as five minutes, without waiting five minutes or shortening the
// option to make the test fast. Asio takes a timer's clock as a type, whose
// now() is static: the offset is therefore process-wide. It only ever
// grows, and only tests move it (each test binary runs its cases in
// separate processes under CTest).
//
// Once a test has called use_test_clock() (before it starts the servers
// whose timers it will move), waits are cut into slices of at most
// kTestSlice, so that a timer notices a jump soon after it happens; without
// it (always, in production) a timer waits exactly as long as it must.
//
// Trusts: nothing; thread-safe.
#pragma once
#include "mail/net/asio.h"  // first: it orders the Boost includes

#include <atomic>
#include <chrono>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/wait_traits.hpp>

namespace mail::net {

struct Clock {
  using base = std::chrono::steady_clock;
  using duration = base::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock, duration>;
  static constexpr bool is_steady = true;

  static time_point now() noexcept {
    return time_point(base::now().time_since_epoch() + duration(offset_.load(std::memory_order_relaxed)));
  }

  /// How far tests have moved the clock; 0 in production.
  static duration offset() noexcept { return duration(offset_.load(std::memory_order_relaxed)); }
  /// True once a test has called use_test_clock().
  static bool for_tests() noexcept { return for_tests_.load(std::memory_order_relaxed); }

 private:
  friend void use_test_clock();
  friend void advance_clock_for_tests(duration by);
  static inline std::atomic<rep> offset_{0};
  static inline std::atomic<bool> for_tests_{false};
};

/// Waits in slices once a test uses the test clock (see above).
struct ClockWaitTraits {
  static constexpr auto kTestSlice = std::chrono::milliseconds(2);
  static Clock::duration to_wait_duration(const Clock::duration& d) {
    if (!Clock::for_tests() || d <= kTestSlice) return d;
    return kTestSlice;
  }
  static Clock::duration to_wait_duration(const Clock::time_point& t) { return to_wait_duration(t - Clock::now()); }
};

/// The timer of every engine deadline.
using Timer = boost::asio::basic_waitable_timer<Clock, ClockWaitTraits>;

/// For tests only: from now on timers notice advance_clock_for_tests().
/// Call it before arming the timers a test will move.
inline void use_test_clock() { Clock::for_tests_.store(true, std::memory_order_relaxed); }

/// Moves net::Clock forward by `by` (>= 0). For tests only; implies
/// use_test_clock() (but timers armed before it may not notice the jump).
inline void advance_clock_for_tests(Clock::duration by) {
  if (by.count() <= 0) return;
  use_test_clock();
  Clock::offset_.fetch_add(by.count(), std::memory_order_relaxed);
}

}  // namespace mail::net
