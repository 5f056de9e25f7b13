// SPDX-License-Identifier: Apache-2.0
// haproxy_test.cpp: end to end with Debian's haproxy in front of a Server:
// haproxy (run here in the foreground, config in a temp dir, loopback only)
// forwards to the Server with `send-proxy-v2`; a client connecting to
// haproxy from 127.0.0.5 must be seen by the handler as 127.0.0.5 with its
// own source port, while haproxy itself connects from 127.0.0.1. Skips when
// haproxy is not installed (scripts/packages.txt lists it).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "mail/net/server.h"
#include "server_support.h"
#include "test_support.h"

extern char** environ;

namespace mail::net::test {
namespace {

std::string find_haproxy() { return find_program({"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"}); }

// haproxy in the foreground (-db), stopped and reaped in the destructor.
class Haproxy {
 public:
  Haproxy(const std::string& binary, const std::string& config) {
    std::vector<std::string> args = {binary, "-db", "-f", config};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Haproxy() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

// A blocking client bound to `source` before it connects; reads one line.
struct SourcedClient {
  SourcedClient(const std::string& source, uint16_t port) : socket(io) {
    boost::system::error_code ec;
    socket.open(asio::ip::tcp::v4(), ec);
    socket.bind({asio::ip::make_address(source), 0}, ec);
    if (!ec) socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected = !ec;
  }
  std::string line() {
    boost::system::error_code ec = asio::error::timed_out;
    size_t n = 0;
    asio::async_read_until(socket, asio::dynamic_buffer(in), "\n", [&](boost::system::error_code e, size_t k) {
      ec = e;
      n = k;
    });
    io.restart();
    io.run_for(5s);
    if (!io.stopped()) {
      socket.close();
      return "<timeout>";
    }
    if (ec) return "<" + ec.message() + ">";
    std::string l = in.substr(0, n);
    in.erase(0, n);
    return l;
  }
  uint16_t local_port() const { return socket.local_endpoint().port(); }
  asio::io_context io;
  asio::ip::tcp::socket socket;
  std::string in;
  bool connected = false;
};

TEST(Haproxy, SendProxyV2GivesTheHandlerTheClientsAddress) {
  const std::string binary = find_haproxy();
  if (binary.empty()) GTEST_SKIP() << "haproxy is not installed (apt-get install haproxy); skipping the PROXY v2 end-to-end test";

  Events ev;
  ServerOptions opts;
  opts.proxy_protocol_from = *NetworkList::parse("127.0.0.1/32");  // haproxy's address only
  opts.proxy_header_timeout = 1s;
  Fixture f(
      [&ev](Connection& c) -> awaitable<void> {
        ev.push(c.peer_ip());
        co_await c.write("peer " + c.peer_ip() + " " + std::to_string(c.peer_port()) + "\r\n");
      },
      opts);

  TempDir dir;
  const uint16_t front = free_port();
  {
    std::ofstream cfg(dir.file("haproxy.cfg"));
    cfg << "global\n"
           "    maxconn 100\n"
           "defaults\n"
           "    mode tcp\n"
           "    timeout connect 5s\n"
           "    timeout client 30s\n"
           "    timeout server 30s\n"
           "frontend fe\n"
           "    bind 127.0.0.1:" << front << "\n"
           "    default_backend be\n"
           "backend be\n"
           "    server s1 127.0.0.1:" << f.port() << " send-proxy-v2\n";
  }
  Haproxy haproxy(binary, dir.file("haproxy.cfg"));
  ASSERT_TRUE(eventually([&] {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), front}, ec);
    return !ec;
  }, 10s)) << "haproxy did not start listening on 127.0.0.1:" << front;
  // The probes above were proxied too (peer 127.0.0.1): drop their events.
  while (ev.pop(300ms) != "<none>") {
  }

  SourcedClient client("127.0.0.5", front);
  ASSERT_TRUE(client.connected);
  EXPECT_EQ(client.line(), "peer 127.0.0.5 " + std::to_string(client.local_port()) + "\r\n");
  EXPECT_EQ(ev.pop(), "127.0.0.5");
  EXPECT_TRUE(haproxy.running());

  // Straight to the server from haproxy's own address, without a header:
  // refused, so nobody on 127.0.0.1 can claim an address it does not have.
  SourcedClient spoof("127.0.0.1", f.port());
  ASSERT_TRUE(spoof.connected);
  spoof.line();  // waits for the close (the header read fails at eof or its deadline)
  EXPECT_EQ(ev.pop(200ms), "<none>");

  // From any other address the server expects no header.
  SourcedClient direct("127.0.0.6", f.port());
  EXPECT_EQ(direct.line(), "peer 127.0.0.6 " + std::to_string(direct.local_port()) + "\r\n");
}

}  // namespace
}  // namespace mail::net::test
