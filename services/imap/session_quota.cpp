// SPDX-License-Identifier: Apache-2.0
// QUOTA (RFC 9208): GETQUOTAROOT and GETQUOTA for the one quota root ""
// that every mailbox of an account shares: the account's storage quota,
// the one delivery already enforces (directory accounts.quota_bytes against
// store.quota_usage), in units of 1024 octets. An account without a limit
// has no quota root. SETQUOTA is refused: quotas are the administrator's
// (mailctl), not the user's.
// Trusts: the store's figures.
#include "imap_session.h"
#include "mail/imap/response.h"
#include "mail/net/offload.h"

namespace mail::imapd::detail {

namespace {

constexpr std::string_view kRoot = "";

std::string storage_line(const store::Quota& q) {
  // Usage rounds up: a byte over a kibibyte is a kibibyte in use.
  return imap::quota_line(kRoot, {{"STORAGE", (q.used + 1023) / 1024, q.limit / 1024}});
}

}  // namespace

net::awaitable<void> Session::on_getquotaroot(const imap::Command& cmd) {
  auto name = mailbox_name(std::get<imap::GetQuotaRoot>(cmd.body).mailbox);
  if (bad_name(cmd, name)) co_return;
  const auto box = co_await ask_store(cmd, [&] { return d_.store->status(account_id_, *name); });
  if (!box) co_return;
  auto q = co_await net::offload(*d_.blocking, [&] { return d_.store->quota(account_id_); });
  if (!q.ok()) {
    unavailable(cmd, q.error());
    co_return;
  }
  const imap::WriteOptions wopts{.utf8 = utf8_};
  if (q->limit == 0) {
    send(imap::quotaroot_line(box->name, {}, wopts));
  } else {
    send(imap::quotaroot_line(box->name, {std::string(kRoot)}, wopts));
    send(storage_line(*q));
  }
  reply(imap::ok(cmd.tag, "GETQUOTAROOT completed"), "OK");
}

net::awaitable<void> Session::on_getquota(const imap::Command& cmd) {
  const auto& root = std::get<imap::GetQuota>(cmd.body).root;
  auto q = co_await net::offload(*d_.blocking, [&] { return d_.store->quota(account_id_); });
  if (!q.ok()) {
    unavailable(cmd, q.error());
    co_return;
  }
  if (root != kRoot || q->limit == 0) {
    reply(imap::no(cmd.tag, "No such quota root", imap::code::nonexistent()), "NO");
    co_return;
  }
  send(storage_line(*q));
  reply(imap::ok(cmd.tag, "GETQUOTA completed"), "OK");
}

net::awaitable<void> Session::on_setquota(const imap::Command& cmd) {
  reply(imap::no(cmd.tag, "Quotas are set by the administrator", imap::code::noperm()), "NO");
  co_return;
}

}  // namespace mail::imapd::detail
