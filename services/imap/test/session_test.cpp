// SPDX-License-Identifier: Apache-2.0
// The IMAP session over real loopback connections (port 0), with a fake
// directory: the greeting and CAPABILITY per state and TLS, LOGINDISABLED
// and [PRIVACYREQUIRED] before STARTTLS, STARTTLS, LOGIN and AUTHENTICATE
// PLAIN (with and without SASL-IR) and LOGIN, failures and BYE after
// max_auth_failures, the throttle's refusal without a directory call,
// literals of both kinds (the continuation, an oversized one refused before
// its octets are read), BAD with the tag kept, commands in the wrong state,
// the error limit, LOGOUT, ID, NAMESPACE, ENABLE and the drain goodbye; with a
// fake mailbox store: LIST (patterns, special use, children, subscriptions,
// RETURN STATUS), LSUB, STATUS, CREATE/DELETE/RENAME with modified UTF-7
// names and the store's refusals as NO [code], SELECT/EXAMINE byte for byte,
// CLOSE (expunging only when read-write) and UNSELECT.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "mail/common/base64.h"
#include "mail/net/server.h"
#include "mail/net/testing/client.h"
#include "mail/net/tls.h"
#include "quiet_throttle.h"
#include "session.h"

using namespace mail;
using namespace mail::imapd;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

class FakeAuth : public directory::Authenticator {
 public:
  directory::AuthAnswer authenticate(const std::string& user, const std::string& password,
                                     const std::string&) override {
    ++calls;
    directory::AuthAnswer r;
    if (user == "down@example.test") return r;  // kUnavailable
    r.status = directory::AuthAnswer::Status::kDenied;
    if (user == "demo@example.test" && password == "demo pass") r = {directory::AuthAnswer::Status::kOk, 1, user};
    return r;
  }
  void forget_account(int64_t) override {}
  std::atomic<int> calls{0};
};

