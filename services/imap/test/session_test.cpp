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
// CLOSE (expunging only when read-write) and UNSELECT; APPEND (flags, date,
// CRLF normalisation, [TRYCREATE], [OVERQUOTA], EXISTS in the selected mailbox).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
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
  }
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
      s.index.flags = {store::kSeen, 0, store::kSeen | store::kDeleted};
      if (rw) s.recent_uids = {9};
    }
    return store::Result<store::Selected>(std::move(s));
  }
  common::Result<store::Result<store::Expunged>> expunge(int64_t, int64_t mailbox_id,
                                                         const std::vector<int64_t>&) override {
    expunges.push_back(mailbox_id);
    return store::Result<store::Expunged>(store::Expunged{{9}, 8});
  }

  common::Result<store::Result<AppendDone>> append(int64_t, const std::string& name, const std::string& message,
                                                   const store::AppendRequest& req) override {
    auto* box = find(name);
    if (!box) return store::Result<AppendDone>(store::Error::kNotFound);
    if (message.size() > 500) return store::Result<AppendDone>(store::Error::kOverQuota);
    appended.push_back(message);
    append_requests.push_back(req);
    AppendDone d;
    d.mailbox_id = box->id;
    d.appended.uidvalidity = box->uidvalidity;
    d.appended.uid = box->uid_next++;
    d.appended.modseq = ++box->highest_modseq;
    return store::Result<AppendDone>(d);
  }

  common::Result<store::Quota> quota(int64_t) override { return quota_now; }
  store::Quota quota_now{.limit = 1024 * 1024, .used = 2049, .messages = 3};

  std::vector<std::string> appended;
  std::vector<store::AppendRequest> append_requests;
  std::vector<store::MailboxInfo> boxes;
  std::vector<std::string> subscriptions, created, selects;
  std::vector<int64_t> expunges;
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
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS "
    "QUOTA QUOTA=RES-STORAGE";

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

TEST_F(ImapSession, AppendWithFlagsDateAndTheRefusals) {
  start(true);
  auto c = logged_in();
  c->send("a APPEND Sent (\\Seen $Work) \"05-Jan-2026 10:00:00 +0100\" {19}\r\n");
  EXPECT_EQ(c->line(), "+ Ready for literal data\r\n");
  c->send("Subject: hi\n\nbody\r\n\r\n");
  EXPECT_EQ(c->until("a"), "a OK [APPENDUID 1700000002 10] APPEND completed\r\n");
  ASSERT_EQ(store_.appended.size(), 1u);
  EXPECT_EQ(store_.appended[0], "Subject: hi\r\n\r\nbody\r\n") << "bare LF made CRLF";
  EXPECT_EQ(store_.append_requests[0].flags, store::kSeen);
  EXPECT_EQ(store_.append_requests[0].keywords, (std::vector<std::string>{"$Work"}));
  EXPECT_EQ(store_.append_requests[0].internal_date, 1767603600) << "2026-01-05 09:00:00 UTC";
  EXPECT_EQ(c->cmd("b", "APPEND Nope {1+}\r\nx"), "b NO [TRYCREATE] Mailbox does not exist\r\n");
  EXPECT_EQ(c->cmd("c", "APPEND INBOX (\\Recent) {1+}\r\nx"), "c BAD Invalid system flag \\Recent\r\n");
  EXPECT_EQ(c->cmd("d", "APPEND INBOX {600+}\r\n" + std::string(600, 'x')), "d NO [OVERQUOTA] Quota exceeded\r\n");
  // Into the selected mailbox: EXISTS grows at once.
  c->cmd("e", "SELECT INBOX");
  EXPECT_EQ(c->cmd("f", "APPEND INBOX {3+}\r\nx\r\n"),
            "* 4 EXISTS\r\nf OK [APPENDUID 1700000001 10] APPEND completed\r\n");
}

TEST_F(ImapSession, QuotaOfTheAccountAsOneRoot) {
  start(true);
  auto c = logged_in();
  EXPECT_EQ(c->cmd("a", "GETQUOTAROOT INBOX"),
            "* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE 3 1024)\r\na OK GETQUOTAROOT completed\r\n");
  EXPECT_EQ(c->cmd("b", "GETQUOTA \"\""), "* QUOTA \"\" (STORAGE 3 1024)\r\nb OK GETQUOTA completed\r\n");
  EXPECT_EQ(c->cmd("c", "GETQUOTA other"), "c NO [NONEXISTENT] No such quota root\r\n");
  EXPECT_EQ(c->cmd("d", "GETQUOTAROOT Nope"), "d NO [NONEXISTENT] Mailbox does not exist\r\n");
  EXPECT_EQ(c->cmd("e", "SETQUOTA \"\" (STORAGE 10)"), "e NO [NOPERM] Quotas are set by the administrator\r\n");
  store_.quota_now.limit = 0;  // unlimited: no quota root at all
  EXPECT_EQ(c->cmd("f", "GETQUOTAROOT INBOX"), "* QUOTAROOT INBOX\r\nf OK GETQUOTAROOT completed\r\n");
}
