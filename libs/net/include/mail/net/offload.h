// SPDX-License-Identifier: Apache-2.0
// offload.h: run blocking work (synchronous gRPC calls, libpqxx, blocking
// hiredis, password hashing) on a thread pool from a coroutine, and resume
// the coroutine on its own executor (its strand) with the result.
//
// Rule: I/O threads must never block. Anything that can wait on the network,
// a disk or a lock held by another thread goes through offload(); the pool is
// bounded (Runtime::blocking()), so a slow database queues work there instead
// of freezing every session.
//
// Exceptions thrown by the work are rethrown in the awaiting coroutine.
// The work runs while the coroutine is suspended, so it may safely use
// references to the coroutine's locals; it must not touch the Connection
// (that belongs to the strand).
#pragma once
#include "mail/net/asio.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace mail::net {

namespace detail {

// Posts `work` to `pool`; when it has run, completes `handler` with the
// exception it threw (or none) on the handler's own executor. The handler's
// executor is kept "working" meanwhile, so its io_context does not run dry.
template <class Work, class Handler>
void post_blocking(asio::thread_pool& pool, Work work, Handler handler) {
  auto home = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
  asio::post(pool, [work = std::move(work), handler = std::move(handler), home = std::move(home)]() mutable {
    std::exception_ptr error;
    try {
      work();
    } catch (...) {
      error = std::current_exception();
    }
    asio::post(home, [handler = std::move(handler), error]() mutable { handler(error); });
  });
}

}  // namespace detail

/// Run `f()` on `pool` and co_return its result (void allowed; a returned
/// reference is copied). Usage:
///   auto ok = co_await net::offload(rt.blocking(), [&] { return db.ping(); });
template <class F>
auto offload(asio::thread_pool& pool, F f) -> awaitable<std::remove_cvref_t<std::invoke_result_t<F&>>> {
  using R = std::remove_cvref_t<std::invoke_result_t<F&>>;
  if constexpr (std::is_void_v<R>) {
    co_await asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr)>(
        [&pool, &f](auto handler) {
          detail::post_blocking(
              pool, [&f] { f(); }, std::move(handler));
        },
        use_awaitable);
  } else {
    std::optional<R> result;
    co_await asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr)>(
        [&pool, &f, &result](auto handler) {
          detail::post_blocking(
              pool, [&f, &result] { result.emplace(f()); }, std::move(handler));
        },
        use_awaitable);
    co_return std::move(*result);
  }
}

}  // namespace mail::net