// An account's mailboxes in memory; what the session asked is recorded.
class FakeStore : public MailStore {
 public:
  FakeStore() {
    add("INBOX", store::SpecialUse::kNone);
    add("Sent", store::SpecialUse::kSent);
    add("Trash", store::SpecialUse::kTrash);
    add("Work", store::SpecialUse::kNone);
    add("Work/2026", store::SpecialUse::kNone);
    subscriptions = {"INBOX", "Gone", "Work/2026"};
    // INBOX's three messages (UIDs 3, 5, 9), CRLF as the store keeps them.
    messages[3] = kPlain;
    messages[5] = kMultipart;
    messages[9] = kShort;
    flags = {{3, store::kSeen}, {5, 0}, {9, store::kSeen | store::kDeleted}};
  }
  static constexpr const char* kPlain =
      "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: Hello\r\n"
      "Date: Mon, 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <m3@example.test>\r\n\r\nHi Bob.\r\n";
  static constexpr const char* kMultipart =
      "From: bob@example.test\r\nSubject: Parts\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\n--b1\r\n"
      "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>second</p>\r\n"
      "--b1--\r\n";
  static constexpr const char* kShort = "Subject: Third\r\n\r\nthree\r\n";
  void add(const std::string& name, store::SpecialUse use) {
    store::MailboxInfo m;
    m.id = next_id_++;
    m.name = name;
    m.special_use = use;
    m.uidvalidity = 1700000000 + m.id;
    m.uid_next = 10;
    m.messages = name == "INBOX" ? 3 : 0;
    m.unseen = name == "INBOX" ? 1 : 0;
    m.highest_modseq = 7;
    m.bytes = name == "INBOX" ? 300 : 0;
    boxes.push_back(m);
    refresh_children();
  }
  void refresh_children() {
    for (auto& b : boxes) {
      b.has_children = false;
      for (const auto& c : boxes)
        if (c.name.rfind(b.name + "/", 0) == 0) b.has_children = true;
    }
  }
  store::MailboxInfo* find(const std::string& name) {
    for (auto& b : boxes)
      if (b.name == name) return &b;
    return nullptr;
  }
  common::Status open_account(int64_t) override {
    ++opened;
    return common::Done{};
  }
  common::Result<Listing> list(int64_t) override {
    if (down) return common::Error{common::ErrorCode::unavailable, "db down"};
    return Listing{boxes, subscriptions};
  }
  common::Result<store::Result<int64_t>> create(int64_t, const std::string& name, store::SpecialUse use) override {
    created.push_back(name);
    if (find(name)) return store::Result<int64_t>(store::Error::kAlreadyExists);
    add(name, use);
    return store::Result<int64_t>(boxes.back().id);
  }
  common::Result<store::Result<store::DeletedMailbox>> remove(int64_t, const std::string& name) override {
    if (name == "INBOX") return store::Result<store::DeletedMailbox>(store::Error::kInboxCannotBeDeleted);
    auto* b = find(name);
    if (!b) return store::Result<store::DeletedMailbox>(store::Error::kNotFound);
    if (b->has_children) return store::Result<store::DeletedMailbox>(store::Error::kHasChildren);
    std::erase_if(boxes, [&](const store::MailboxInfo& m) { return m.name == name; });
    refresh_children();
    return store::Result<store::DeletedMailbox>(store::DeletedMailbox{});
  }
  common::Result<store::Result<store::Renamed>> rename(int64_t, const std::string& from, const std::string& to) override {
    auto* b = find(from);
    if (!b) return store::Result<store::Renamed>(store::Error::kNotFound);
    b->name = to;
    return store::Result<store::Renamed>(store::Renamed{b->id, 1});
  }
  common::Result<store::Result<store::Done>> subscribe(int64_t, const std::string& name, bool on) override {
    if (on) subscriptions.push_back(name);
    else std::erase(subscriptions, name);
    std::sort(subscriptions.begin(), subscriptions.end());
    return store::Result<store::Done>(store::Done{});
  }
  common::Result<store::Result<store::MailboxInfo>> status(int64_t, const std::string& name) override {
    auto* b = find(name == "inbox" ? "INBOX" : name);
    if (!b) return store::Result<store::MailboxInfo>(store::Error::kNotFound);
    return store::Result<store::MailboxInfo>(*b);
  }
  common::Result<store::Result<store::Selected>> select(int64_t, const std::string& name, bool rw) override {
    selects.push_back(name + (rw ? " rw" : " ro"));
    auto* b = find(name);
    if (!b) return store::Result<store::Selected>(store::Error::kNotFound);
    store::Selected s;
    s.mailbox = *b;
    s.keywords = {"$Junk"};
    if (b->name == "INBOX") {
      s.index.uids = {3, 5, 9};
      s.index.modseqs = {5, 6, 7};
      for (int64_t uid : s.index.uids) s.index.flags.push_back(static_cast<uint8_t>(flags[uid]));
      for (uint32_t pos = 0; pos < 3; ++pos) {
        std::vector<uint32_t> ix;
        for (const auto& k : keywords[s.index.uids[pos]]) {
          auto it = std::find(s.keywords.begin(), s.keywords.end(), k);
          if (it == s.keywords.end()) it = s.keywords.insert(s.keywords.end(), k);
          ix.push_back(static_cast<uint32_t>(it - s.keywords.begin()));
        }
        if (!ix.empty()) s.index.keywords.emplace_back(pos, ix);
      }
      if (rw) s.recent_uids = {9};
    }
    return store::Result<store::Selected>(std::move(s));
  }
  common::Result<store::Result<store::Expunged>> expunge(int64_t, int64_t mailbox_id,
                                                         const std::vector<int64_t>&) override {
    expunges.push_back(mailbox_id);
    return store::Result<store::Expunged>(store::Expunged{{9}, 8});
  }
  common::Result<store::Result<std::vector<store::MessageMeta>>> fetch_meta(int64_t, int64_t,
                                                                            const std::vector<int64_t>& uids) override {
    ++meta_calls;
    if (down_fetch) return common::Error{common::ErrorCode::unavailable, "db down"};
    std::vector<store::MessageMeta> out;
    for (int64_t uid : uids) {
      if (!messages.count(uid) || vanished.count(uid)) continue;
      const std::string& m = messages[uid];
      const auto end = m.find("\r\n\r\n");
      out.push_back({uid, uid * 100, m.size(), static_cast<uint32_t>(end == std::string::npos ? m.size() : end + 4),
                     1736157600});
    }
    return store::Result<std::vector<store::MessageMeta>>(std::move(out));
  }
  common::Result<store::Result<std::string>> read_message(int64_t, int64_t message_id, size_t max) override {
    reads.push_back(max == SIZE_MAX ? std::to_string(message_id) : std::to_string(message_id) + "<" +
                                                                       std::to_string(max) + ">");
    auto it = messages.find(message_id / 100);
    if (it == messages.end()) return store::Result<std::string>(store::Error::kNotFound);
    return store::Result<std::string>(it->second.substr(0, max));
  }
  common::Result<store::Result<store::StoreResult>> store_flags(int64_t, int64_t,
                                                                const store::StoreRequest& req) override {
    store::StoreResult out;
    out.modseq = ++modseq;
    for (int64_t uid : req.uids) {
      if (!messages.count(uid)) continue;
      int f = flags[uid];
      auto kw = keywords[uid];
      if (req.op == store::StoreOp::kReplace) {
        f = req.flags;
        kw = req.keywords;
      } else if (req.op == store::StoreOp::kAdd) {
        f |= req.flags;
        for (const auto& k : req.keywords)
          if (std::find(kw.begin(), kw.end(), k) == kw.end()) kw.push_back(k);
      } else {
        f &= ~req.flags;
        for (const auto& k : req.keywords) std::erase(kw, k);
      }
      if (f == flags[uid] && kw == keywords[uid]) continue;
      flags[uid] = f;
      keywords[uid] = kw;
      out.changed.push_back({uid, modseq, f, kw});
    }
    return store::Result<store::StoreResult>(std::move(out));
  }

  std::vector<store::MailboxInfo> boxes;
  std::vector<std::string> subscriptions, created, selects;
  std::vector<int64_t> expunges;
  std::map<int64_t, std::string> messages;            // INBOX by UID
  std::map<int64_t, int> flags;                       // store::Flag bits by UID
  std::map<int64_t, std::vector<std::string>> keywords;
  std::set<int64_t> vanished;                          // expunged behind the session's back
  std::vector<std::string> reads;                      // message ids read, "<max>" for a prefix
  std::atomic<int> meta_calls{0};
  int64_t modseq = 7;
  bool down_fetch = false;
  std::atomic<int> opened{0};
  bool down = false;

