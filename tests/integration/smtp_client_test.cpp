// SPDX-License-Identifier: Apache-2.0
// smtp_client_test.cpp: the client pieces together against a real SMTP
// server. net::connect, the reply parser, the EHLO capabilities and the
// command formatter drive two transactions (one step by step, one pipelined)
// against Postfix's smtp-sink, started by the test on 127.0.0.1 with a free
// port; the body goes through the dot-stuffer, and smtp-sink's dump of the
// message shows that it arrived unstuffed. Skipped (with the reason) when
// smtp-sink is not installed. Trusts smtp-sink's replies no more than any
// server's: everything goes through the parser and its limits.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "mail/net/asio.h"  // first: Asio needs <utility> ahead of it
#include "mail/net/connect.h"
#include "mail/smtp/client_command.h"
#include "mail/smtp/data.h"
#include "mail/smtp/ehlo.h"
#include "mail/smtp/reply_parser.h"

namespace {

namespace net = mail::net;
namespace smtp = mail::smtp;
using namespace std::chrono_literals;

std::string find_smtp_sink() {
  for (const char* p : {"/usr/sbin/smtp-sink", "/usr/bin/smtp-sink", "/usr/local/sbin/smtp-sink"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

uint16_t free_port() {
  net::asio::io_context io;
  net::asio::ip::tcp::acceptor a(io, {net::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// smtp-sink as a child process of the test, stopped (by its pid) at the end.
class SmtpSink {
 public:
  SmtpSink(const std::string& binary, uint16_t port, const std::string& dump_dir) {
    std::vector<std::string> args = {binary};
    if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});  // it refuses to run as root otherwise
    args.insert(args.end(), {"-d", dump_dir + "/msg.", "127.0.0.1:" + std::to_string(port), "10"});
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~SmtpSink() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// The next reply: the parser frames it straight from the connection's
// buffer and consumes exactly its bytes, so pipelined replies stay buffered.
net::awaitable<std::variant<smtp::ServerReply, std::string>> read_reply(net::Connection& c, smtp::ReplyParser& p) {
  for (;;) {
    std::string_view in = c.buffered();
    const size_t before = in.size();
    smtp::ReplyStep step = p.parse(in);
    c.consume(before - in.size());
    if (auto* r = std::get_if<smtp::ServerReply>(&step)) co_return std::move(*r);
    if (auto* e = std::get_if<smtp::ReplyError>(&step)) co_return "bad reply: " + std::string(reply_error_name(*e));
    net::Status st = co_await c.fill();
    if (st != net::Status::ok) co_return "read: " + std::string(net::to_string(st));
  }
}

std::string must(const smtp::Formatted& f) {
  if (auto* e = std::get_if<smtp::FormatError>(&f)) return "<format error " + std::string(format_error_name(*e)) + ">";
  return std::get<std::string>(f);
}

// The client side of one session: the connection, its parser, a transcript.
struct Client {
  net::Connection& conn;
  smtp::ReplyParser parser;
  std::string log;
};

// Reads one reply into the transcript; true when it has `code`.
net::awaitable<bool> expect(Client& c, int code) {
  auto r = co_await read_reply(c.conn, c.parser);
  if (auto* err = std::get_if<std::string>(&r)) {
    c.log += "[" + *err + "]";
    co_return false;
  }
  const auto& reply = std::get<smtp::ServerReply>(r);
  c.log += reply.summary() + "\n";
  co_return reply.code == code;
}

net::awaitable<void> send(Client& c, std::string line) {
  const bool ok = co_await c.conn.write(line);
  if (!ok) c.log += "[write failed]";
}

// One SMTP session; returns a transcript of reply summaries (and failures).
net::awaitable<std::string> session(uint16_t port, std::string body) {
  // smtp-sink may still be starting: retry the connect for a while.
  auto ex = co_await net::asio::this_coro::executor;
  std::shared_ptr<net::Connection> conn_ptr;
  std::string last_error;
  for (int i = 0; i < 50 && !conn_ptr; ++i) {
    net::ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.connect_timeout = 2s;
    o.io_timeout = 5s;
    o.deadline = std::chrono::steady_clock::now() + 20s;
    auto c = co_await net::connect(o);
    if (c) {
      conn_ptr = *c;
      break;
    }
    last_error = c.error().message;
    net::asio::steady_timer timer(ex, 100ms);
    co_await timer.async_wait(net::use_awaitable);
  }
  if (!conn_ptr) co_return "connect: " + last_error;
  Client c{*conn_ptr, smtp::ReplyParser{}, {}};
  bool ok = co_await expect(c, 220);  // every reply as expected so far
  if (!ok) co_return c.log;
  // EHLO, and what the server offers.
  {
    std::string line = must(smtp::format_ehlo("client.test.example"));
    co_await send(c, std::move(line));
  }
  auto ehlo = co_await read_reply(c.conn, c.parser);
  if (!std::holds_alternative<smtp::ServerReply>(ehlo)) co_return c.log + "[ehlo: " + std::get<std::string>(ehlo) + "]";
  auto caps = smtp::parse_ehlo(std::get<smtp::ServerReply>(ehlo));
  if (!std::holds_alternative<smtp::Capabilities>(caps)) co_return c.log + "[ehlo not 250]";
  const smtp::Capabilities cap = std::get<smtp::Capabilities>(caps);
  c.log += "ehlo " + cap.domain + (cap.pipelining ? " pipelining" : "") + (cap.eightbitmime ? " 8bitmime" : "") +
           (cap.enhanced_status_codes ? " enhancedstatuscodes" : "") + (cap.dsn ? " dsn" : "") +
           (cap.has_auth("PLAIN") ? " auth-plain" : "") + "\n";

  // Transaction 1, one command at a time.
  smtp::MailParams mp;
  if (cap.size) mp.size = body.size();
  if (cap.eightbitmime) mp.body = smtp::BodyType::k8BitMime;
  {
    std::string line = must(smtp::format_mail("sender@client.test.example", mp));
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 250);
  if (!ok) co_return c.log;
  smtp::RcptParams rp;
  if (cap.dsn) {
    rp.notify_failure = true;
    rp.orcpt = "rcpt+one@sink.test.example";
  }
  {
    std::string line = must(smtp::format_rcpt("rcpt+one@sink.test.example", rp));
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 250);
  if (!ok) co_return c.log;
  {
    std::string line = must(smtp::format_rcpt("john doe@sink.test.example"));  // gets quoted
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 250);
  if (!ok) co_return c.log;
  {
    std::string line = std::string(smtp::kData);
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 354);
  if (!ok) co_return c.log;
  {
    std::string line = smtp::dot_stuff(body);
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 250);
  if (!ok) co_return c.log;

  // Transaction 2, pipelined: MAIL, RCPT and DATA in one write, then the
  // replies in order.
  if (cap.pipelining) {
    {
      std::string line = must(smtp::format_mail("")) + must(smtp::format_rcpt("postmaster")) + std::string(smtp::kData);
      co_await send(c, std::move(line));
    }
    ok = co_await expect(c, 250);
    if (ok) ok = co_await expect(c, 250);
    if (ok) ok = co_await expect(c, 354);
    if (!ok) co_return c.log;
    {
      std::string line = smtp::dot_stuff("Subject: bounce\r\n\r\nnull sender\r\n");
      co_await send(c, std::move(line));
    }
    ok = co_await expect(c, 250);
    if (!ok) co_return c.log;
  }
  {
    std::string line = std::string(smtp::kRset);
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 250);
  if (!ok) co_return c.log;
  {
    std::string line = std::string(smtp::kQuit);
    co_await send(c, std::move(line));
  }
  ok = co_await expect(c, 221);
  if (!ok) co_return c.log;
  co_await c.conn.shutdown();
  co_return c.log + "done";
}

std::string run(uint16_t port, const std::string& body) {
  net::asio::io_context io;
  std::promise<std::string> done;
  auto result = done.get_future();
  net::asio::co_spawn(io, session(port, body), [&](std::exception_ptr e, std::string s) {
    done.set_value(e ? std::string("<exception>") : std::move(s));
  });
  std::thread t([&] { io.run_for(30s); });
  t.join();
  if (result.wait_for(0s) != std::future_status::ready) return "<hung>";
  return result.get();
}

TEST(SmtpClientIntegration, SendsMessagesToSmtpSink) {
  const std::string binary = find_smtp_sink();
  if (binary.empty()) GTEST_SKIP() << "Postfix's smtp-sink is not installed (package postfix); nothing to talk to";

  char tmpl[] = "/tmp/smtp-client-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ::chmod(dir.c_str(), 0777);  // smtp-sink writes its dumps as "nobody" when we are root

  const uint16_t port = free_port();
  // A body that needs stuffing: lines starting with '.', a lone ".", and a
  // bare LF that must go out as CRLF.
  const std::string body =
      "From: sender@client.test.example\r\nSubject: stuffing\r\n\r\n.leading dot\r\n.\r\nbare lf\nlast line";
  std::string transcript;
  {
    SmtpSink sink(binary, port, dir);
    ASSERT_TRUE(sink.started());
    transcript = run(port, body);
  }
  EXPECT_EQ(transcript,
            "220 smtp-sink ESMTP\n"
            "ehlo smtp-sink pipelining 8bitmime enhancedstatuscodes dsn auth-plain\n"
            "250 2.1.0 Ok\n"
            "250 2.1.5 Ok\n"
            "250 2.1.5 Ok\n"
            "354 End data with <CR><LF>.<CR><LF>\n"
            "250 2.0.0 Ok\n"
            "250 2.1.0 Ok\n"
            "250 2.1.5 Ok\n"
            "354 End data with <CR><LF>.<CR><LF>\n"
            "250 2.0.0 Ok\n"
            "250 2.1.0 Ok\n"
            "221 Bye\n"
            "done");

  // smtp-sink's dumps: the envelope as sent, the body unstuffed again.
  std::string dumps;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    dumps += ss.str();
  }
  EXPECT_NE(dumps.find("X-Mail-Args: <sender@client.test.example> BODY=8BITMIME"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("X-Rcpt-Args: <rcpt+one@sink.test.example> NOTIFY=FAILURE ORCPT=rfc822;rcpt+2Bone@sink.test.example"),
            std::string::npos)
      << dumps;
  EXPECT_NE(dumps.find("X-Rcpt-Args: <\"john doe\"@sink.test.example>"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("\n.leading dot\n.\nbare lf\nlast line\n"), std::string::npos) << dumps;
  EXPECT_NE(dumps.find("X-Mail-Args: <>"), std::string::npos) << dumps;
  std::filesystem::remove_all(dir);
}

}  // namespace
