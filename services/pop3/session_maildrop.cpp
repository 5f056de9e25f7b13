// SPDX-License-Identifier: Apache-2.0
// The POP3 TRANSACTION and UPDATE states (RFC 1939 §5, §6): STAT, LIST,
// UIDL, RETR and TOP (whole, or streamed chunk by chunk past
// max_message_size), DELE, RSET, NOOP, and QUIT's one commit of the
// deletions and of \Seen for the messages RETR sent whole (as Dovecot's
// POP3 does: IMAP then shows them read); the maildrop lease is renewed
// while the session works.
// Trusts: message numbers only after pop3::Maildrop range-checked them;
// the store's answers. Diagnostics: warnings for store failures and for a
// size that differs from the index.
#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/directory/throttle_calls.h"
#include "mail/net/offload.h"
#include <algorithm>

#include "pop3_session.h"
#include "unique_id.h"

namespace mail::pop3d::detail {

net::awaitable<void> Session::on_stat(const Command &) {
  send(pop3::stat_reply(drop_->stat()));
  co_return;
}

net::awaitable<void> Session::on_list(const Command &cmd) {
  if (!cmd.msg) {
    send(pop3::list_all_reply(drop_->list()));
    co_return;
  }
  auto r = drop_->list(*cmd.msg);
  if (auto *e = std::get_if<pop3::Error>(&r))
    client_error(pop3::err(*e));
  else
    send(pop3::list_reply(std::get<pop3::ListEntry>(r)));
}

net::awaitable<void> Session::on_uidl(const Command &cmd) {
  if (!cmd.msg) {
    send(pop3::uidl_all_reply(drop_->uidl()));
    co_return;
  }
  auto r = drop_->uidl(*cmd.msg);
  if (auto *e = std::get_if<pop3::Error>(&r))
    client_error(pop3::err(*e));
  else
    send(pop3::uidl_reply(std::get<pop3::UidlEntry>(r)));
}

net::awaitable<void> Session::on_retr(const Command &cmd) {
  const std::optional<size_t> lines =
      cmd.verb == Verb::kTop ? std::optional<size_t>(cmd.lines) : std::nullopt;
  co_await retrieve(*cmd.msg, lines);
}

net::awaitable<void> Session::on_dele(const Command &cmd) {
  auto r = drop_->dele(*cmd.msg);
  if (auto *e = std::get_if<pop3::Error>(&r))
    client_error(pop3::err(*e));
  else
    send(pop3::ok("Message " + std::to_string(*cmd.msg) + " deleted"));
  co_return;
}

net::awaitable<void> Session::on_rset(const Command &) {
  drop_->rset();
  pop3::Stat st = drop_->stat();
  send(pop3::ok(std::to_string(st.count) + " messages (" +
                std::to_string(st.octets) + " octets)"));
  co_return;
}

net::awaitable<void> Session::on_noop(const Command &) {
  send(pop3::ok());
  co_return;
}

net::awaitable<bool> Session::renew_if_due() {
  if (lease_lost_)
    co_return false;
  if (!lease_held_ || Clock::now() - last_renew_ < cfg_.lease_renew_interval)
    co_return true;
  const int ttl = cfg_.lease_ttl_seconds();
  auto held = co_await net::offload(
      *d_.blocking, [&] { return d_.store->renew(account_id_, holder_, ttl); });
  if (!held.ok()) {
    // The lease still has time left and QUIT re-checks it: go on, retry later.
    log::warn("maildrop lease renewal failed",
              {{"session", id_}, {"error", held.error().message}});
    co_return true;
  }
  if (*held) {
    last_renew_ = Clock::now();
    co_return true;
  }
  log::warn("maildrop lease lost", {{"user", user_}, {"session", id_}});
  lease_held_ = false;
  lease_lost_ = true;
  co_return false;
}

net::awaitable<void> Session::release() {
  auto released = co_await net::offload(
      *d_.blocking, [&] { return d_.store->release(account_id_, holder_); });
  // Else it expires on its own after the ttl.
  if (!released.ok())
    log::warn("maildrop lease release failed",
              {{"session", id_}, {"error", released.error().message}});
  lease_held_ = false;
}

net::awaitable<void> Session::retrieve(size_t number,
                                       std::optional<size_t> top_lines) {
  auto got = drop_->get(number);
  if (auto *e = std::get_if<pop3::Error>(&got)) {
    client_error(pop3::err(*e));
    co_return;
  }
  store::MaildropEntry entry = entries_[number - 1];
  if (entry.size > cfg_.max_message_size) {
    co_await stream(entry, top_lines);
    co_return;
  }

  auto read = co_await net::offload(
      *d_.blocking, [&] { return d_.store->read_message(entry.message_id); });
  if (!read.ok()) {
    log::warn("message read failed", {{"session", id_},
                                      {"message", entry.message_id},
                                      {"error", read.error().message}});
    send(pop3::err("Cannot read the message now, try again later",
                   pop3::kCodeSysTemp));
    co_return;
  }
  std::optional<std::string> &message = *read;
  if (!message) { // expunged meanwhile by another front end
    send(pop3::err("Message no longer exists"));
    co_return;
  }
  if (message->size() != entry.size)
    log::warn("message size differs from index", {{"message", entry.message_id},
                                                  {"index", entry.size},
                                                  {"actual", message->size()}});
  if (top_lines) {
    send(pop3::ok());
    send(pop3::top(*message, *top_lines));
  } else {
    send(pop3::ok(std::to_string(message->size()) + " octets"));
    std::string wire;
    wire.reserve(message->size() + message->size() / 32 + 8);
    pop3::DotStuffer stuffer;
    stuffer.feed(*message, wire);
    stuffer.finish(wire);
    send(wire);
    ++retrieved_;
    retrieved_uids_.push_back(entry.uid);
    d_.metrics->retrieved();
  }
  co_return;
}

// A message bigger than max_message_size: one chunk in memory at a time.
net::awaitable<void> Session::stream(store::MaildropEntry entry,
                                     std::optional<size_t> top_lines) {
  auto first = co_await net::offload(
      *d_.blocking, [&] { return d_.store->read_part(entry.message_id, 0); });
  if (!first.ok()) {
    log::warn("message read failed", {{"session", id_},
                                      {"message", entry.message_id},
                                      {"error", first.error().message}});
    send(pop3::err("Cannot read the message now, try again later",
                   pop3::kCodeSysTemp));
    co_return;
  }
  std::optional<std::string> part = std::move(*first);
  if (!part) {
    send(pop3::err("Message no longer exists"));
    co_return;
  }
  send(top_lines ? pop3::ok()
                 : pop3::ok(std::to_string(entry.size) + " octets"));
  pop3::DotStuffer stuffer;
  pop3::TopWriter top(top_lines.value_or(0));
  uint64_t octets = 0;
  std::string wire;
  for (size_t i = 1;; ++i) {
    octets += part->size();
    wire.clear();
    bool top_done = top_lines ? top.feed(*part, wire) : false;
    if (!top_lines)
      stuffer.feed(*part, wire);
    send(wire);
    if (top_done)
      break;
    part.reset();
    bool sent = co_await flush();
    if (!sent) {
      close_with("write_failed");
      co_return;
    }
    co_await renew_if_due(); // a lost lease ends the session at the next
                             // command
    auto next = co_await net::offload(
        *d_.blocking, [&] { return d_.store->read_part(entry.message_id, i); });
    if (!next.ok()) {
      // Half a reply is out: no -ERR is possible; closing without the
      // terminator tells the client the message is incomplete.
      log::error("message read failed mid-stream",
                 {{"session", id_},
                  {"message", entry.message_id},
                  {"error", next.error().message}});
      close_with("store_error");
      co_return;
    }
    part = std::move(*next);
    if (!part)
      break;
  }
  wire.clear();
  if (top_lines) {
    top.finish(wire);
    send(wire);
  } else {
    stuffer.finish(wire);
    send(wire);
    if (octets != entry.size)
      log::warn("message size differs from index",
                {{"message", entry.message_id},
                 {"index", entry.size},
                 {"actual", octets}});
    ++retrieved_;
    retrieved_uids_.push_back(entry.uid);
    d_.metrics->retrieved();
  }
  co_return;
}

// UPDATE state (RFC 1939 §6): deletions, lease check and release in one commit.
net::awaitable<void> Session::on_quit(const Command &) {
  end_reason_ = "quit";
  if (state_ == State::kAuthorization) {
    send(pop3::ok("Bye"));
    close_after_flush();
    co_return;
  }
  std::vector<int64_t> uids;
  for (size_t n : drop_->deleted())
    uids.push_back(entries_[n - 1].uid);
  // Retrieved whole and kept: \Seen, as Dovecot's POP3 does.
  std::vector<int64_t> seen;
  for (int64_t uid : retrieved_uids_)
    if (std::find(uids.begin(), uids.end(), uid) == uids.end() &&
        std::find(seen.begin(), seen.end(), uid) == seen.end())
      seen.push_back(uid);
  std::sort(seen.begin(), seen.end());
  const int ttl = cfg_.lease_ttl_seconds();
  auto committed = co_await net::offload(*d_.blocking, [&] {
    return d_.store->commit(account_id_, holder_, ttl, mailbox_id_, uids, seen);
  });
  if (!committed.ok()) { // the lease is still ours; run() releases it
    log::error("expunge failed", {{"user", user_},
                                  {"session", id_},
                                  {"error", committed.error().message}});
    send(pop3::err("Could not delete messages, nothing was deleted",
                   pop3::kCodeSysTemp));
    close_after_flush();
    co_return;
  }
  lease_held_ = false;
  const CommitResult &r = *committed;
  if (!r.lease_held && !uids.empty()) {
    log::warn("maildrop lease lost before QUIT",
              {{"user", user_}, {"session", id_}});
    send(pop3::err("Lost the mailbox lock; nothing was deleted",
                   pop3::kCodeInUse));
    close_after_flush();
    co_return;
  }
  deleted_ = r.deleted;
  d_.metrics->deleted(r.deleted);
  send(pop3::ok("Bye"));
  close_after_flush();
  co_return;
}

} // namespace mail::pop3d::detail
