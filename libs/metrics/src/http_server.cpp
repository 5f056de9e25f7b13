// SPDX-License-Identifier: Apache-2.0
// http_server.cpp: /metrics, /healthz and /readyz over HTTP/1.x. Requests
// are parsed by Beast's request_parser fed from the Connection's bounded
// buffer; responses are Beast messages serialized and written with the
// Connection's write timeout. The readiness callback runs on the blocking
// pool. Trusts nothing from the client.
#include "mail/metrics/http_server.h"

#include <boost/beast/http.hpp>
#include <algorithm>
#include <optional>
#include <sstream>

#include "mail/common/log.h"
#include "mail/net/offload.h"

namespace mail::metrics {

namespace http = boost::beast::http;
using net::Connection;
using net::Status;

struct HttpServer::Impl {
  net::asio::thread_pool& blocking;
  HttpOptions opts;
  Registry& registry;
  std::function<bool()> ready;
};

namespace {

constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kTextType = "text/plain; charset=utf-8";

struct Reply {
  http::status status = http::status::ok;
  std::string content_type = kTextType;
  std::string body;
};

std::string render(const Reply& r, unsigned version, bool keep_alive, bool head) {
  http::response<http::string_body> res{r.status, version};
  res.set(http::field::server, "mail");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  if (r.status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
  res.keep_alive(keep_alive);
  res.content_length(r.body.size());
  if (!head) res.body() = r.body;  // HEAD: same headers, no body
  std::ostringstream out;
  out << res;
  return out.str();
}

net::awaitable<Reply> route(HttpServer::Impl& impl, const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    co_return Reply{http::status::method_not_allowed, kTextType, "method not allowed\n"};
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find('?'));
  if (target == "/metrics") co_return Reply{http::status::ok, kMetricsType, impl.registry.serialize()};
  if (target == "/healthz") co_return Reply{http::status::ok, kTextType, "ok\n"};
  if (target == "/readyz") {
    bool ready = true;
    if (impl.ready) {
      try {
        ready = co_await net::offload(impl.blocking, [&impl] { return impl.ready(); });
      } catch (const std::exception& e) {
        ready = false;
        log::warn("readiness check failed", {{"error", e.what()}});
      }
    }
    if (ready) co_return Reply{http::status::ok, kTextType, "ready\n"};
    co_return Reply{http::status::service_unavailable, kTextType, "not ready\n"};
  }
  co_return Reply{http::status::not_found, kTextType, "not found\n"};
}

// A parse failure gets a status, a short body and the connection closes.
http::status status_for(const boost::beast::error_code& ec) {
  if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (ec == http::error::body_limit) return http::status::payload_too_large;
  return http::status::bad_request;
}

// Serves requests on `c` until it closes, idles out, or (`one_only`) after
// the first answer. Each request must arrive whole by `request_timeout`.
net::awaitable<void> serve(std::shared_ptr<HttpServer::Impl> impl, Connection& c, bool one_only,
                           net::Duration request_timeout) {
  for (;;) {
    // The first read of a request may wait the keep-alive idle limit; once
    // bytes have come, the whole request must be in by its deadline.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(impl->opts.max_header_bytes));
    parser.body_limit(impl->opts.max_body_bytes);
    parser.eager(true);
    // Feed buffered bytes to the parser until it has a whole request.
    while (!parser.is_done()) {
      std::string_view data = c.buffered();
      size_t used = 0;
      if (!data.empty()) {
        boost::beast::error_code ec;
        used = parser.put(net::asio::buffer(data.data(), data.size()), ec);
        c.consume(used);
        if (ec && ec != http::error::need_more) {
          Reply bad{status_for(ec), kTextType, "bad request\n"};
          co_await c.write(render(bad, 11, false, false));
          co_return;
        }
      }
      if (parser.is_done() || (used > 0 && !c.buffered().empty())) continue;
      const auto now = std::chrono::steady_clock::now();
      // (Beast takes no bytes of an unfinished header, so "bytes have come"
      // is what is buffered, not what the parser used.)
      if (!deadline && (!c.buffered().empty() || one_only)) deadline = now + request_timeout;
      if (deadline) {
        if (now >= *deadline) {
          Reply slow{http::status::request_timeout, kTextType, "request timeout\n"};
          co_await c.write(render(slow, 11, false, false));
          co_return;
        }
        c.set_timeout(std::min<net::Duration>(impl->opts.read_timeout,
                                              std::chrono::duration_cast<net::Duration>(*deadline - now)));
      } else {
        c.set_timeout(impl->opts.read_timeout);
      }
      Status st = co_await c.fill();
      if (st == Status::too_long) {
        Reply big{http::status::request_header_fields_too_large, kTextType, "request too large\n"};
        co_await c.write(render(big, 11, false, false));
        co_return;
      }
      if (st == Status::timeout && deadline) {  // a request that came too slowly
        Reply slow{http::status::request_timeout, kTextType, "request timeout\n"};
        co_await c.write(render(slow, 11, false, false));
        co_return;
      }
      if (st != Status::ok) co_return;  // client went away or idled out
    }
    const auto& req = parser.get();
    Reply reply = co_await route(*impl, req);
    bool keep_alive = req.keep_alive() && !one_only;
    // Named locals, not temporaries, across co_await (g++ 12 coroutine bugs).
    const std::string out = render(reply, req.version(), keep_alive, req.method() == http::verb::head);
    const bool written = co_await c.write(out);
    if (!written) co_return;
    if (!keep_alive || one_only) co_return;
  }
}

net::ServerOptions server_options(const HttpOptions& o, std::shared_ptr<HttpServer::Impl> impl) {
  net::ServerOptions s;
  s.name = "http";
  s.address = o.address;
  s.port = o.port;
  s.max_connections = o.max_connections;
  s.timeout = o.read_timeout;
  s.max_buffer = o.max_header_bytes + o.max_body_bytes + 1024;
  // Every slot taken (idle clients can do that): still answer this one
  // request, quickly, then close, so a probe is never starved.
  s.overload_handler = [impl](Connection& c) -> net::awaitable<void> {
    co_await serve(impl, c, true, std::min<net::Duration>(impl->opts.request_timeout, std::chrono::seconds(2)));
  };
  return s;
}

}  // namespace

HttpServer::HttpServer(net::asio::io_context& io, net::asio::thread_pool& blocking, HttpOptions options,
                       Registry& registry, std::function<bool()> ready)
    : impl_(std::make_shared<Impl>(Impl{blocking, options, registry, std::move(ready)})),
      server_(io, server_options(options, impl_),
              [impl = impl_](Connection& c) { return serve(impl, c, false, impl->opts.request_timeout); }) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() { server_.start(); }

uint16_t HttpServer::port() const { return server_.port(); }

net::awaitable<void> HttpServer::stop(net::Duration grace) { co_await server_.stop(grace); }

}  // namespace mail::metrics