 private:
  int64_t next_id_ = 1;
};

class Client : public net::testing::Client {
 public:
  explicit Client(uint16_t port) : net::testing::Client(port) { EXPECT_TRUE(connected()); }
  void send(const std::string& data) { EXPECT_TRUE(net::testing::Client::send(data)) << "send failed"; }
  std::string line() {
    std::string l = net::testing::Client::line();
    return l == "<error>" ? "<eof>" : l;
  }
  /// Sends a command line; returns every line up to the tagged reply.
  std::string cmd(const std::string& tag, const std::string& rest) {
    send(tag + " " + rest + "\r\n");
    return until(tag);
  }
  /// Lines up to and including the one that starts with `tag` + " ".
  std::string until(const std::string& tag) {
    std::string out;
    for (int i = 0; i < 50; ++i) {
      std::string l = line();
      out += l;
      if (l.rfind(tag + " ", 0) == 0 || l == "<eof>" || l == "<timeout>") break;
    }
    return out;
  }
};

std::string cert_dir() {
  static std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "imapsvc-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    net::ensure_self_signed(tmpl + "/cert.pem", tmpl + "/key.pem", "mail.example.test");
    return tmpl;
  }();
  return dir;
}

constexpr const char* kGreetingCaps =
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS";

class ImapSession : public ::testing::Test {
 protected:
  void start(bool allow_plaintext = true, std::optional<directory::ThrottleConfig> throttle = std::nullopt) {
    if (throttle) throttle_.emplace(*throttle, registry_, "imap");
    config_.hostname = "mail.example.test";
    config_.allow_plaintext_auth = allow_plaintext;
    config_.auth_failure_delay = 10ms;
    config_.max_errors = 5;
    config_.limits.max_literal = 1000;
    config_.limits.max_frame = 4000;
    tls_.emplace(net::make_server_tls_context(cert_dir() + "/cert.pem", cert_dir() + "/key.pem"));
    deps_ = SessionDeps{&config_, &pool_,     &auth_,     &store_,
                        &metrics_, &*tls_, &sessions_, throttle_ ? &*throttle_ : nullptr};
    net::ServerOptions o;
    o.address = "127.0.0.1";
    server_.emplace(io_, o, [this](net::Connection& c) { return run_session(deps_, c, "imap"); });
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
    greeting_ = c->line();
    return c;
  }
  std::unique_ptr<Client> logged_in() {
    auto c = connect();
    EXPECT_EQ(c->cmd("a1", "LOGIN demo@example.test \"demo pass\""),
              std::string("a1 OK [CAPABILITY ") + kGreetingCaps + "] Logged in\r\n");
    return c;
  }

  SessionConfig config_;
  FakeAuth auth_;
  FakeStore store_;
  metrics::Registry registry_;
  ImapMetrics metrics_{registry_, {"imap"}};
  std::optional<directory::LoginThrottle> throttle_;
  asio::thread_pool pool_{2};
  net::SessionRegistry sessions_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::optional<asio::ssl::context> tls_;
  SessionDeps deps_;
  std::optional<net::Server> server_;
  std::vector<std::thread> threads_;
  std::string greeting_;
};

std::string b64(const std::string& s) { return common::base64_encode(s); }

}  // namespace

TEST_F(ImapSession, GreetingAndCapabilityBeforeTlsWithoutPlaintextAuth) {
  start(false);
  auto c = connect();
  EXPECT_EQ(greeting_, std::string("* OK [CAPABILITY ") + kGreetingCaps +
                           " STARTTLS LOGINDISABLED] mail.example.test IMAP ready\r\n");
  EXPECT_EQ(c->cmd("a", "CAPABILITY"),
            std::string("* CAPABILITY ") + kGreetingCaps + " STARTTLS LOGINDISABLED\r\na OK CAPABILITY completed\r\n");
  EXPECT_EQ(c->cmd("b", "LOGIN demo@example.test \"demo pass\""),
            "b NO [PRIVACYREQUIRED] Plaintext authentication is disallowed without TLS, use STARTTLS first\r\n");
  EXPECT_EQ(c->cmd("c", "AUTHENTICATE PLAIN " + b64(std::string("\0demo@example.test\0demo pass", 28))),
            "c NO [PRIVACYREQUIRED] Plaintext authentication is disallowed without TLS, use STARTTLS first\r\n");
  EXPECT_EQ(auth_.calls.load(), 0) << "no password checked in clear text";
}

TEST_F(ImapSession, StarttlsThenLoginAndTheCapabilitiesChange) {
  start(false);
  auto c = connect();
  // Pipelined after STARTTLS: must be dropped, never run inside TLS.
  c->send("s STARTTLS\r\nx LOGIN demo@example.test \"demo pass\"\r\n");
  EXPECT_EQ(c->line(), "s OK Begin TLS negotiation now\r\n");
  ASSERT_TRUE(c->handshake());
  EXPECT_EQ(c->cmd("a", "CAPABILITY"), std::string("* CAPABILITY ") + kGreetingCaps +
                                           " AUTH=PLAIN AUTH=LOGIN\r\na OK CAPABILITY completed\r\n");
  EXPECT_EQ(auth_.calls.load(), 0) << "the pipelined LOGIN was discarded";
  EXPECT_EQ(c->cmd("b", "STARTTLS"), "b BAD TLS is already active\r\n");
  EXPECT_EQ(c->cmd("c", "LOGIN demo@example.test \"demo pass\""),
            std::string("c OK [CAPABILITY ") + kGreetingCaps + "] Logged in\r\n");
  EXPECT_EQ(c->cmd("d", "CAPABILITY"), std::string("* CAPABILITY ") + kGreetingCaps + "\r\nd OK CAPABILITY completed\r\n");
  EXPECT_EQ(c->cmd("e", "STARTTLS"), "e BAD STARTTLS: Already logged in\r\n");
}

