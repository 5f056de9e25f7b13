// SPDX-License-Identifier: Apache-2.0
// The POP3 session over real loopback connections (port 0), with fake
// backends: greeting and CAPA per state, plaintext refusal before TLS, STLS
// (pipelined input discarded), USER/PASS and AUTH PLAIN, failures and
// lockout, IN-USE, TRANSACTION commands byte for byte (dot-stuffing, sizes,
// TOP, UIDL), DELE applied only by QUIT, drops and commit failures that
// delete nothing, streaming of large messages, error limits and pipelining;
// the shared login throttle (refusal without a directory call, delay before
// it, failures and successes reported, "unavailable" not counted).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "quiet_throttle.h"
#include "unique_id.h"
#include "mail/common/base64.h"
#include "mail/net/server.h"
#include "mail/net/testing/client.h"
#include "mail/net/tls.h"
#include "session.h"

using namespace mail;
using namespace mail::pop3d;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// ---- fakes -------------------------------------------------------------------

class FakeAuth : public Authenticator {
 public:
  AuthAnswer authenticate(const std::string& user, const std::string& password, const std::string&) override {
    calls++;
    last_call_at = std::chrono::steady_clock::now().time_since_epoch().count();
    AuthAnswer r;
    if (user == "down@example.test") return r;  // kUnavailable
    r.status = AuthAnswer::Status::kDenied;
    if (user == "demo@example.test" && password == "demo pass") {
      r = {AuthAnswer::Status::kOk, 1, "demo@example.test"};
    } else if (user == "other@example.test" && password == "pw") {
      r = {AuthAnswer::Status::kOk, 2, "other@example.test"};
    }
    return r;
  }
  void forget_account(int64_t id) override { forgotten.push_back(id); }
  std::atomic<int> calls{0};
  std::atomic<int64_t> last_call_at{0};  // steady_clock ticks
  std::vector<int64_t> forgotten;
};

