// SPDX-License-Identifier: Apache-2.0
// Removing and copying messages in the selected state: EXPUNGE (RFC 3501
// §6.4.3), UID EXPUNGE (RFC 4315), COPY / UID COPY (§6.4.7, COPYUID of
// RFC 4315) and MOVE / UID MOVE (RFC 6851). Every expunge this session
// causes is announced with `* n EXPUNGE` (highest sequence number first, so
// each number is right when it is read) and leaves the session's view. A
// mailbox selected with EXAMINE cannot be changed: NO [READ-ONLY]. A
// missing target of COPY/MOVE is NO [TRYCREATE].
// Trusts: nothing from the client; the store's lists of UIDs.
#include <algorithm>

#include "imap_session.h"
#include "mail/imap/response.h"

namespace mail::imapd::detail {

void Session::view_expunged(const std::vector<int64_t>& uids) {
  std::vector<size_t> gone;
  for (int64_t uid : uids)
    if (auto pos = view_position(uid)) gone.push_back(*pos);
  std::sort(gone.begin(), gone.end(), std::greater<>());
  gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
  auto& ix = selected_->index;
  if (qresync_ && !gone.empty()) {  // RFC 7162 §3.2.10: VANISHED instead
    std::vector<uint32_t> vanished;
    for (size_t pos : gone) vanished.push_back(static_cast<uint32_t>(ix.uids[pos]));
    send(imap::vanished(vanished, false));
  }
  if (!qresync_)
    for (size_t pos : gone) send(imap::expunge(static_cast<uint32_t>(pos + 1)));
  std::reverse(gone.begin(), gone.end());
  ix.erase_positions(gone);
  store::UidMap& recent = selected_->recent_uids;
  std::vector<size_t> not_recent;
  for (int64_t uid : uids)
    if (auto pos = recent.find(uid)) not_recent.push_back(*pos);
  std::sort(not_recent.begin(), not_recent.end());
  not_recent.erase(std::unique(not_recent.begin(), not_recent.end()), not_recent.end());
  recent.erase_positions(not_recent);
}

bool Session::refuse_read_only(const imap::Command& cmd) {
  if (!read_only_) return false;
  reply(imap::no(cmd.tag, "Mailbox is read-only", imap::code::read_only()), "NO");
  return true;
}

std::optional<std::vector<int64_t>> Session::view_uids(const imap::Command& cmd, const imap::SequenceSet& set,
                                                       bool uid) {
  const auto seqs = resolve_view(cmd, set, uid);
  if (!seqs) return std::nullopt;
  std::vector<int64_t> uids;
  uids.reserve(static_cast<size_t>(seqs->count()));
  seqs->for_each([&](uint32_t seq) { uids.push_back(selected_->index.uids[seq - 1]); });
  return uids;
}

net::awaitable<void> Session::on_expunge(const imap::Command& cmd) {
  if (refuse_read_only(cmd)) co_return;
  std::vector<int64_t> only;  // empty: every \Deleted message
  const bool uid_form = std::holds_alternative<imap::UidExpunge>(cmd.body);
  if (uid_form) {
    auto uids = view_uids(cmd, std::get<imap::UidExpunge>(cmd.body).set, true);
    if (!uids) co_return;
    if (uids->empty()) {
      reply(imap::ok(cmd.tag, "UID EXPUNGE completed"), "OK");
      co_return;
    }
    only = std::move(*uids);
  }
  const int64_t mailbox_id = selected_->mailbox.id;
  const auto r = co_await ask_store(cmd, [&] { return d_.store->expunge(account_id_, mailbox_id, only); });
  if (!r) co_return;
  view_expunged(r->uids);
  if (!r->uids.empty()) co_await announce(mailbox_id, r->modseq);
  reply(imap::ok(cmd.tag, uid_form ? "UID EXPUNGE completed" : "EXPUNGE completed"), "OK");
}

net::awaitable<void> Session::on_copy(const imap::Command& cmd) {
  const bool move = std::holds_alternative<imap::Move>(cmd.body);
  const auto& set = move ? std::get<imap::Move>(cmd.body).set : std::get<imap::Copy>(cmd.body).set;
  const bool uid = move ? std::get<imap::Move>(cmd.body).uid : std::get<imap::Copy>(cmd.body).uid;
  const auto& wire = move ? std::get<imap::Move>(cmd.body).mailbox : std::get<imap::Copy>(cmd.body).mailbox;
  const std::string verb(imap::verb_name(cmd));
  if (move && refuse_read_only(cmd)) co_return;
  auto name = mailbox_name(wire);
  if (bad_name(cmd, name)) co_return;
  auto uids = view_uids(cmd, set, uid);
  if (!uids) co_return;
  const int64_t source = selected_->mailbox.id;
  const auto r = co_await ask_store(
      cmd, [&] { return d_.store->copy(account_id_, source, *name, *uids, move); }, /*trycreate=*/true);
  if (!r) co_return;
  co_await announce(r->dest_mailbox_id, r->moved.copied.modseq);
  const bool moved_out = move && !r->moved.expunged.uids.empty();
  if (moved_out) co_await announce(source, r->moved.expunged.modseq);
  const store::Moved& moved = r->moved;
  std::optional<imap::ResponseCode> code;
  if (!moved.copied.source_uids.empty()) {
    std::vector<uint32_t> from(moved.copied.source_uids.begin(), moved.copied.source_uids.end());
    std::vector<uint32_t> to(moved.copied.dest_uids.begin(), moved.copied.dest_uids.end());
    // The destination's UIDs are in the order of the source's (RFC 4315 §3).
    code = imap::code::copyuid(static_cast<uint32_t>(moved.copied.uidvalidity), imap::format_sequence_set(from),
                               imap::format_sequence_set(to));
  }
  if (move) {
    // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges.
    if (code) send(imap::untagged(imap::Condition::kOk, "Moved UIDs", code));
    view_expunged(moved.expunged.uids);
    reply(imap::ok(cmd.tag, verb + " completed"), "OK");
    co_return;
  }
  reply(imap::ok(cmd.tag, verb + " completed", code), "OK");
}

}  // namespace mail::imapd::detail
