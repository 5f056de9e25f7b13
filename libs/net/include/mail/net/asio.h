// SPDX-License-Identifier: Apache-2.0
// asio.h: the one place that pulls in Boost.Asio for the mail libraries.
// Boost 1.74 under g++ 12 needs <utility> before Asio's awaitable headers, so
// include this header instead of Asio directly. Also names the few Asio types
// every protocol session uses, to keep signatures short.
#pragma once
// clang-format off
#include <utility>  // must precede Asio (Boost 1.74 awaitable + g++ 12)
// clang-format on

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace mail::net {

namespace asio = boost::asio;
template <class T>
using awaitable = boost::asio::awaitable<T>;
using boost::asio::use_awaitable;
using Executor = boost::asio::any_io_executor;
using Duration = std::chrono::steady_clock::duration;

}  // namespace mail::net
