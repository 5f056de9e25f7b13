// SPDX-License-Identifier: Apache-2.0
// metrics_test.cpp: the Registry helpers and the HTTP endpoint, fetched
// with a Beast client over loopback (127.0.0.1, port 0).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include "mail/metrics/http_server.h"
#include "mail/metrics/registry.h"

#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace mail::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

TEST(Registry, SerializesCountersGaugesHistograms) {
  Registry r;
  auto& sent = r.counter("mail_test_sent_total", "Messages sent.", {{"result", "ok"}});
  sent.Increment(2);
  r.gauge("mail_test_sessions", "Open sessions.").Set(5);
  r.histogram("mail_test_latency_seconds", "Latency.", Registry::latency_buckets()).Observe(0.02);
  // The same name again returns the same family and series.
  r.counter("mail_test_sent_total", "Messages sent.", {{"result", "ok"}}).Increment();
  std::string text = r.serialize();
  EXPECT_NE(text.find("# TYPE mail_test_sent_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("mail_test_sent_total{result=\"ok\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("mail_test_sessions 5"), std::string::npos) << text;
  EXPECT_NE(text.find("mail_test_latency_seconds_bucket{le=\"0.025\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mail_test_latency_seconds_bucket{le=\"0.01\"} 0"), std::string::npos) << text;
  EXPECT_THROW(r.gauge("mail_test_sent_total", "wrong type"), std::exception);
  EXPECT_EQ(Registry::size_buckets().front(), 1024);
}

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string content_length;
  bool keep_alive = false;
};

// A client whose every operation has a 5 s deadline.
class Client {
 public:
  explicit Client(uint16_t port) : stream_(io_) {
    stream_.expires_after(5s);
    stream_.async_connect({asio::ip::make_address("127.0.0.1"), port}, [](beast::error_code) {});
    run();
  }

  Response request(http::verb method, const std::string& target, bool keep_alive = true, std::string body = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "localhost");
    req.keep_alive(keep_alive);
    if (!body.empty()) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    stream_.expires_after(5s);
    http::async_write(stream_, req, [](beast::error_code, size_t) {});
    run();
    http::response<http::string_body> res;
    beast::error_code ec;
    stream_.expires_after(5s);
    if (method == http::verb::head) {
      http::response_parser<http::string_body> p;
      p.skip(true);  // a HEAD response has no body whatever Content-Length says
      http::async_read(stream_, buf_, p, [&](beast::error_code e, size_t) { ec = e; });
      run();
      res = p.release();
    } else {
      http::async_read(stream_, buf_, res, [&](beast::error_code e, size_t) { ec = e; });
      run();
    }
    if (ec) return Response{-1, {}, ec.message(), {}, false};
    return Response{static_cast<int>(res.result_int()), std::string(res[http::field::content_type]), res.body(),
                    std::string(res[http::field::content_length]), res.keep_alive()};
  }

  /// Send raw bytes, return everything until the server closes.
  std::string raw(const std::string& bytes) {
    stream_.expires_after(5s);
    asio::async_write(stream_, asio::buffer(bytes), [](beast::error_code, size_t) {});
    run();
    std::string out;
    stream_.expires_after(5s);
    asio::async_read(stream_, asio::dynamic_buffer(out), [](beast::error_code, size_t) {});
    run();
    return out;
  }

 private:
  void run() {
    io_.restart();
    io_.run();
  }
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i)
      io_threads_.emplace_back([this] {
        {
          std::lock_guard lock(mu_);
          io_ids_.push_back(std::this_thread::get_id());
        }
        io_.run();
      });
    HttpOptions opts;
    opts.address = "127.0.0.1";
    opts.port = 0;
    opts.read_timeout = 2s;
    opts.request_timeout = 1s;
    server_ = std::make_unique<HttpServer>(io_, pool_, opts, registry_, [this] {
      {
        std::lock_guard lock(mu_);
        ready_thread_ = std::this_thread::get_id();
      }
      if (ready_throws_) throw std::runtime_error("database unreachable");
      return ready_.load();
    });
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    auto done = asio::co_spawn(io_, server_->stop(100ms), asio::use_future);
    EXPECT_EQ(done.wait_for(10s), std::future_status::ready);
    server_.reset();
    work_.reset();
    io_.stop();
    for (auto& t : io_threads_) t.join();
  }

  bool ready_ran_on_io_thread() {
    std::lock_guard lock(mu_);
    for (auto id : io_ids_)
      if (id == ready_thread_) return true;
    return ready_thread_ == std::thread::id();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::thread_pool pool_{1};
  Registry registry_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> io_threads_;
  std::mutex mu_;
  std::vector<std::thread::id> io_ids_;
  std::thread::id ready_thread_;
  std::atomic<bool> ready_{true};
  std::atomic<bool> ready_throws_{false};
};