TEST_F(ImapSession, AuthenticatePlainWithAndWithoutInitialResponseAndLogin) {
  start(true);
  auto c = connect();
  EXPECT_EQ(c->cmd("a", "AUTHENTICATE PLAIN " + b64(std::string("\0demo@example.test\0wrong", 24))),
            "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  c->send("b AUTHENTICATE PLAIN\r\n");
  EXPECT_EQ(c->line(), "+ \r\n");
  c->send(b64(std::string("\0demo@example.test\0demo pass", 28)) + "\r\n");
  EXPECT_EQ(c->until("b"), std::string("b OK [CAPABILITY ") + kGreetingCaps + "] Logged in\r\n");

  auto d = connect();
  d->send("l AUTHENTICATE LOGIN\r\n");
  EXPECT_EQ(d->line(), "+ VXNlcm5hbWU6\r\n");
  d->send(b64("demo@example.test") + "\r\n");
  EXPECT_EQ(d->line(), "+ UGFzc3dvcmQ6\r\n");
  d->send(b64("demo pass") + "\r\n");
  EXPECT_EQ(d->until("l"), std::string("l OK [CAPABILITY ") + kGreetingCaps + "] Logged in\r\n");

  auto e = connect();
  e->send("x AUTHENTICATE PLAIN\r\n");
  EXPECT_EQ(e->line(), "+ \r\n");
  e->send("*\r\n");
  EXPECT_EQ(e->until("x"), "x BAD Authentication cancelled\r\n");
  EXPECT_EQ(e->cmd("y", "AUTHENTICATE CRAM-MD5"), "y NO [CANNOT] Unsupported authentication mechanism\r\n");
  EXPECT_EQ(e->cmd("z", "NOOP"), "z OK NOOP completed\r\n") << "the session goes on";
}

TEST_F(ImapSession, FailuresEndInByeAndUnavailableIsNotAFailure) {
  start(true);
  auto c = connect();
  EXPECT_EQ(c->cmd("u", "LOGIN down@example.test x"),
            "u NO [UNAVAILABLE] Authentication is temporarily unavailable, try again later\r\n");
  EXPECT_EQ(c->cmd("a", "LOGIN demo@example.test bad"), "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  EXPECT_EQ(c->cmd("b", "LOGIN demo@example.test bad"), "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  EXPECT_EQ(c->cmd("c", "LOGIN demo@example.test bad"), "c NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  EXPECT_EQ(c->line(), "* BYE Too many authentication failures\r\n");
  EXPECT_EQ(c->line(), "<eof>");
}

TEST_F(ImapSession, TheThrottleRefusesWithoutAskingTheDirectory) {
  start(true, test::quiet_throttle(2));
  auto c = connect();
  EXPECT_EQ(c->cmd("a", "LOGIN demo@example.test bad"), "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  auto d = connect();
  EXPECT_EQ(d->cmd("b", "LOGIN demo@example.test bad"), "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  const int asked = auth_.calls.load();
  auto e = connect();
  EXPECT_EQ(e->cmd("c", "LOGIN demo@example.test \"demo pass\""),
            "c NO [UNAVAILABLE] Too many failed login attempts, try again later\r\n");
  EXPECT_EQ(auth_.calls.load(), asked) << "a refusal reaches no directory";
}

TEST_F(ImapSession, LiteralsOfBothKindsAndAnOversizedOneRefusedUnread) {
  start(true);
  auto c = connect();
  c->send("a LOGIN {17}\r\n");
  EXPECT_EQ(c->line(), "+ Ready for literal data\r\n");
  c->send("demo@example.test {9+}\r\ndemo pass\r\n");
  EXPECT_EQ(c->until("a"), std::string("a OK [CAPABILITY ") + kGreetingCaps + "] Logged in\r\n");
  // Over max_literal (1000): refused before a single octet is read; the
  // client sends nothing more of it and the session goes on.
  EXPECT_EQ(c->cmd("b", "ID {5000}"), "b NO [TOOBIG] literal too large\r\n");
  EXPECT_EQ(c->cmd("c", "NOOP"), "c OK NOOP completed\r\n");
  // A non-synchronizing one is on its way already: BAD, then close.
  c->send("d ID {5000+}\r\n");
  EXPECT_EQ(c->line(), "d BAD [TOOBIG] literal too large\r\n");
  EXPECT_EQ(c->line(), "<eof>");
}

TEST_F(ImapSession, BadInputKeepsTheTagAndTheConnectionUntilTheErrorLimit) {
  start(true);
  auto c = connect();
  EXPECT_EQ(c->cmd("a", "FROB"), "a BAD unknown command\r\n");
  EXPECT_EQ(c->cmd("b", "SELECT INBOX"), "b BAD SELECT: Log in first\r\n");
  EXPECT_EQ(c->cmd("c", "LOGIN onlyuser"), "c BAD LOGIN: missing argument\r\n");
  c->send("\r\n");
  EXPECT_EQ(c->line(), "* BAD empty command\r\n");
  c->send("e FROB\r\n");
  EXPECT_EQ(c->line(), "e BAD unknown command\r\n");
  EXPECT_EQ(c->line(), "* BYE Too many invalid commands\r\n");
  EXPECT_EQ(c->line(), "<eof>");
}

TEST_F(ImapSession, AuthenticatedCommandsAndLogout) {
  start(true);
  auto c = logged_in();
  EXPECT_EQ(c->cmd("n", "NAMESPACE"), "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nn OK NAMESPACE completed\r\n");
  EXPECT_EQ(c->cmd("i", "ID (\"name\" \"test\")"),
            "* ID (\"name\" \"mail-imap\" \"vendor\" \"mailplatform\")\r\ni OK ID completed\r\n");
  EXPECT_EQ(c->cmd("e", "ENABLE CONDSTORE"), "* ENABLED\r\ne OK ENABLE completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 1 FLAGS"), "f BAD FETCH: Select a mailbox first\r\n");
  EXPECT_EQ(c->cmd("g", "LOGIN demo@example.test x"), "g BAD LOGIN: Already logged in\r\n");
  EXPECT_EQ(c->cmd("z", "LOGOUT"), "* BYE mail.example.test logging out\r\nz OK LOGOUT completed\r\n");
  EXPECT_EQ(c->line(), "<eof>");
}

TEST_F(ImapSession, DrainSaysByeToASessionAtThePrompt) {
  start(true);
  auto c = logged_in();
  sessions_.drain();
  EXPECT_EQ(c->line(), "* BYE [UNAVAILABLE] Server shutting down, try again later\r\n");
  EXPECT_EQ(c->line(), "<eof>");
  auto d = connect();
  EXPECT_EQ(greeting_, "* BYE [UNAVAILABLE] Server shutting down, try again later\r\n");
}

TEST_F(ImapSession, ListPatternsAttributesAndSubscriptions) {
  start(true);
  auto c = logged_in();
  EXPECT_EQ(store_.opened.load(), 1) << "the login makes the default mailboxes";
  EXPECT_EQ(c->cmd("a", "LIST \"\" \"\""), "* LIST (\\Noselect) \"/\" \"\"\r\na OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("b", "LIST \"\" *"),
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
            "* LIST (\\HasChildren) \"/\" Work\r\n"
            "* LIST (\\HasNoChildren) \"/\" Work/2026\r\n"
            "b OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("c", "LIST \"\" %"),
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
            "* LIST (\\HasChildren) \"/\" Work\r\n"
            "c OK LIST completed\r\n")
      << "% stops at the delimiter";
  EXPECT_EQ(c->cmd("d", "LIST Work/ %"), "* LIST (\\HasNoChildren) \"/\" Work/2026\r\nd OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("e", "LIST \"\" inbox"), "* LIST (\\HasNoChildren) \"/\" INBOX\r\ne OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("f", "LIST (SPECIAL-USE) \"\" *"),
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
            "f OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("g", "LIST (SUBSCRIBED) \"\" *"),
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX\r\n"
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" Work/2026\r\n"
            "* LIST (\\NonExistent \\Subscribed) \"/\" Gone\r\n"
            "g OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("h", "LSUB \"\" *"),
            "* LSUB () \"/\" INBOX\r\n* LSUB () \"/\" Work/2026\r\n* LSUB (\\Noselect) \"/\" Gone\r\n"
            "h OK LSUB completed\r\n");
  EXPECT_EQ(c->cmd("i", "LIST \"\" INBOX RETURN (STATUS (MESSAGES UNSEEN))"),
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* STATUS INBOX (MESSAGES 3 UNSEEN 1)\r\ni OK LIST completed\r\n");
  store_.down = true;
  EXPECT_EQ(c->cmd("j", "LIST \"\" *"), "j NO [UNAVAILABLE] Temporary failure, try again later\r\n");
}

