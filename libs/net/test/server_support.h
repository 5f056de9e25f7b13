// SPDX-License-Identifier: Apache-2.0
// server_support.h: pieces shared by the Server tests of the caps, stress,
// handshakes and the PROXY header: a bounded wait on a condition and a
// self-signed TLS context in a temporary directory.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "mail/net/tls.h"
#include "test_support.h"

namespace mail::net::test {

/// Polls `cond` every 5 ms until it holds (true) or `limit` passes (false).
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// A server TLS context with a fresh self-signed certificate.
struct TestTls {
  TestTls() {
    ensure_self_signed(dir.file("cert.pem"), dir.file("key.pem"), "mail.test.example");
    ctx.emplace(make_server_tls_context(dir.file("cert.pem"), dir.file("key.pem")));
  }
  TempDir dir;
  std::optional<asio::ssl::context> ctx;
};

}  // namespace mail::net::test