class FakeStore : public MaildropStore {
 public:
  FakeStore() {
    add(1, 1, "Subject: one\r\n\r\nhello\r\n");
    add(1, 2, "Subject: dots\r\n\r\n.leading dot\r\n.\r\nlast\r\n");
    add(1, 5, "Subject: three\r\nX: y\r\n\r\nl1\r\nl2\r\nl3\r\n");
  }
  void add(int64_t account, int64_t uid, std::string body) {
    std::lock_guard l(mu_);
    int64_t id = next_id_++;
    bodies_[id] = std::move(body);
    drops_[account].push_back({uid, id, bodies_[id].size()});
  }
  common::Result<OpenResult> open(int64_t account, const std::string& holder, int ttl) override {
    std::lock_guard l(mu_);
    OpenResult r;
    if (fail_open) return common::Error{common::ErrorCode::unavailable, "db down"};
    if (gone > 0) {  // the account was deleted since its login was cached
      --gone;
      r.gone = true;
      return r;
    }
    auto it = locks_.find(account);
    if (it != locks_.end() && it->second != holder) return r;
    locks_[account] = holder;
    last_ttl = ttl;
    r.locked = true;
    r.maildrop.mailbox_id = 100 + account;
    r.maildrop.uidvalidity = 0x5f000000;
    r.maildrop.messages = drops_[account];
    return r;
  }
  common::Result<bool> renew(int64_t account, const std::string& holder, int) override {
    std::lock_guard l(mu_);
    renewals++;
    return locks_[account] == holder;
  }
  common::Status release(int64_t account, const std::string& holder) override {
    std::lock_guard l(mu_);
    if (locks_[account] == holder) locks_.erase(account);
    return common::Done{};
  }
  common::Result<std::optional<std::string>> read_message(int64_t id) override {
    std::lock_guard l(mu_);
    whole_reads++;
    auto it = bodies_.find(id);
    if (it == bodies_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  common::Result<std::optional<std::string>> read_part(int64_t id, size_t part) override {
    std::lock_guard l(mu_);
    part_reads++;
    auto it = bodies_.find(id);
    if (it == bodies_.end()) return std::optional<std::string>();
    // Part 0: the first 10 bytes ("trace prefix"); then 7-byte chunks.
    const std::string& b = it->second;
    size_t begin = part == 0 ? 0 : 10 + (part - 1) * 7;
    if (part > 0 && begin >= b.size()) return std::optional<std::string>();
    return std::optional<std::string>(b.substr(begin, part == 0 ? 10 : 7));
  }
  common::Result<CommitResult> commit(int64_t account, const std::string& holder, int, int64_t mailbox_id,
                                      const std::vector<int64_t>& uids, const std::vector<int64_t>& seen) override {
    std::lock_guard l(mu_);
    if (fail_commit) return common::Error{common::ErrorCode::unavailable, "db down"};
    CommitResult r;
    if (locks_[account] != holder) {
      r.lease_held = false;
      return r;
    }
    EXPECT_EQ(mailbox_id, 100 + account);
    auto& d = drops_[account];
    for (int64_t uid : uids) {
      auto before = d.size();
      std::erase_if(d, [&](const store::MaildropEntry& e) { return e.uid == uid; });
      r.deleted += static_cast<int>(before - d.size());
    }
    commits.push_back(uids);
    seen_commits.push_back(seen);
    locks_.erase(account);
    return r;
  }
  bool locked(int64_t account) {
    std::lock_guard l(mu_);
    return locks_.contains(account);
  }
  size_t count(int64_t account) {
    std::lock_guard l(mu_);
    return drops_[account].size();
  }
  void steal_lock(int64_t account) {
    std::lock_guard l(mu_);
    locks_[account] = "someone-else";
  }

  std::vector<std::vector<int64_t>> seen_commits;  ///< the \Seen UIDs of each commit
  std::atomic<bool> fail_open{false}, fail_commit{false};
  int gone = 0;  ///< this many open() calls answer "account gone"
  std::atomic<int> whole_reads{0}, part_reads{0}, renewals{0}, last_ttl{0};
  std::vector<std::vector<int64_t>> commits;

 private:
  std::mutex mu_;
  int64_t next_id_ = 1;
  std::map<int64_t, std::string> bodies_;
  std::map<int64_t, std::vector<store::MaildropEntry>> drops_;
  std::map<int64_t, std::string> locks_;
};

// ---- the shared bounded-wait client, with POP3 conveniences ------------------

class Client : public net::testing::Client {
 public:
  explicit Client(uint16_t port) : net::testing::Client(port) {
    EXPECT_TRUE(connected()) << last_error().message();
  }
  void send(const std::string& data) { EXPECT_TRUE(net::testing::Client::send(data)) << "send failed"; }
  /// One line with its CRLF, or "<eof>" (closed or reset) / "<timeout>".
  std::string line() {
    std::string l = net::testing::Client::line();
    return l == "<error>" ? "<eof>" : l;
  }
  /// Lines up to and including ".\r\n", concatenated.
  std::string multiline() { return dot_terminated(); }
  /// Sends a command and returns the first reply line.
  std::string cmd(const std::string& c) {
    send(c + "\r\n");
    return line();
  }
};

std::string cert_dir() {
  static std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pop3svc-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    net::ensure_self_signed(tmpl + "/cert.pem", tmpl + "/key.pem", "mail.example.test");
    return tmpl;
  }();
  return dir;
}

class SessionTest : public ::testing::Test {
 protected:
  // `throttle`: sessions consult a login throttle with these settings
  // (in-process counts, no Redis).
  void start(bool allow_plaintext = true, std::optional<directory::ThrottleConfig> throttle = std::nullopt) {
    if (throttle) throttle_.emplace(*throttle, registry_, "pop3");
    config_.hostname = "mail.example.test";
    config_.allow_plaintext_auth = allow_plaintext;
    config_.auth_failure_delay = 10ms;
    config_.timeout = 5s;
    tls_.emplace(net::make_server_tls_context(cert_dir() + "/cert.pem", cert_dir() + "/key.pem"));
    deps_ = SessionDeps{&config_, &pool_, &auth_, &store_, &metrics_, &*tls_, &sessions_,
                        throttle_ ? &*throttle_ : nullptr};
    net::ServerOptions o;
    o.address = "127.0.0.1";
    server_.emplace(io_, o, [this](net::Connection& c) { return run_session(deps_, c, "pop3"); });
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    pool_.join();
  }
  std::unique_ptr<Client> connect() {
    auto c = std::make_unique<Client>(server_->port());
    EXPECT_EQ(c->line(), "+OK mail.example.test POP3 ready\r\n");
    return c;
  }
  std::unique_ptr<Client> logged_in() {
    auto c = connect();
    EXPECT_EQ(c->cmd("USER demo@example.test"), "+OK\r\n");
    EXPECT_EQ(c->cmd("PASS demo pass"), "+OK Logged in, 3 messages (99 octets)\r\n");
    return c;
  }
  // Waits (bounded) for a condition the server reaches after the client's view.
  static bool eventually(const std::function<bool()>& f) {
    for (int i = 0; i < 500; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  SessionConfig config_;
  FakeAuth auth_;
  FakeStore store_;
  metrics::Registry registry_;
  Pop3Metrics metrics_{registry_, {"pop3"}};
  std::optional<directory::LoginThrottle> throttle_;
  asio::thread_pool pool_{2};
  net::SessionRegistry sessions_;  // outlives io_: pending sessions end when io_ goes
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::optional<asio::ssl::context> tls_;
  SessionDeps deps_;
  std::optional<net::Server> server_;
  std::vector<std::thread> threads_;
};

std::string b64(const std::string& s) { return common::base64_encode(s); }

}  // namespace

TEST_F(SessionTest, CapaBeforeTlsWithoutPlaintextAuth) {
  start(false);
  auto c = connect();
  c->send("CAPA\r\n");
  EXPECT_EQ(c->multiline(),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nSTLS\r\n"
            "IMPLEMENTATION mail-pop3\r\n.\r\n");
  const std::string refused = "-ERR [AUTH] Plaintext authentication is not allowed without TLS, use STLS first\r\n";
  EXPECT_EQ(c->cmd("USER demo@example.test"), refused);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0demo@example.test\0demo pass", 28))), refused);
  EXPECT_EQ(c->cmd("PASS demo pass"), refused);
  EXPECT_EQ(auth_.calls, 0) << "no password left the process";
  EXPECT_EQ(c->cmd("QUIT"), "+OK Bye\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(SessionTest, StlsDiscardsPipelinedInputAndEnablesLogin) {
  start(false);
  auto c = connect();
  c->send("STLS\r\nCAPA\r\n");  // CAPA must not run, neither in clear nor in TLS
  EXPECT_EQ(c->line(), "+OK Begin TLS negotiation\r\n");
  ASSERT_TRUE(c->handshake());
  c->send("CAPA\r\n");
  EXPECT_EQ(c->multiline(),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN LOGIN\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nIMPLEMENTATION mail-pop3\r\n.\r\n");
  EXPECT_EQ(c->cmd("STLS"), "-ERR TLS is already active\r\n");
  EXPECT_EQ(c->cmd("USER demo@example.test"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS demo pass"), "+OK Logged in, 3 messages (99 octets)\r\n");
  EXPECT_EQ(c->cmd("STAT"), "+OK 3 99\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Bye\r\n");
}

TEST_F(SessionTest, TransactionCommandsByteForByte) {
  start();
  auto c = logged_in();
  EXPECT_TRUE(store_.locked(1));
  EXPECT_GT(store_.last_ttl, 5);
  EXPECT_EQ(c->cmd("STAT"), "+OK 3 99\r\n");
  c->send("LIST\r\n");
  EXPECT_EQ(c->multiline(), "+OK 3 messages (99 octets)\r\n1 23\r\n2 40\r\n3 36\r\n.\r\n");
  EXPECT_EQ(c->cmd("LIST 2"), "+OK 2 40\r\n");
  c->send("UIDL\r\n");
  EXPECT_EQ(c->multiline(), "+OK\r\n1 5f00000000000001\r\n2 5f00000000000002\r\n3 5f00000000000005\r\n.\r\n");
  EXPECT_EQ(c->cmd("UIDL 3"), "+OK 3 5f00000000000005\r\n");
  c->send("RETR 2\r\n");
  EXPECT_EQ(c->multiline(), "+OK 40 octets\r\nSubject: dots\r\n\r\n..leading dot\r\n..\r\nlast\r\n.\r\n");
  c->send("TOP 3 1\r\n");
  EXPECT_EQ(c->multiline(), "+OK\r\nSubject: three\r\nX: y\r\n\r\nl1\r\n.\r\n");
  c->send("TOP 3 0\r\n");
  EXPECT_EQ(c->multiline(), "+OK\r\nSubject: three\r\nX: y\r\n\r\n.\r\n");
  EXPECT_EQ(c->cmd("LIST 4"), "-ERR no such message\r\n");
  EXPECT_EQ(c->cmd("RETR 0"), "-ERR invalid message number\r\n");
  EXPECT_EQ(c->cmd("RETR x"), "-ERR invalid message number\r\n");
  EXPECT_EQ(c->cmd("NOOP"), "+OK\r\n");
  EXPECT_EQ(c->cmd("USER x"), "-ERR Already logged in\r\n");
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Message 1 deleted\r\n");
  EXPECT_EQ(c->cmd("DELE 1"), "-ERR message 1 already deleted\r\n");
  EXPECT_EQ(c->cmd("RETR 1"), "-ERR no such message\r\n");
  EXPECT_EQ(c->cmd("STAT"), "+OK 2 76\r\n");
  EXPECT_EQ(c->cmd("RSET"), "+OK 3 messages (99 octets)\r\n");
  EXPECT_EQ(c->cmd("DELE 3"), "+OK Message 3 deleted\r\n");
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Message 1 deleted\r\n");
  EXPECT_EQ(store_.count(1), 3u) << "DELE alone changes nothing";
  EXPECT_EQ(c->cmd("QUIT"), "+OK Bye\r\n");
  EXPECT_TRUE(c->closed());
  ASSERT_EQ(store_.commits.size(), 1u);
  EXPECT_EQ(store_.commits[0], (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(store_.seen_commits[0], (std::vector<int64_t>{2}))
      << "RETR 2 sets \\Seen at QUIT; TOP does not, and deleted messages need none";
  EXPECT_EQ(store_.count(1), 1u);
  EXPECT_FALSE(store_.locked(1));

  // The next session sees the survivor under the same unique-id.
  auto d = connect();
  d->cmd("USER demo@example.test");
  EXPECT_EQ(d->cmd("PASS demo pass"), "+OK Logged in, 1 messages (40 octets)\r\n");
  EXPECT_EQ(d->cmd("UIDL 1"), "+OK 1 5f00000000000002\r\n");
  EXPECT_NE(registry_.serialize().find("mail_pop3_messages_deleted_total 2"), std::string::npos);
}

TEST_F(SessionTest, DroppedConnectionDeletesNothingAndReleasesTheLease) {
  start();
  {
    auto c = logged_in();
    EXPECT_EQ(c->cmd("DELE 1"), "+OK Message 1 deleted\r\n");
  }  // closed without QUIT
  ASSERT_TRUE(eventually([&] { return !store_.locked(1); }));
  EXPECT_TRUE(store_.commits.empty());
  EXPECT_EQ(store_.count(1), 3u);
}

TEST_F(SessionTest, CachedLoginOfADeletedAccountIsForgottenAndAskedAgain) {
  start();
  store_.gone = 1;
  auto c = connect();
  c->cmd("USER demo@example.test");
  EXPECT_EQ(c->cmd("PASS demo pass"), "+OK Logged in, 3 messages (99 octets)\r\n");
  EXPECT_EQ(auth_.calls, 2) << "asked the directory again";
  EXPECT_EQ(auth_.forgotten, (std::vector<int64_t>{1}));
  EXPECT_EQ(c->cmd("QUIT"), "+OK Bye\r\n");

  store_.gone = 2;  // still gone after asking again: a temporary failure, not a crash
  auto d = connect();
  d->cmd("USER demo@example.test");
  EXPECT_EQ(d->cmd("PASS demo pass"), "-ERR [SYS/TEMP] Mailbox is temporarily unavailable, try again later\r\n");
  EXPECT_EQ(d->cmd("STAT"), "-ERR Not logged in\r\n");
}

TEST_F(SessionTest, SecondSessionGetsInUseAndStaysInAuthorization) {
  start();
  auto a = logged_in();
  auto b = connect();
  b->cmd("USER demo@example.test");
  EXPECT_EQ(b->cmd("PASS demo pass"), "-ERR [IN-USE] Mailbox is locked by another session\r\n");
  EXPECT_EQ(b->cmd("STAT"), "-ERR Not logged in\r\n");
  b->cmd("USER other@example.test");
  EXPECT_EQ(b->cmd("PASS pw"), "+OK Logged in, 0 messages (0 octets)\r\n");
  EXPECT_EQ(a->cmd("QUIT"), "+OK Bye\r\n");
  EXPECT_EQ(b->cmd("QUIT"), "+OK Bye\r\n");
  EXPECT_FALSE(store_.locked(1));
  EXPECT_FALSE(store_.locked(2));
}

TEST_F(SessionTest, WrongPasswordsThenClose) {
  start();
  auto c = connect();
  EXPECT_EQ(c->cmd("PASS x"), "-ERR USER first\r\n");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c->cmd("USER demo@example.test"), "+OK\r\n");
    EXPECT_EQ(c->cmd("PASS wrong"), "-ERR [AUTH] Authentication failed\r\n");
  }
  EXPECT_TRUE(c->closed()) << "max_auth_failures reached";
  EXPECT_NE(registry_.serialize().find("mail_pop3_auth_attempts_total{result=\"failure\"} 3"), std::string::npos);
}

TEST_F(SessionTest, DirectoryOrStoreDownIsTemporary) {
  start();
  auto c = connect();
  c->cmd("USER down@example.test");
  EXPECT_EQ(c->cmd("PASS x"), "-ERR [SYS/TEMP] Authentication is temporarily unavailable, try again later\r\n");
  store_.fail_open = true;
  c->cmd("USER demo@example.test");
  EXPECT_EQ(c->cmd("PASS demo pass"), "-ERR [SYS/TEMP] Mailbox is temporarily unavailable, try again later\r\n");
  store_.fail_open = false;
  c->cmd("USER demo@example.test");
  EXPECT_EQ(c->cmd("PASS demo pass"), "+OK Logged in, 3 messages (99 octets)\r\n");
}

TEST_F(SessionTest, AuthPlainInitialResponseContinuationAndCancel) {
  start();
  auto c = connect();
  c->send("AUTH\r\n");
  EXPECT_EQ(c->multiline(), "+OK Mechanisms follow\r\nPLAIN\r\nLOGIN\r\n.\r\n");
  EXPECT_EQ(c->cmd("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN"), "+ \r\n");
  EXPECT_EQ(c->cmd("*"), "-ERR Authentication cancelled\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN ="), "-ERR Malformed AUTH PLAIN response\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("other@example.test\0demo@example.test\0demo pass", 46))),
            "-ERR [AUTH] Authentication failed\r\n")
      << "no proxy authorization";
  EXPECT_EQ(c->cmd("AUTH PLAIN"), "+ \r\n");
  EXPECT_EQ(c->cmd(b64(std::string("\0demo@example.test\0demo pass", 28))),
            "+OK Logged in, 3 messages (99 octets)\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Bye\r\n");

  auto d = connect();
  EXPECT_EQ(d->cmd("AUTH plain " + b64(std::string("demo@example.test\0demo@example.test\0demo pass", 45))),
            "+OK Logged in, 3 messages (99 octets)\r\n");
}

// LOGIN through libs/sasl: both prompts, the user name as initial
// response, cancel, and a non-UTF-8 user name refused before the directory.
TEST_F(SessionTest, AuthLoginThroughTheSaslLibrary) {
  start();
  auto c = connect();
  EXPECT_EQ(c->cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c->cmd("*"), "-ERR Authentication cancelled\r\n");
  EXPECT_EQ(c->cmd("AUTH LOGIN " + b64("\xff")), "-ERR Malformed AUTH LOGIN response\r\n");
  EXPECT_EQ(auth_.calls, 0);
  EXPECT_EQ(c->cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c->cmd(b64("demo@example.test")), "+ UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c->cmd(b64("demo pass")), "+OK Logged in, 3 messages (99 octets)\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Bye\r\n");

  auto d = connect();
  EXPECT_EQ(d->cmd("AUTH LOGIN " + b64("demo@example.test")), "+ UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(d->cmd(b64("demo pass")), "+OK Logged in, 3 messages (99 octets)\r\n");
}

TEST_F(SessionTest, FailedCommitDeletesNothing) {
  start();
  auto c = logged_in();
  c->cmd("DELE 2");
  store_.fail_commit = true;
  EXPECT_EQ(c->cmd("QUIT"), "-ERR [SYS/TEMP] Could not delete messages, nothing was deleted\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(store_.count(1), 3u);
  ASSERT_TRUE(eventually([&] { return !store_.locked(1); })) << "lease released after the failure";
}

TEST_F(SessionTest, LostLeaseEndsSessionWithoutDeleting) {
  config_.lease_renew_interval = 0s;  // renew before every command
  start();
  auto c = logged_in();
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Message 1 deleted\r\n");
  EXPECT_GT(store_.renewals, 0);
  store_.steal_lock(1);
  EXPECT_EQ(c->cmd("QUIT"), "-ERR [IN-USE] Lost the mailbox lock; nothing was deleted\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(store_.count(1), 3u);
  EXPECT_TRUE(store_.commits.empty());
}

TEST_F(SessionTest, LargeMessagesAreStreamedByChunk) {
  config_.max_message_size = 30;  // messages 2 (40) and 3 (36) stream
  start();
  auto c = logged_in();
  c->send("RETR 2\r\n");
  EXPECT_EQ(c->multiline(), "+OK 40 octets\r\nSubject: dots\r\n\r\n..leading dot\r\n..\r\nlast\r\n.\r\n");
  c->send("TOP 3 2\r\n");
  EXPECT_EQ(c->multiline(), "+OK\r\nSubject: three\r\nX: y\r\n\r\nl1\r\nl2\r\n.\r\n");
  c->send("RETR 1\r\n");
  EXPECT_EQ(c->multiline(), "+OK 23 octets\r\nSubject: one\r\n\r\nhello\r\n.\r\n");
  EXPECT_EQ(store_.whole_reads, 1);
  EXPECT_GT(store_.part_reads, 6);
}

TEST_F(SessionTest, PipelinedCommandsAllAnswered) {
  start();
  auto c = logged_in();
  c->send("STAT\r\nLIST 1\r\nUIDL 2\r\nNOOP\r\nRETR 1\r\nQUIT\r\n");
  EXPECT_EQ(c->line(), "+OK 3 99\r\n");
  EXPECT_EQ(c->line(), "+OK 1 23\r\n");
  EXPECT_EQ(c->line(), "+OK 2 5f00000000000002\r\n");
  EXPECT_EQ(c->line(), "+OK\r\n");
  EXPECT_EQ(c->multiline(), "+OK 23 octets\r\nSubject: one\r\n\r\nhello\r\n.\r\n");
  EXPECT_EQ(c->line(), "+OK Bye\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(SessionTest, ParserErrorsKeepTheConnectionUntilTheLimit) {
  config_.max_errors = 4;
  start();
  auto c = connect();
  EXPECT_EQ(c->cmd("FOO"), "-ERR unknown command\r\n");
  EXPECT_EQ(c->cmd(std::string(300, 'A')), "-ERR line too long\r\n");
  EXPECT_EQ(c->cmd("APOP demo 0123456789abcdef0123456789abcdef"), "-ERR APOP is not supported\r\n");
  EXPECT_EQ(c->cmd("CAPA").substr(0, 3), "+OK");
  c->multiline();
  EXPECT_EQ(c->cmd("STAT"), "-ERR Too many errors, closing connection\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(SessionTest, OversizedLineIsRefusedAndSkipped) {
  start();
  auto c = connect();
  EXPECT_EQ(c->cmd("USER " + std::string(20000, 'x')), "-ERR line too long\r\n");
  EXPECT_EQ(c->cmd("NOOP"), "-ERR Not logged in\r\n") << "the rest of the long line was not taken as a command";
}

namespace mail::pop3d {
namespace {

// SIGTERM (the registry's drain) with DELEs pending at the prompt: the
// session says goodbye at once, deletes nothing and frees the lease.
TEST_F(SessionTest, DrainAtThePromptDeletesNothing) {
  start();
  auto c = logged_in();
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Message 1 deleted\r\n");
  ASSERT_TRUE(eventually([&] { return sessions_.size() == 1; }));
  sessions_.drain();
  EXPECT_EQ(c->line(), "-ERR [SYS/TEMP] Server shutting down, nothing was deleted\r\n");
  EXPECT_EQ(c->line(), "<eof>");
  EXPECT_TRUE(eventually([&] { return !store_.locked(1); }));
  EXPECT_EQ(store_.count(1), 3u);
  EXPECT_TRUE(store_.commits.empty());
  // A session that connects while draining is told so at once.
  Client late(server_->port());
  EXPECT_EQ(late.line(), "-ERR [SYS/TEMP] Server shutting down, nothing was deleted\r\n");
}

// A drain that arrives while QUIT is committing lets the commit finish: the
// DELEs are applied and the client hears +OK, never half of it.
TEST_F(SessionTest, DrainDuringQuitCompletesIt) {
  start();
  auto c = logged_in();
  EXPECT_EQ(c->cmd("DELE 2"), "+OK Message 2 deleted\r\n");
  sessions_.drain();  // posted to the session's strand: may land before or during QUIT
  c->send("QUIT\r\n");
  std::string reply = c->line();
  if (reply == "+OK Bye\r\n") {
    EXPECT_EQ(store_.count(1), 2u);
    ASSERT_EQ(store_.commits.size(), 1u);
  } else {
    EXPECT_EQ(reply, "-ERR [SYS/TEMP] Server shutting down, nothing was deleted\r\n");
    EXPECT_EQ(store_.count(1), 3u);
    EXPECT_TRUE(store_.commits.empty());
  }
  EXPECT_EQ(c->line(), "<eof>");
  EXPECT_TRUE(eventually([&] { return !store_.locked(1); }));
}

}  // namespace
}  // namespace mail::pop3d

// ---- the shared login throttle ---------------------------------------------------

namespace {

using mail::test::quiet_throttle;

const std::string kThrottled = "-ERR [SYS/TEMP] Too many failed login attempts, try again later\r\n";

}  // namespace

TEST_F(SessionTest, ThrottleRefusesWithoutAskingTheDirectory) {
  start(true, quiet_throttle(2));
  {
    auto c = connect();
    EXPECT_EQ(c->cmd("USER demo@example.test"), "+OK\r\n");
    EXPECT_EQ(c->cmd("PASS wrong"), "-ERR [AUTH] Authentication failed\r\n");
    EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0demo@example.test\0wrong", 24))),
              "-ERR [AUTH] Authentication failed\r\n");
  }
  EXPECT_EQ(auth_.calls, 2);
  auto c = connect();
  EXPECT_EQ(c->cmd("USER demo@example.test"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS demo pass"), kThrottled);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + b64(std::string("\0demo@example.test\0demo pass", 28))), kThrottled);
  EXPECT_EQ(auth_.calls, 2) << "no password was checked";
  // Another account from the same address is not this pair.
  EXPECT_EQ(c->cmd("USER other@example.test"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS pw"), "+OK Logged in, 0 messages (0 octets)\r\n");
  const std::string m = registry_.serialize();
  EXPECT_NE(m.find("mail_login_throttle_total{decision=\"refused\",protocol=\"pop3\"} 2"), std::string::npos) << m;
  EXPECT_NE(m.find("mail_pop3_auth_attempts_total{result=\"throttled\"} 2"), std::string::npos) << m;
}

TEST_F(SessionTest, ThrottleDelayIsWaitedBeforeTheDirectoryIsAsked) {
  directory::ThrottleConfig cfg = quiet_throttle(100);
  cfg.delay_after = 0;
  cfg.delay_start = 400ms;
  cfg.delay_max = 400ms;
  start(true, cfg);
  auto c = connect();
  c->cmd("USER demo@example.test");
  EXPECT_EQ(c->cmd("PASS wrong"), "-ERR [AUTH] Authentication failed\r\n");
  c->cmd("USER demo@example.test");
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(c->cmd("PASS demo pass"), "+OK Logged in, 3 messages (99 octets)\r\n");
  const auto asked =
      std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(auth_.last_call_at.load()));
  EXPECT_GE(asked - sent, 390ms) << "the directory was asked before the delay was over";
}

TEST_F(SessionTest, ThrottleHearsFailuresAndSuccessesNotUnavailable) {
  start(true, quiet_throttle(10));
  auto c = connect();
  c->cmd("USER down@example.test");
  EXPECT_EQ(c->cmd("PASS x"), "-ERR [SYS/TEMP] Authentication is temporarily unavailable, try again later\r\n");
  EXPECT_EQ(throttle_->state("127.0.0.1", "down@example.test").pair_failures, 0) << "unavailable is not counted";
  EXPECT_EQ(throttle_->state("127.0.0.1", "").address_failures, 0);
  c->cmd("USER demo@example.test");
  EXPECT_EQ(c->cmd("PASS wrong"), "-ERR [AUTH] Authentication failed\r\n");
  directory::ThrottleState s = throttle_->state("127.0.0.1", "demo@example.test");
  EXPECT_EQ(s.pair_failures, 1);
  EXPECT_EQ(s.address_failures, 1);
  EXPECT_FALSE(s.known);
  EXPECT_EQ(c->cmd("AUTH LOGIN " + b64("demo@example.test")), "+ UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c->cmd(b64("demo pass")), "+OK Logged in, 3 messages (99 octets)\r\n");
  s = throttle_->state("127.0.0.1", "demo@example.test");
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.pair_failures, 0);
}