TEST_F(ImapSession, MailboxCommandsDecodeModifiedUtf7AndMapRefusals) {
  start(true);
  auto c = logged_in();
  EXPECT_EQ(c->cmd("a", "CREATE &ZeVnLIqe-/"), "a OK CREATE completed\r\n");
  ASSERT_FALSE(store_.created.empty());
  EXPECT_EQ(store_.created.back(), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") << "UTF-8, trailing delimiter dropped";
  EXPECT_EQ(c->cmd("b", "LIST \"\" &ZeVnLIqe-"), "* LIST (\\HasNoChildren) \"/\" &ZeVnLIqe-\r\nb OK LIST completed\r\n");
  EXPECT_EQ(c->cmd("c", "CREATE Sent"), "c NO [ALREADYEXISTS] Mailbox already exists\r\n");
  EXPECT_EQ(c->cmd("d", "CREATE &Jjo"), "d NO [CANNOT] Invalid mailbox name (modified UTF-7 expected)\r\n");
  EXPECT_EQ(c->cmd("e", "CREATE Drafts2 (USE (\\Drafts))"), "e OK CREATE completed\r\n");
  EXPECT_EQ(store_.find("Drafts2")->special_use, store::SpecialUse::kDrafts);
  EXPECT_EQ(c->cmd("f", "CREATE X (USE (\\Bogus))"), "f NO [USEATTR] Unknown special use \\Bogus\r\n");
  EXPECT_EQ(c->cmd("g", "DELETE INBOX"), "g NO [CANNOT] INBOX cannot be deleted\r\n");
  EXPECT_EQ(c->cmd("h", "DELETE Work"), "h NO [CANNOT] Mailbox has children, delete them first\r\n");
  EXPECT_EQ(c->cmd("i", "DELETE Nope"), "i NO [NONEXISTENT] Mailbox does not exist\r\n");
  EXPECT_EQ(c->cmd("j", "RENAME Trash Bin"), "j OK RENAME completed\r\n");
  EXPECT_NE(store_.find("Bin"), nullptr);
  EXPECT_EQ(c->cmd("k", "DELETE Bin"), "k OK DELETE completed\r\n");
  EXPECT_EQ(c->cmd("l", "SUBSCRIBE Work"), "l OK SUBSCRIBE completed\r\n");
  EXPECT_EQ(c->cmd("m", "UNSUBSCRIBE Gone"), "m OK UNSUBSCRIBE completed\r\n");
  EXPECT_EQ(store_.subscriptions, (std::vector<std::string>{"INBOX", "Work", "Work/2026"}));
  EXPECT_EQ(c->cmd("n", "STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)"),
            "* STATUS INBOX (MESSAGES 3 RECENT 0 UIDNEXT 10 UIDVALIDITY 1700000001 UNSEEN 1)\r\nn OK STATUS completed\r\n");
  EXPECT_EQ(c->cmd("o", "STATUS Nope (MESSAGES)"), "o NO [NONEXISTENT] Mailbox does not exist\r\n");
}

TEST_F(ImapSession, SelectExamineCloseAndUnselect) {
  start(true);
  auto c = logged_in();
  EXPECT_EQ(c->cmd("a", "SELECT INBOX"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk \\*)] Flags permitted\r\n"
            "* 3 EXISTS\r\n"
            "* 1 RECENT\r\n"
            "* OK [UNSEEN 2] First unseen\r\n"
            "* OK [UIDVALIDITY 1700000001] UIDs valid\r\n"
            "* OK [UIDNEXT 10] Predicted next UID\r\n"
            "a OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(c->cmd("b", "CHECK"), "b OK CHECK completed\r\n");
  EXPECT_EQ(c->cmd("c", "CLOSE"), "c OK CLOSE completed\r\n");
  EXPECT_EQ(store_.expunges, (std::vector<int64_t>{1})) << "CLOSE expunges a read-write mailbox";
  EXPECT_EQ(c->cmd("d", "CLOSE"), "d BAD CLOSE: Select a mailbox first\r\n");
  EXPECT_EQ(c->cmd("e", "EXAMINE INBOX"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"
            "* OK [PERMANENTFLAGS ()] Flags permitted\r\n"
            "* 3 EXISTS\r\n"
            "* 0 RECENT\r\n"
            "* OK [UNSEEN 2] First unseen\r\n"
            "* OK [UIDVALIDITY 1700000001] UIDs valid\r\n"
            "* OK [UIDNEXT 10] Predicted next UID\r\n"
            "e OK [READ-ONLY] EXAMINE completed\r\n");
  EXPECT_EQ(c->cmd("f", "CLOSE"), "f OK CLOSE completed\r\n");
  EXPECT_EQ(store_.expunges.size(), 1u) << "EXAMINE's CLOSE expunges nothing";
  EXPECT_EQ(c->cmd("g", "SELECT Sent"), "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk \\*)] Flags permitted\r\n"
            "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000002] UIDs valid\r\n"
            "* OK [UIDNEXT 10] Predicted next UID\r\ng OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(c->cmd("h", "SELECT Nope"), "h NO [NONEXISTENT] Mailbox does not exist\r\n");
  EXPECT_EQ(c->cmd("i", "UNSELECT"), "i BAD UNSELECT: Select a mailbox first\r\n") << "a failed SELECT deselects";
  EXPECT_EQ(store_.selects, (std::vector<std::string>{"INBOX rw", "INBOX ro", "Sent rw", "Nope rw"}));
}

// ---- FETCH and STORE ----------------------------------------------------------
// INBOX (FakeStore): 1 = UID 3 kPlain \Seen (153 octets, header 144),
// 2 = UID 5 kMultipart unseen (279, header 107), 3 = UID 9 kShort \Seen
// \Deleted and \Recent for a read-write SELECT (25, header 18).

namespace {

void select_inbox(Client& c, const char* verb = "SELECT") {
  const std::string r = c.cmd("s", std::string(verb) + " INBOX");
  EXPECT_NE(r.find("s OK"), std::string::npos) << r;
}

}  // namespace

TEST_F(ImapSession, FetchAttributesAndMacros) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 1 (FLAGS UID RFC822.SIZE INTERNALDATE)"),
            "* 1 FETCH (FLAGS (\\Seen) UID 3 RFC822.SIZE 153 INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\")\r\n"
            "a OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "FETCH 3 FLAGS"), "* 3 FETCH (FLAGS (\\Deleted \\Seen \\Recent))\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "FETCH 2:3 FAST"),
            "* 2 FETCH (FLAGS () INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 279)\r\n"
            "* 3 FETCH (FLAGS (\\Deleted \\Seen \\Recent) INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 25)\r\n"
            "c OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{})) << "no octets read for FLAGS, dates, sizes";
  EXPECT_EQ(c->cmd("d", "FETCH 1 ENVELOPE"),
            "* 1 FETCH (ENVELOPE (\"Mon, 06 Jan 2025 10:00:00 +0000\" \"Hello\" ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((\"Alice\" NIL \"alice\" \"example.test\")) ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((NIL NIL \"bob\" \"example.test\")) NIL NIL NIL \"<m3@example.test>\"))\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"300<144>"})) << "ENVELOPE reads the header only";
  EXPECT_EQ(c->cmd("e", "FETCH 1 ALL"),
            "* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 153 ENVELOPE "
            "(\"Mon, 06 Jan 2025 10:00:00 +0000\" \"Hello\" ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((\"Alice\" NIL \"alice\" \"example.test\")) ((\"Alice\" NIL \"alice\" \"example.test\")) "
            "((NIL NIL \"bob\" \"example.test\")) NIL NIL NIL \"<m3@example.test>\"))\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 2 BODYSTRUCTURE"),
            "* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"QUOTED-PRINTABLE\" 13 1 NIL NIL NIL NIL) "
            "\"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("g", "FETCH 2 FULL"),
            "* 2 FETCH (FLAGS () INTERNALDATE \" 6-Jan-2025 10:00:00 +0000\" RFC822.SIZE 279 ENVELOPE (NIL \"Parts\" "
            "((NIL NIL \"bob\" \"example.test\")) ((NIL NIL \"bob\" \"example.test\")) ((NIL NIL \"bob\" \"example.test\")) "
            "NIL NIL NIL NIL NIL) BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 1)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"QUOTED-PRINTABLE\" 13 1) \"MIXED\"))\r\n"
            "g OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("h", "FETCH 3 BODY"),
            "* 3 FETCH (BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 7 1))\r\nh OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], 0) << "no item here sets \\Seen";
}

TEST_F(ImapSession, FetchSectionsAndPartials) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 3 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])"),
            "* 3 FETCH (BODY[HEADER] {18}\r\nSubject: Third\r\n\r\n BODY[TEXT] {7}\r\nthree\r\n)\r\na OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "FETCH 1 BODY.PEEK[HEADER.FIELDS (subject FROM)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {52}\r\nFrom: Alice <alice@example.test>\r\nSubject: Hello\r\n\r\n)\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] {18}\r\nSubject: Hello\r\n\r\n)\r\nc OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("d", "FETCH 2 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[2])"),
            "* 2 FETCH (BODY[1] {10}\r\nfirst part BODY[2.MIME] {72}\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n BODY[2] {13}\r\n<p>second</p>)\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "FETCH 2 (BODY.PEEK[]<0.20> BODY.PEEK[1]<6.100> BODY.PEEK[TEXT]<500.3>)"),
            "* 2 FETCH (BODY[]<0> {20}\r\nFrom: bob@example.te BODY[1]<6> {4}\r\npart BODY[TEXT]<500> {0}\r\n)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 3 (RFC822.HEADER RFC822.SIZE)"),
            "* 3 FETCH (RFC822.HEADER {18}\r\nSubject: Third\r\n\r\n RFC822.SIZE 25)\r\nf OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("g", "FETCH 2 (BODY.PEEK[3] BODY.PEEK[1.1])"),
            "* 2 FETCH (BODY[3] {0}\r\n BODY[1.1] {0}\r\n)\r\ng OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("h", "FETCH 3 RFC822"),
            "* 3 FETCH (RFC822 {25}\r\nSubject: Third\r\n\r\nthree\r\n)\r\nh OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("i", "FETCH 3 RFC822.TEXT"),
            "* 3 FETCH (RFC822.TEXT {7}\r\nthree\r\n)\r\ni OK FETCH completed\r\n");
}