TEST_F(HttpServerTest, Healthz) {
  Client c(server_->port());
  Response r = c.request(http::verb::get, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
}

TEST_F(HttpServerTest, MetricsShowCounterIncrements) {
  auto& counter = registry_.counter("mail_test_requests_total", "Test requests.");
  counter.Increment(3);
  Client c(server_->port());
  Response r = c.request(http::verb::get, "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("mail_test_requests_total 3\n"), std::string::npos) << r.body;
  counter.Increment(2);
  r = c.request(http::verb::get, "/metrics?x=1");  // same keep-alive connection, query ignored
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("mail_test_requests_total 5\n"), std::string::npos) << r.body;
}

TEST_F(HttpServerTest, ReadyzFollowsCallbackAndRunsOffTheIoThreads) {
  Client c(server_->port());
  Response r = c.request(http::verb::get, "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ready\n");
  EXPECT_FALSE(ready_ran_on_io_thread());
  ready_ = false;
  r = c.request(http::verb::get, "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready\n");
  ready_ = true;
  ready_throws_ = true;
  r = c.request(http::verb::get, "/readyz");
  EXPECT_EQ(r.status, 503);
}

TEST_F(HttpServerTest, UnknownPathsAndMethods) {
  Client c(server_->port());
  EXPECT_EQ(c.request(http::verb::get, "/nope").status, 404);
  EXPECT_EQ(c.request(http::verb::get, "/healthz/").status, 404);
  EXPECT_EQ(c.request(http::verb::post, "/metrics", true, "x=1").status, 405);
  Response head = c.request(http::verb::head, "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.content_length, "3");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Client c(server_->port());
  Response r = c.request(http::verb::get, "/healthz", false);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(c.request(http::verb::get, "/healthz").status, -1);  // server closed
}

TEST_F(HttpServerTest, MalformedAndOversizedRequests) {
  {
    Client c(server_->port());
    std::string out = c.raw("BLAH\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  }
  {
    Client c(server_->port());
    std::string out = c.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 100);
  }
  {
    Client c(server_->port());
    std::string out = c.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  }
  {
    // Pipelined requests on one connection are answered in order.
    Client c(server_->port());
    std::string out = c.raw(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    size_t first = out.find("HTTP/1.1 200"), second = out.find("HTTP/1.1 404");
    EXPECT_NE(first, std::string::npos) << out;
    EXPECT_NE(second, std::string::npos) << out;
    EXPECT_LT(first, second);
  }
}

// A plain socket that connects and then does only what the test says.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{0, 100000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void send(const std::string& s) { (void)::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }
  /// Reads what is there within 100 ms; false once the server closed.
  bool poll(std::string& out) {
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    return n != 0 && !(n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(HttpServerTest, ProbesAnswerWhileIdleClientsHoldEverySlot) {
  // Today's flood: as many idle connections as the server takes at once.
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (size_t i = 0; i < HttpOptions{}.max_connections; ++i) {
    idle.push_back(std::make_unique<RawSocket>(server_->port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  std::this_thread::sleep_for(200ms);  // all accepted, all idle
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    Client c(server_->port());
    auto r = c.request(http::verb::get, path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_FALSE(r.keep_alive) << "answered on the overload path, then closed";
  }
}

TEST_F(HttpServerTest, TricklingClientIsCutOffByTheRequestDeadline) {
  RawSocket s(server_->port());
  ASSERT_TRUE(s.connected());
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  const auto start = std::chrono::steady_clock::now();
  std::string got;
  bool open = true;
  // A byte every 250 ms: every read succeeds well within read_timeout (2 s).
  for (size_t i = 0; open && std::chrono::steady_clock::now() - start < 4s; ++i) {
    s.send(request.substr(i % request.size(), 1));
    for (int k = 0; k < 2 && open; ++k) open = s.poll(got);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(open) << "still open after 4 s of trickling";
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_LT(took, 2500ms) << "request_timeout is 1 s";
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterReadTimeout) {
  Client c(server_->port());
  auto start = std::chrono::steady_clock::now();
  std::string out = c.raw("");  // send nothing, wait for the close
  EXPECT_EQ(out, "");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 4900ms);
}

}  // namespace
}  // namespace mail::metrics
