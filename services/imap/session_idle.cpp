// SPDX-License-Identifier: Apache-2.0
// IDLE (RFC 2177): after "+ idling" the session waits, on the engine's
// wait_input_or_wake(), for whichever comes first:
//   - a mailbox notice for the selected mailbox (MailboxWatch wakes the
//     session through net::Session::wake): the view is brought up to date
//     (resync(): EXPUNGE, FETCH FLAGS, EXISTS, which RFC 2177 allows here);
//   - imap.idle_poll passing without one: the same, so a notice lost in
//     Redis costs at most that long; every imap.idle_keepalive "* OK Still
//     here" keeps NAT and firewall state alive;
//   - the client's "DONE" (any case): tagged OK; any other line is BAD and
//     ends the IDLE;
//   - imap.idle_timeout since IDLE began: BYE, as any idle connection;
//   - SIGTERM (drain): the engine's BYE.
// Memory while waiting is the engine's idle minimum: no read buffer, no
// timer beyond the wait's own, one watch entry. IDLE in the authenticated
// state is allowed and only keeps the connection alive.
// Trusts: nothing from the client (the line is bounded by max_line).
#include "imap_session.h"
#include "mail/common/strings.h"
#include "mail/imap/response.h"

namespace mail::imapd::detail {

namespace {

// Takes the watch away however IDLE ends.
struct WatchGuard {
  MailboxWatch* watch = nullptr;
  uint64_t handle = 0;
  ImapMetrics* metrics = nullptr;
  ~WatchGuard() {
    if (watch) watch->unwatch(handle);
    metrics->idling(-1);
  }
};

}  // namespace

net::awaitable<void> Session::on_idle(const imap::Command& cmd) {
  send(imap::continuation("idling"));
  const bool started = co_await flush();
  if (!started) co_return;
  d_.metrics->idling(1);
  WatchGuard guard{nullptr, 0, d_.metrics};
  if (selected_ && d_.watch) {
    std::weak_ptr<net::Session> weak = weak_from_this();
    guard.handle = d_.watch->watch(selected_->mailbox.id, [weak] {
      if (auto s = weak.lock()) s->wake();
    });
    guard.watch = d_.watch;
  }
  const auto begin = Clock::now();
  auto last_sent = begin;
  co_await resync();  // what changed before IDLE, at once
  while (true) {
    if (queued() > 0) {
      last_sent = Clock::now();
      const bool written = co_await flush();
      if (!written) co_return;
    }
    const auto now = Clock::now();
    if (now - begin >= cfg_.idle_timeout) {
      send(idle_goodbye());
      close_with("idle timeout");
      co_return;
    }
    const auto until_keepalive = cfg_.idle_keepalive - (now - last_sent);
    const auto until_end = cfg_.idle_timeout - (now - begin);
    const net::Duration wait = std::min({cfg_.idle_poll, until_end,
                                         std::max<net::Duration>(until_keepalive, net::Duration::zero())});
    const auto w = co_await wait_input_or_wake(wait);
    if (w == Waited::kClosed) {
      if (!drain_requested()) close_with("eof");
      co_return;  // on drain the engine says goodbye
    }
    if (w == Waited::kInput) {
      const net::ReadResult line = co_await read_line(cfg_.limits.max_line);
      if (line.status == net::Status::too_long) {
        reply(imap::bad(cmd.tag, "IDLE: Expected DONE"), "BAD", true);
        co_return;
      }
      if (!line.ok()) co_return;  // the engine closes
      if (common::iequals(line.line, "DONE")) {
        reply(imap::ok(cmd.tag, "IDLE terminated"), "OK");
      } else {
        reply(imap::bad(cmd.tag, "IDLE: Expected DONE"), "BAD", true);
      }
      co_return;
    }
    co_await resync();  // woken, or the poll interval passed
    if (queued() == 0 && Clock::now() - last_sent >= cfg_.idle_keepalive) send("* OK Still here\r\n");
  }
}

}  // namespace mail::imapd::detail