TEST_F(ImapSession, BodySetsSeenAndPeekDoesNot) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 2 BODY.PEEK[1]"),
            "* 2 FETCH (BODY[1] {10}\r\nfirst part)\r\na OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], 0) << "PEEK";
  EXPECT_EQ(c->cmd("b", "FETCH 2 BODY[1]"),
            "* 2 FETCH (BODY[1] {10}\r\nfirst part FLAGS (\\Seen))\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], store::kSeen);
  EXPECT_EQ(c->cmd("c", "FETCH 2 (FLAGS BODY[1])"),
            "* 2 FETCH (FLAGS (\\Seen) BODY[1] {10}\r\nfirst part)\r\nc OK FETCH completed\r\n") << "already seen: nothing to store";
  EXPECT_EQ(c->cmd("d", "FETCH 1 RFC822.TEXT"),
            "* 1 FETCH (RFC822.TEXT {9}\r\nHi Bob.\r\n)\r\nd OK FETCH completed\r\n") << "\\Seen already set: no FLAGS";
  store_.flags[5] = 0;
  EXPECT_EQ(c->cmd("x", "EXAMINE INBOX").substr(0, 2), "* ");
  EXPECT_EQ(c->cmd("e", "FETCH 2 RFC822.TEXT"),
            "* 2 FETCH (RFC822.TEXT {172}\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\n--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>second</p>\r\n--b1--\r\n)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(store_.flags[5], 0) << "EXAMINE never sets \\Seen";
}

TEST_F(ImapSession, UidFetchSetsAndErrors) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "UID FETCH 5 FLAGS"),
            "* 2 FETCH (UID 5 FLAGS ())\r\na OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("b", "UID FETCH 4:* (FLAGS UID)"),
            "* 2 FETCH (UID 5 FLAGS ())\r\n* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent))\r\nb OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("c", "UID FETCH 1000 FLAGS"),
            "c OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("d", "UID FETCH 1,2,4,6:8 FLAGS"),
            "d OK UID FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "FETCH *:2 UID"),
            "* 2 FETCH (UID 5)\r\n* 3 FETCH (UID 9)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("f", "FETCH 4 FLAGS"),
            "f BAD FETCH: Invalid message sequence number\r\n");
  EXPECT_EQ(c->cmd("g", "FETCH 1,2:5 FLAGS"),
            "g BAD FETCH: Invalid message sequence number\r\n");
  EXPECT_EQ(c->cmd("h", "FETCH $ FLAGS"),
            "h BAD No saved search result ($ needs SEARCH RETURN (SAVE))\r\n");
  c = logged_in();  // a fresh error count (max_errors is 5 here)
  select_inbox(*c);
  EXPECT_EQ(c->cmd("i", "FETCH 1 BINARY[1]"),
            "i BAD FETCH: BINARY is not served\r\n");
  EXPECT_EQ(c->cmd("j", "FETCH 1 MODSEQ"),
            "j BAD FETCH: MODSEQ is not served\r\n");
  EXPECT_EQ(c->cmd("k", "FETCH 1 (FLAGS) (CHANGEDSINCE 3)"),
            "k BAD FETCH: CHANGEDSINCE needs CONDSTORE, which is not served\r\n");
  store_.vanished = {5};
  EXPECT_EQ(c->cmd("l", "FETCH 1:* RFC822.SIZE"),
            "* 1 FETCH (RFC822.SIZE 153)\r\n* 3 FETCH (RFC822.SIZE 25)\r\nl OK FETCH completed\r\n") << "a vanished message is skipped";
  store_.down_fetch = true;
  EXPECT_EQ(c->cmd("m", "FETCH 1 RFC822.SIZE"),
            "m NO [UNAVAILABLE] Temporary failure, try again later\r\n");
  EXPECT_EQ(c->cmd("n", "UNSELECT"), "n OK UNSELECT completed\r\n");
  EXPECT_EQ(c->cmd("o", "FETCH 1 FLAGS"), "o BAD FETCH: Select a mailbox first\r\n");
  EXPECT_EQ(c->cmd("p", "STORE 1 +FLAGS (\\Seen)"), "p BAD STORE: Select a mailbox first\r\n");
}

