// SPDX-License-Identifier: Apache-2.0
// The IMAP session test fixture: a fake directory (FakeAuth), an account's
// mailboxes and INBOX's three messages in memory (FakeStore, recording what
// the session asked and how many octets it read; stored MIME trees only
// once a test stores them or a FETCH saves them), a line client, and the
// ImapSession fixture that runs the real session over loopback (port 0),
// on FakeStore or a store the test names (store_in_use_). Shared by the
// session tests; test code only.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <utility>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "mail/mime/search_text.h"
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
    if (user == "demo@example.test" && password == "demo pass") r = {directory::AuthAnswer::Status::kOk, account, user};
    return r;
  }
  int64_t account = 1;  ///< the account demo@example.test logs in to
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
      for (int64_t uid : {3, 5, 9}) s.index.push_back(uid, static_cast<uint8_t>(flags[uid]));
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
  // COPY / MOVE out of INBOX: new UIDs from the destination's uid_next; a
  // move takes the messages out of INBOX.
  common::Result<store::Result<CopyDone>> copy(int64_t, int64_t, const std::string& dest,
                                               const std::vector<int64_t>& uids, bool move) override {
    auto* box = find(dest);
    if (!box) return store::Result<CopyDone>(store::Error::kNotFound);
    store::Moved out;
    out.copied.uidvalidity = box->uidvalidity;
    for (int64_t uid : uids) {
      if (!messages.count(uid)) continue;
      out.copied.source_uids.push_back(uid);
      out.copied.dest_uids.push_back(box->uid_next++);
    }
    copies.push_back(dest + (move ? " move" : " copy"));
    out.copied.modseq = ++box->highest_modseq;
    if (move) {
      for (int64_t uid : out.copied.source_uids) messages.erase(uid);
      out.expunged.uids = out.copied.source_uids;
      out.expunged.modseq = 30;
    }
    return store::Result<CopyDone>(CopyDone{box->id, out});
  }
  std::vector<std::string> copies;
  // What the next resync sees (NOOP, CHECK); `since` is recorded.
  common::Result<store::Result<store::Changes>> changes(int64_t, int64_t, int64_t since) override {
    std::lock_guard lock(changes_mu);
    changes_since.push_back(since);
    return store::Result<store::Changes>(next_changes);
  }
  /// For a session that may be polling meanwhile (IDLE).
  void set_changes(store::Changes c) {
    std::lock_guard lock(changes_mu);
    next_changes = std::move(c);
  }
  size_t changes_calls() {
    std::lock_guard lock(changes_mu);
    return changes_since.size();
  }
  std::mutex changes_mu;
  store::Changes next_changes;
  std::vector<int64_t> changes_since;

  std::vector<std::string> appended;
  std::vector<store::AppendRequest> append_requests;
  // The \Deleted messages of INBOX (of `only`, when given) go.
  common::Result<store::Result<store::Expunged>> expunge(int64_t, int64_t mailbox_id,
                                                         const std::vector<int64_t>& only) override {
    expunges.push_back(mailbox_id);
    store::Expunged out{{}, 8};
    for (const auto& [uid, f] : flags)
      if ((f & store::kDeleted) && messages.count(uid) &&
          (only.empty() || std::find(only.begin(), only.end(), uid) != only.end()))
        out.uids.push_back(uid);
    for (int64_t uid : out.uids) messages.erase(uid);
    return store::Result<store::Expunged>(out);
  }
  // Stored search fields for even UIDs; odd ones predate them, so the
  // session computes theirs from the header and saves them (saved_fields).
  common::Result<store::Result<std::vector<store::MessageSearchFields>>> read_search_fields(
      int64_t, int64_t, const std::vector<int64_t>& uids) override {
    ++fields_calls;
    std::vector<store::MessageSearchFields> out;
    for (int64_t uid : uids) {
      if (!messages.count(uid) || vanished.count(uid)) continue;
      store::MessageSearchFields f{uid, uid * 100, std::nullopt};
      if (uid % 2 == 0 || saved_fields.count(uid * 100)) {
        const std::string& m = messages[uid];
        f.fields = mime::search_fields(m.substr(0, m.find("\r\n\r\n") + 4));
      }
      out.push_back(std::move(f));
    }
    return store::Result<std::vector<store::MessageSearchFields>>(std::move(out));
  }
  common::Result<size_t> save_search_fields(int64_t,
                                            const std::vector<std::pair<int64_t, std::string>>& by_message) override {
    for (const auto& [id, f] : by_message) saved_fields[id] = f;
    return by_message.size();
  }
  int fields_calls = 0;
  std::map<int64_t, std::string> saved_fields;  // by message id
  common::Result<store::Result<std::vector<store::MessageMeta>>> fetch_meta(int64_t, int64_t,
                                                                            const std::vector<int64_t>& uids,
                                                                            int64_t changed_since) override {
    ++meta_calls;
    if (down_fetch) return common::Error{common::ErrorCode::unavailable, "db down"};
    std::vector<store::MessageMeta> out;
    for (int64_t uid : uids) {
      if (!messages.count(uid) || vanished.count(uid)) continue;
      const std::string& m = messages[uid];
      const auto end = m.find("\r\n\r\n");
      const int64_t modseq = modseqs.count(uid) ? modseqs[uid] : 0;
      if (modseq <= changed_since) continue;
      out.push_back({uid, uid * 100, m.size(), static_cast<uint32_t>(end == std::string::npos ? m.size() : end + 4),
                     1736157600, modseq, flags[uid], keywords[uid]});
    }
    return store::Result<std::vector<store::MessageMeta>>(std::move(out));
  }
  common::Result<store::Result<std::vector<store::MessageHeader>>> read_headers(
      int64_t, int64_t, const std::vector<int64_t>& uids) override {
    ++header_calls;
    if (down_fetch) return common::Error{common::ErrorCode::unavailable, "db down"};
    std::vector<store::MessageHeader> out;
    for (int64_t uid : uids) {
      if (!messages.count(uid) || vanished.count(uid)) continue;
      const std::string& m = messages[uid];
      const auto end = m.find("\r\n\r\n");
      out.push_back({uid, m.substr(0, end == std::string::npos ? m.size() : end + 4)});
    }
    return store::Result<std::vector<store::MessageHeader>>(std::move(out));
  }
  common::Result<store::Result<std::string>> read_message(int64_t, int64_t message_id, size_t max) override {
    reads.push_back(max == SIZE_MAX ? std::to_string(message_id) : std::to_string(message_id) + "<" +
                                                                       std::to_string(max) + ">");
    auto it = messages.find(message_id / 100);
    if (it == messages.end()) return store::Result<std::string>(store::Error::kNotFound);
    bytes_read += std::min(max, it->second.size());
    return store::Result<std::string>(it->second.substr(0, max));
  }
  // Stored MIME trees by message id; none until a test stores them (as the
  // mda and APPEND do) or a FETCH computes and saves them (older rows).
  void store_structures() {
    for (const auto& [uid, m] : messages) structures[uid * 100] = store::message_structure(m);
  }
  common::Result<store::Result<std::vector<store::StoredStructure>>> fetch_structures(
      int64_t, const std::vector<int64_t>& ids) override {
    ++structure_calls;
    std::vector<store::StoredStructure> out;
    for (int64_t id : ids) {
      if (!messages.count(id / 100)) continue;
      auto it = structures.find(id);
      out.push_back({id, it == structures.end() ? std::nullopt : std::optional<std::string>(it->second)});
    }
    return store::Result<std::vector<store::StoredStructure>>(std::move(out));
  }
  common::Result<store::Result<bool>> save_structure(int64_t, int64_t id, const std::string& structure,
                                                     const std::optional<std::string>& replacing) override {
    saved.push_back(id);
    auto it = structures.find(id);
    if (it != structures.end() && (!replacing || it->second != *replacing)) return store::Result<bool>(false);
    structures[id] = structure;
    return store::Result<bool>(true);
  }
  common::Result<store::Result<std::string>> read_message_range(int64_t, int64_t id, uint64_t offset,
                                                                uint64_t length) override {
    reads.push_back(std::to_string(id) + "[" + std::to_string(offset) + "+" + std::to_string(length) + "]");
    auto it = messages.find(id / 100);
    if (it == messages.end()) return store::Result<std::string>(store::Error::kNotFound);
    std::string out = offset < it->second.size() ? it->second.substr(offset, length) : std::string();
    bytes_read += out.size();
    return store::Result<std::string>(std::move(out));
  }
  std::map<int64_t, std::string> structures;  // by message id (UID * 100)
  std::vector<int64_t> saved;                  // save_structure calls, by message id
  std::atomic<int> structure_calls{0};
  std::atomic<uint64_t> bytes_read{0};         // octets of messages returned by reads
  common::Result<store::Result<store::StoreResult>> store_flags(int64_t, int64_t,
                                                                const store::StoreRequest& req) override {
    store::StoreResult out;
    out.modseq = ++modseq;
    for (int64_t uid : req.uids) {
      if (!messages.count(uid)) continue;
      if (req.unchanged_since && modseqs[uid] > *req.unchanged_since) {
        out.modified.push_back(uid);
        continue;
      }
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
      modseqs[uid] = modseq;
      out.changed.push_back({uid, modseq, f, kw});
    }
    return store::Result<store::StoreResult>(std::move(out));
  }

  std::vector<store::MailboxInfo> boxes;
  std::vector<std::string> subscriptions, created, selects;
  std::vector<int64_t> expunges;
  std::map<int64_t, std::string> messages;            // INBOX by UID
  std::map<int64_t, int> flags;                       // store::Flag bits by UID
  std::map<int64_t, int64_t> modseqs = {{3, 5}, {5, 6}, {9, 7}};
  std::map<int64_t, std::vector<std::string>> keywords;
  std::set<int64_t> vanished;                          // expunged behind the session's back
  std::vector<std::string> reads;                      // message ids read, "<max>" for a prefix, "[offset+length]" for a range
  std::atomic<int> meta_calls{0};
  std::atomic<int> header_calls{0};
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
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS "
    "QUOTA QUOTA=RES-STORAGE UIDPLUS MOVE ESEARCH SEARCHRES SORT SORT=DISPLAY WITHIN IDLE CONDSTORE QRESYNC UTF8=ACCEPT";

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
    deps_ = SessionDeps{&config_, &pool_,     &auth_,     store_in_use_ ? store_in_use_ : &store_,
                        &metrics_, &*tls_, &sessions_, throttle_ ? &*throttle_ : nullptr};
    deps_.userip = &userip_;
    deps_.notifier = &notifier_;
    deps_.watch = &watch_;
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
  MailStore* store_in_use_ = nullptr;  ///< set before start(): sessions use it instead of store_
  UserIpLimit userip_{2};  // logged-in sessions per account and address
  struct RecordingNotifier : MailboxNotifier {
    void publish(const store::MailboxNotice& n) override {
      std::lock_guard lock(mu);
      notices.push_back(n);
    }
    std::vector<store::MailboxNotice> taken() {
      std::lock_guard lock(mu);
      return std::exchange(notices, {});
    }
    std::mutex mu;
    std::vector<store::MailboxNotice> notices;
  } notifier_;
  MailboxWatch watch_;
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

}  // namespace
