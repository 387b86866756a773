#pragma once
// The one way gquic code includes Boost.Asio. Only I/O drivers include this header (they link
// gquic::asio); protocol cores never do.
//
// Conventions every driver follows:
//   * one `boost::asio::io_context` per thread that runs drivers; objects bound to it are used
//     only from that thread (no locks on the data path);
//   * drivers are C++20 coroutines (`awaitable<T>`) started with `co_spawn(..., detached)` or
//     with a completion handler that logs the error;
//   * OS errors do not throw: await with `nothrow` (as_tuple) and get `[error_code, ...]`;
//   * a driver owns its sockets and timers and is stopped by closing them (which completes
//     pending operations with operation_aborted) — never by destroying a running coroutine.

#include <utility>  // Boost 1.74-era awaitable.hpp used std::exchange without including it

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gquic::asio {

namespace net = boost::asio;
template <typename T = void>
using awaitable = boost::asio::awaitable<T>;

// `co_await op(..., nothrow)` yields a tuple whose first element is the error_code.
inline constexpr auto nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace gquic::asio