TEST_F(ImapSession, StoreModesSilentAndUid) {
  start(true);
  auto c = logged_in();
  select_inbox(*c);
  EXPECT_EQ(c->cmd("a", "STORE 1 +FLAGS (\\Flagged)"),
            "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\na OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("b", "STORE 1:2 -FLAGS (\\Seen \\Flagged)"),
            "* 1 FETCH (FLAGS ())\r\nb OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("c", "STORE 2 FLAGS (\\Answered $Junk Work)"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk Work)\r\n* 2 FETCH (FLAGS (\\Answered $Junk Work))\r\nc OK STORE completed\r\n");
  EXPECT_EQ(c->cmd("d", "FETCH 2 FLAGS"),
            "* 2 FETCH (FLAGS (\\Answered $Junk Work))\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(c->cmd("e", "STORE 1:* +FLAGS.SILENT (\\Draft)"),
            "e OK STORE completed\r\n");
  EXPECT_EQ(store_.flags[3], store::kDraft);
  EXPECT_EQ(c->cmd("f", "UID STORE 5:9 -FLAGS (\\Draft Work)"),
            "* 2 FETCH (UID 5 FLAGS (\\Answered $Junk))\r\n* 3 FETCH (UID 9 FLAGS (\\Deleted \\Seen \\Recent))\r\nf OK UID STORE completed\r\n");
  EXPECT_EQ(c->cmd("g", "UID STORE 1000 +FLAGS (\\Seen)"),
            "g OK UID STORE completed\r\n");
  EXPECT_EQ(c->cmd("h", "STORE 1 +FLAGS (\\Recent)"),
            "h BAD STORE: \\Recent flag cannot be changed\r\n");
  EXPECT_EQ(c->cmd("i", "STORE 1 +FLAGS (\\Foo)"),
            "i BAD STORE: Invalid system flag \\Foo\r\n");
  EXPECT_EQ(c->cmd("j", "STORE 9 +FLAGS (\\Seen)"),
            "j BAD STORE: Invalid message sequence number\r\n");
  EXPECT_EQ(c->cmd("k", "STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\\Seen)"),
            "k BAD STORE: UNCHANGEDSINCE needs CONDSTORE, which is not served\r\n");
  EXPECT_EQ(c->cmd("x", "EXAMINE INBOX").substr(0, 2), "* ");
  EXPECT_EQ(c->cmd("l", "STORE 1 +FLAGS (\\Seen)"),
            "l NO [READ-ONLY] Mailbox is read-only\r\n");
  EXPECT_EQ(store_.flags[3], store::kDraft) << "nothing stored";
}
