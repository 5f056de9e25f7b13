// SPDX-License-Identifier: Apache-2.0
// dnsmasq.h: test support for the resolver test. A real dnsmasq on
// 127.0.0.1 and a free high port (never 53, never another address), in the
// foreground with no configuration file, no resolv.conf and no hosts file,
// killed in the destructor (and by the kernel if the test process dies:
// PR_SET_PDEATHSIG). Beside it, two tiny UDP servers on loopback for what
// dnsmasq will not do: one that answers every query with SERVFAIL, one
// that never answers.
//
// Trusts: the test. Diagnostics: Dnsmasq::log() holds dnsmasq's output.
#pragma once
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mail::dns::test {

using namespace std::chrono_literals;

inline std::string find_dnsmasq() {
  for (const char* p : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/usr/local/sbin/dnsmasq"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

// A UDP socket bound to 127.0.0.1 (port 0: any free one); -1 on failure.
inline int bind_loopback(int type, uint16_t port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A port free for both UDP and TCP on 127.0.0.1 right now (dnsmasq takes both).
inline uint16_t free_dns_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int udp = bind_loopback(SOCK_DGRAM, 0);
    if (udp < 0) continue;
    const uint16_t port = local_port(udp);
    int tcp = bind_loopback(SOCK_STREAM, port);
    ::close(udp);
    if (tcp < 0) continue;
    ::close(tcp);
    if (port > 1024) return port;
  }
  throw std::runtime_error("no free port on 127.0.0.1");
}

class Dnsmasq {
 public:
  /// Starts dnsmasq with `records` (e.g. "--mx-host=a.test,mx.a.test,10")
  /// after the fixed options. Check running() and wait until it answers.
  Dnsmasq(const std::string& binary, const std::vector<std::string>& records) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mail-dns-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_dns_port();
    std::vector<std::string> args = {binary,
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--no-poll",
                                     "--pid-file=",
                                     "--log-facility=-",
                                     "--log-queries",
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--port=" + std::to_string(port_)};
    // As root it would switch to user "dnsmasq"; stay who we are instead.
    if (::geteuid() == 0) args.push_back("--user=root");
    args.insert(args.end(), records.begin(), records.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = log_path();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  ~Dnsmasq() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool gone = false;
      for (int i = 0; i < 300 && !gone; ++i) {
        gone = ::waitpid(pid_, &status, WNOHANG) == pid_;
        if (!gone) std::this_thread::sleep_for(10ms);
      }
      if (!gone) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(log_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string log_path() const { return (dir_ / "dnsmasq.log").string(); }

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

/// A UDP DNS server on 127.0.0.1 that answers every query with SERVFAIL
/// (the question echoed, no records), on a thread of its own.
class ServfailServer {
 public:
  ServfailServer() : fd_(bind_loopback(SOCK_DGRAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("cannot bind 127.0.0.1");
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] { serve(); });
  }
  ~ServfailServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(local_port(fd_)); }
  int queries() const { return queries_; }

 private:
  void serve() {
    unsigned char buf[512];
    while (!stop_) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      // Header and the one question only: skip the name's labels, then type and class.
      size_t end = 12;
      while (end < static_cast<size_t>(n) && buf[end] != 0 && buf[end] < 64) end += buf[end] + 1;
      end += 1 + 4;
      if (end > static_cast<size_t>(n)) continue;
      ++queries_;
      buf[2] = static_cast<unsigned char>(0x80 | (buf[2] & 0x79));  // QR, keep opcode and RD
      buf[3] = 0x80 | 2;                                           // RA, RCODE 2 (SERVFAIL)
      buf[4] = 0;                                                  // QDCOUNT 1
      buf[5] = 1;
      for (int i = 6; i < 12; ++i) buf[i] = 0;  // no answer, authority or additional records
      ::sendto(fd_, buf, end, 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

/// A UDP socket on 127.0.0.1 that receives and never answers.
class SilentServer {
 public:
  SilentServer() : fd_(bind_loopback(SOCK_DGRAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("cannot bind 127.0.0.1");
  }
  ~SilentServer() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(local_port(fd_)); }

 private:
  int fd_;
};

}  // namespace mail::dns::test
