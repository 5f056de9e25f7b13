// SPDX-License-Identifier: Apache-2.0
// APPEND (RFC 3501 §6.3.11; APPENDUID of RFC 4315): a message from the
// client into one of the account's mailboxes, with flags and an internal
// date. The literal's size is bounded by the engine (imap.max_literal)
// before a byte of it is read. Bare LF and CR line ends become CRLF
// (common::to_crlf), so what
// FETCH returns and RFC822.SIZE counts is the RFC 5322 form. A mailbox that
// does not exist is NO [TRYCREATE] (clients then CREATE and retry); a full
// quota NO [OVERQUOTA]. Appending to the selected mailbox announces the new
// message with EXISTS. After ENABLE UTF8=ACCEPT (RFC 6855) the message may
// come as `UTF8 (~{N}...)`: UTF-8 headers are stored as they are.
// Trusts: nothing from the client (flags are checked, the message is
// opaque octets); the store's answers.
#include "imap_session.h"
#include "mail/common/log.h"
#include "mail/common/dot_stuff.h"
#include "mail/common/strings.h"
#include "mail/imap/response.h"
#include "mail/net/offload.h"

namespace mail::imapd::detail {

net::awaitable<void> Session::on_append(const imap::Command& cmd) {
  const auto& a = std::get<imap::Append>(cmd.body);
  auto name = mailbox_name(a.mailbox);
  if (bad_name(cmd, name)) co_return;
  if (a.utf8 && !utf8_) {
    reply(imap::bad(cmd.tag, "APPEND: UTF8 data needs ENABLE UTF8=ACCEPT first"), "BAD", true);
    co_return;
  }
  if (a.binary) {
    reply(imap::no(cmd.tag, "Binary content (literal8) is not accepted", imap::code::cannot()), "NO");
    co_return;
  }
  if (a.message.empty()) {
    reply(imap::no(cmd.tag, "Cannot save an empty message"), "NO");
    co_return;
  }
  store::AppendRequest req;
  for (const auto& f : a.flags) {
    if (f.empty() || f[0] != '\\') {
      req.keywords.push_back(f);
      continue;
    }
    const int bit = system_flag_bit(f);
    if (bit <= 0) {
      reply(imap::bad(cmd.tag, "Invalid system flag " + f), "BAD", true);
      co_return;
    }
    req.flags |= bit;
  }
  if (a.date_time) req.internal_date = imap::to_unix(*a.date_time);
  const std::string message = common::to_crlf(a.message);

  // A missing mailbox is [TRYCREATE] here (RFC 3501 §6.3.11).
  const auto r =
      co_await ask_store(cmd, [&] { return d_.store->append(account_id_, *name, message, req); }, /*trycreate=*/true);
  if (!r) co_return;
  const store::Appended& done = r->appended;
  if (selected_ && selected_->mailbox.id == r->mailbox_id) {
    // The new message joins the session's view at once (RFC 3501 §6.3.11:
    // the server SHOULD notify the client with EXISTS).
    auto& ix = selected_->index;
    if (ix.push_back(done.uid, 0)) {
      view_update(ix.size() - 1, {done.uid, done.modseq, req.flags, req.keywords});
      send(imap::exists(static_cast<uint32_t>(ix.size())));
    }
  }
  co_await announce(r->mailbox_id, done.modseq);
  reply(imap::ok(cmd.tag, "APPEND completed",
                 imap::code::appenduid(static_cast<uint32_t>(done.uidvalidity), static_cast<uint32_t>(done.uid))),
        "OK");
}

}  // namespace mail::imapd::detail
