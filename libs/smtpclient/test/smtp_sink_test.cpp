// SPDX-License-Identifier: Apache-2.0
// smtp_sink_test.cpp: the client against a real SMTP server, Postfix's
// smtp-sink, started by the test on 127.0.0.1 with a free port: two
// messages on one session (one needing dot-stuffing and CRLF repairs, one
// with the null sender), checked in smtp-sink's message dumps, where they
// arrive unstuffed with the envelope we sent; and a sink that answers RCPT
// with 421 and hangs up. Skipped (with the reason) when smtp-sink is not
// installed (Debian package postfix).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "script_server.h"

namespace mail::smtp::client::test {
namespace {

using net::test::find_program;
using net::test::free_port;

std::string find_smtp_sink() {
  return find_program({"/usr/sbin/smtp-sink", "/usr/bin/smtp-sink", "/usr/local/sbin/smtp-sink"});
}

// smtp-sink as a child process, stopped (by its pid) at the end.
class SmtpSink {
 public:
  SmtpSink(const std::string& binary, uint16_t port, std::vector<std::string> extra) {
    std::vector<std::string> args = {binary};
    if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});  // it will not run as root
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"127.0.0.1:" + std::to_string(port), "10"});
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // Ready once it accepts connections.
    for (int i = 0; i < 100 && pid_ > 0; ++i) {
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  ~SmtpSink() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  bool ready() const { return ready_; }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

std::string read_dumps(const std::string& dir) {
  std::string dumps;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    dumps += ss.str() + "\n----\n";
  }
  return dumps;
}

class SmtpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = find_smtp_sink();
    if (binary_.empty()) GTEST_SKIP() << "Postfix's smtp-sink is not installed (package postfix)";
    char tmpl[] = "/tmp/smtpclient-sink-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0777);  // smtp-sink writes its dumps as "nobody" when we are root
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string binary_, dir_;
};

TEST_F(SmtpSinkTest, TwoMessagesOnOneSession) {
  const uint16_t port = free_port();
  SmtpSink sink(binary_, port, {"-d", dir_ + "/msg."});
  ASSERT_TRUE(sink.ready());
  ClientOptions opts = test_options();
  opts.tls = TlsPolicy::may;  // smtp-sink offers no STARTTLS: clear text
  std::string got = run_client(port, opts, [](ClientSession& s) -> awaitable<std::string> {
    const Capabilities& caps = s.capabilities();
    std::string out = caps.domain + (caps.pipelining ? " pipelining" : "") + (caps.eightbitmime ? " 8bitmime" : "") +
                      (caps.starttls ? " starttls" : "") + "\n";
    OutboundMessage first;
    first.sender = "sender@client.test.example";
    first.recipients = {"one@sink.test.example", "two@sink.test.example"};
    first.eightbit = true;
    const std::vector<std::string> body = {"From: sender@client.test.example\r\nSubject: stuffing\r\n\r\n.leading dot\r\n",
                                           ".", "\r\nbare lf\nl\xc3\xa4st line"};
    for (const auto& c : body) first.size += c.size();
    out += co_await send_one(s, first, body);
    out += s.usable() ? "usable\n" : "unusable\n";
    OutboundMessage bounce;
    bounce.recipients = {"postmaster@sink.test.example"};
    const std::vector<std::string> dsn = {"Subject: bounce\r\nAuto-Submitted: auto-replied\r\n\r\nnull sender\r\n"};
    out += co_await send_one(s, bounce, dsn);
    co_return out;
  });
  EXPECT_EQ(got,
            "smtp-sink pipelining 8bitmime\n"
            "delivered 2.0.0 250 2.0.0 Ok\n"
            "delivered 2.0.0 250 2.0.0 Ok\n"
            "usable\n"
            "delivered 2.0.0 250 2.0.0 Ok\n");
  const std::string dumps = read_dumps(dir_);
  EXPECT_NE(dumps.find("X-Mail-Args: <sender@client.test.example> BODY=8BITMIME"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("X-Rcpt-Args: <one@sink.test.example>"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("X-Rcpt-Args: <two@sink.test.example>"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("\n.leading dot\n.\nbare lf\nl\xc3\xa4st line\n"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("X-Mail-Args: <>"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("X-Rcpt-Args: <postmaster@sink.test.example>"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("\nnull sender\n"), std::string::npos) << dumps;
}

TEST_F(SmtpSinkTest, DisconnectAfterRcptIsATempfailForAll) {
  const uint16_t port = free_port();
  SmtpSink sink(binary_, port, {"-Q", "RCPT"});
  ASSERT_TRUE(sink.ready());
  std::string got = run_client(port, test_options(), [](ClientSession& s) -> awaitable<std::string> {
    OutboundMessage m;
    m.sender = "sender@client.test.example";
    m.recipients = {"one@sink.test.example", "two@sink.test.example"};
    const std::vector<std::string> body = {"Subject: x\r\n\r\nx\r\n"};
    std::string out = co_await send_one(s, m, body);
    co_return out + (s.usable() ? "usable" : "unusable");
  });
  // smtp-sink says 421 to the first RCPT and hangs up; the second's fate is that 421 too.
  ASSERT_EQ(got.rfind("tempfail 4.", 0), 0u) << got;
  const std::string first = got.substr(0, got.find('\n'));
  EXPECT_NE(first.find("421 "), std::string::npos) << got;
  EXPECT_EQ(got, first + "\n" + first + "\nunusable");
}

}  // namespace
}  // namespace mail::smtp::client::test
