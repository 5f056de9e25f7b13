// SPDX-License-Identifier: Apache-2.0
// own_redis.h: a redis-server of a test's own, on a loopback port the OS
// chose (so never the stack's), that the test can stop and start again to
// see what its code does while Redis is away. Header-only test support:
// tests add ${PROJECT_SOURCE_DIR}/tests/support to their include path.
// Needs redis-server and redis-cli on PATH; start() says false without them.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace mail::test {

/// A loopback port nobody listens on now (the OS picks it); -1 on failure.
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

class OwnRedis {
 public:
  OwnRedis() : port_(free_loopback_port()) {}
  ~OwnRedis() { stop(); }
  OwnRedis(const OwnRedis&) = delete;
  OwnRedis& operator=(const OwnRedis&) = delete;

  /// Starts it (daemonized, no persistence) and waits until it answers PING.
  bool start() {
    if (port_ <= 0) return false;
    const std::string p = std::to_string(port_);
    const std::string cmd = "redis-server --port " + p +
                            " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir /tmp"
                            " --pidfile /tmp/own-redis-" + p + ".pid >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return false;
    for (int i = 0; i < 50; ++i) {
      if (std::system(("redis-cli -p " + p + " ping >/dev/null 2>&1").c_str()) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  /// Shuts it down without saving (what it held is gone).
  void stop() { (void)std::system(("redis-cli -p " + std::to_string(port_) + " shutdown nosave >/dev/null 2>&1").c_str()); }
  int port() const { return port_; }

 private:
  int port_;
};

}  // namespace mail::test
