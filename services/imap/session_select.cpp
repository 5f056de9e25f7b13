// SPDX-License-Identifier: Apache-2.0
// Selecting a mailbox (RFC 3501 §6.3.1-2, §6.4.1-2; UNSELECT RFC 3691):
// SELECT and EXAMINE with the untagged data RFC 3501 requires (FLAGS,
// EXISTS, RECENT, the first UNSEEN, PERMANENTFLAGS, UIDVALIDITY, UIDNEXT,
// and RFC 7162's HIGHESTMODSEQ) and the READ-WRITE / READ-ONLY code; the
// CONDSTORE parameter, and QRESYNC (after ENABLE QRESYNC: VANISHED
// (EARLIER) and FETCH of what changed since the client's MODSEQ, and
// [CLOSED] when a SELECT replaces a selected mailbox); CLOSE (expunging \Deleted silently
// when read-write), UNSELECT (without expunge), CHECK. A failed SELECT
// leaves the session authenticated with no mailbox selected. The session
// keeps the index (UID order = sequence numbers) for the commands of the
// selected state.
// Trusts: the store's snapshot; nothing from the client.
#include <algorithm>

#include "imap_session.h"
#include "mail/imap/response.h"
#include "mail/net/offload.h"

namespace mail::imapd::detail {

namespace {

const std::vector<std::string>& system_flags() {
  static const std::vector<std::string> flags = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"};
  return flags;
}

}  // namespace

void Session::deselect() {
  selected_.reset();
  saved_uids_.clear();  // RFC 5182 §2.1
  read_only_ = false;
  if (state_ == State::kSelected) state_ = State::kAuthenticated;
}

net::awaitable<void> Session::on_select(const imap::Command& cmd) {
  const bool examine = std::holds_alternative<imap::Examine>(cmd.body);
  const std::string& wire =
      examine ? std::get<imap::Examine>(cmd.body).mailbox : std::get<imap::Select>(cmd.body).mailbox;
  const imap::SelectParams& params =
      examine ? std::get<imap::Examine>(cmd.body).params : std::get<imap::Select>(cmd.body).params;
  if (params.qresync && !qresync_) {
    reply(imap::bad(cmd.tag, std::string(imap::verb_name(cmd)) + ": QRESYNC must be enabled first"), "BAD", true);
    co_return;
  }
  const bool was_selected = selected_.has_value();
  deselect();  // RFC 3501 §6.3.1: even when this SELECT fails
  if (was_selected && qresync_) send(imap::untagged(imap::Condition::kOk, "Previous mailbox closed", imap::code::closed()));
  if (params.condstore || params.qresync) condstore_ = true;
  auto name = mailbox_name(wire);
  if (bad_name(cmd, name)) co_return;
  auto r = co_await ask_store(cmd, [&] { return d_.store->select(account_id_, *name, !examine); });
  if (!r) co_return;
  selected_ = std::move(*r);
  view_modseq_ = selected_->mailbox.highest_modseq;
  read_only_ = examine;
  state_ = State::kSelected;
  const store::Selected& s = *selected_;

  std::vector<std::string> flags = system_flags();
  flags.insert(flags.end(), s.keywords.begin(), s.keywords.end());
  send(imap::flags_line(flags));
  std::vector<std::string> permanent;
  if (!examine) {
    permanent = flags;
    permanent.emplace_back("\\*");  // new keywords may be created
  }
  send(imap::untagged(imap::Condition::kOk, "Flags permitted", imap::code::permanentflags(permanent)));
  send(imap::exists(static_cast<uint32_t>(s.index.size())));
  send(imap::recent(static_cast<uint32_t>(s.recent_uids.size())));
  for (size_t i = 0; i < s.index.size(); ++i) {
    if ((s.index.flags[i] & store::kSeen) == 0) {
      send(imap::untagged(imap::Condition::kOk, "First unseen", imap::code::unseen(static_cast<uint32_t>(i + 1))));
      break;
    }
  }
  send(imap::untagged(imap::Condition::kOk, "UIDs valid",
                      imap::code::uidvalidity(static_cast<uint32_t>(s.mailbox.uidvalidity))));
  send(imap::untagged(imap::Condition::kOk, "Predicted next UID",
                      imap::code::uidnext(static_cast<uint32_t>(s.mailbox.uid_next))));
  send(imap::untagged(imap::Condition::kOk, "Highest",
                      imap::code::highestmodseq(static_cast<uint64_t>(s.mailbox.highest_modseq))));
  if (params.qresync && params.qresync->uidvalidity == static_cast<uint32_t>(s.mailbox.uidvalidity)) {
    const bool ok = co_await qresync_select(cmd, *params.qresync);
    if (!ok) co_return;
  }
  reply(imap::ok(cmd.tag, examine ? "EXAMINE completed" : "SELECT completed",
                 examine ? imap::code::read_only() : imap::code::read_write()),
        "OK");
}

net::awaitable<bool> Session::qresync_select(const imap::Command& cmd, const imap::Qresync& q) {
  // RFC 7162 §3.2.5: what the client, at MODSEQ q.modseq, has missed: the
  // UIDs expunged since (VANISHED (EARLIER)), then the messages changed
  // since (FETCH with UID, FLAGS and MODSEQ), within its known UIDs.
  const int64_t mailbox_id = selected_->mailbox.id;
  const auto since = static_cast<int64_t>(std::min<uint64_t>(q.modseq, INT64_MAX));
  auto ch = co_await ask_store(cmd, [&] { return d_.store->changes(account_id_, mailbox_id, since); });
  if (!ch) {
    deselect();
    co_return false;
  }
  const uint32_t top = static_cast<uint32_t>(std::max<int64_t>(selected_->mailbox.uid_next - 1, 1));
  const imap::ResolvedSet known = q.known_uids ? imap::resolve(*q.known_uids, top) : imap::ResolvedSet{{{1, top}}};
  std::vector<uint32_t> vanished;
  if (ch->present) {
    // Older than what the store remembers of expunges: every known UID
    // that is not in the mailbox (RFC 7162 §3.2.5.2 allows UIDs the client
    // never had; it ignores them).
    vanished = missing_uids(known, *ch->present);
  } else {
    for (int64_t uid : ch->expunged)
      if (known.contains(static_cast<uint32_t>(uid))) vanished.push_back(static_cast<uint32_t>(uid));
  }
  if (!vanished.empty()) send(imap::vanished(vanished, true));
  for (const auto& e : ch->changed) {
    const auto pos = view_position(e.uid);
    if (pos && known.contains(static_cast<uint32_t>(e.uid))) send(flags_update(*pos, e.modseq, true));
  }
  co_return true;
}

net::awaitable<void> Session::on_close(const imap::Command& cmd) {
  // CLOSE expunges \Deleted messages without untagged EXPUNGE (RFC 3501
  // §6.4.2), only when the mailbox was selected read-write.
  if (!read_only_ && selected_) {
    const int64_t mailbox_id = selected_->mailbox.id;
    auto r = co_await net::offload(*d_.blocking, [&] { return d_.store->expunge(account_id_, mailbox_id, {}); });
    if (!r.ok()) {
      unavailable(cmd, r.error());  // still selected: nothing changed
      co_return;
    }
    const bool changed = r->ok() && !r->value().uids.empty();
    if (changed) co_await announce(mailbox_id, r->value().modseq);
  }
  deselect();
  reply(imap::ok(cmd.tag, "CLOSE completed"), "OK");
}

net::awaitable<void> Session::on_unselect(const imap::Command& cmd) {
  deselect();
  reply(imap::ok(cmd.tag, "UNSELECT completed"), "OK");
  co_return;
}

net::awaitable<void> Session::on_check(const imap::Command& cmd) {
  // Every change is committed when its command completes: only the view
  // to bring up to date.
  co_await resync();
  reply(imap::ok(cmd.tag, "CHECK completed"), "OK");
}

}  // namespace mail::imapd::detail
