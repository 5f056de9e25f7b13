// SPDX-License-Identifier: Apache-2.0
// STORE and UID STORE (RFC 3501 §6.4.6, §6.4.8): FLAGS, +FLAGS and -FLAGS,
// each with .SILENT, of the system flags \Answered \Flagged \Deleted \Seen
// \Draft and keywords. \Recent cannot be stored and an unknown system flag
// is an error (both BAD); a mailbox selected with EXAMINE refuses with
// NO [READ-ONLY]. Unless .SILENT, each message whose flags changed gets an
// untagged FETCH (FLAGS ...), with its UID first for UID STORE; the view's
// flags follow the store's answer (and a new keyword gives a new * FLAGS).
// CONDSTORE (RFC 7162 §3.1.3): UNCHANGEDSINCE stores only messages whose
// MODSEQ is not above it; the others come back in the tagged OK's
// [MODIFIED set] (sequence numbers, UIDs for UID STORE). Once CONDSTORE
// is on, each FETCH carries MODSEQ, and .SILENT still reports each changed
// message's new MODSEQ (without FLAGS).
// The set is stored kBatch UIDs per store call, so a STORE over a big
// mailbox never holds one huge transaction.
// Trusts: nothing from the client (flags are atoms checked by the parser);
// the store's list of changed messages. Diagnostics: NO [UNAVAILABLE]
// (logged) on a store failure.
#include <algorithm>

#include "imap_session.h"
#include "mail/common/strings.h"
#include "mail/imap/response.h"

namespace mail::imapd::detail {

namespace {

constexpr size_t kBatch = 1000;  ///< UIDs per store call

}  // namespace

net::awaitable<void> Session::on_store(const imap::Command& cmd) {
  const auto& st = std::get<imap::Store>(cmd.body);
  const std::string verb(imap::verb_name(cmd));
  store::StoreRequest req;
  if (st.unchanged_since) {
    condstore_ = true;
    req.unchanged_since = static_cast<int64_t>(std::min<uint64_t>(*st.unchanged_since, INT64_MAX));
  }
  req.op = st.mode == imap::Store::kAdd      ? store::StoreOp::kAdd
           : st.mode == imap::Store::kRemove ? store::StoreOp::kRemove
                                             : store::StoreOp::kReplace;
  for (const auto& flag : st.flags) {
    if (flag.empty() || flag[0] != '\\') {
      req.keywords.push_back(flag);
      continue;
    }
    const int bit = system_flag_bit(flag);
    if (bit <= 0) {
      reply(imap::bad(cmd.tag, verb + (bit == 0 ? ": \\Recent flag cannot be changed" : ": Invalid system flag " + flag)),
            "BAD", true);
      co_return;
    }
    req.flags |= bit;
  }
  const auto seqs = resolve_view(cmd, st.set, st.uid);
  if (!seqs) co_return;
  if (read_only_) {
    reply(imap::no(cmd.tag, "Mailbox is read-only", imap::code::read_only()), "NO");
    co_return;
  }
  const int64_t mailbox_id = selected_->mailbox.id;

  size_t interval = 0;
  uint64_t next = seqs->intervals.empty() ? 0 : seqs->intervals[0].lo;
  int64_t changed_modseq = 0;  // announced once, after the last batch
  std::vector<uint32_t> modified;  // refused by UNCHANGEDSINCE
  while (true) {
    req.uids.clear();
    while (req.uids.size() < kBatch && interval < seqs->intervals.size()) {
      req.uids.push_back(selected_->index.uids[next - 1]);
      if (next == seqs->intervals[interval].hi) {
        ++interval;
        if (interval < seqs->intervals.size()) next = seqs->intervals[interval].lo;
      } else {
        ++next;
      }
    }
    if (req.uids.empty()) break;
    const auto r = co_await ask_store(cmd, [&] { return d_.store->store_flags(account_id_, mailbox_id, req); });
    if (!r) co_return;
    if (!r->changed.empty()) changed_modseq = r->modseq;
    for (const auto& e : r->changed) {
      const auto pos = view_position(e.uid);
      if (!pos) continue;
      view_update(*pos, e);
      if (st.silent && !condstore_) continue;
      imap::FetchResponse fr(static_cast<uint32_t>(*pos + 1));
      if (st.uid) fr.uid(static_cast<uint32_t>(e.uid));
      if (!st.silent) fr.flags(view_flags(*pos));
      if (condstore_) fr.modseq(static_cast<uint64_t>(e.modseq));
      send(fr.str());
    }
    for (int64_t uid : r->modified) {
      const auto pos = view_position(uid);
      if (pos) modified.push_back(st.uid ? static_cast<uint32_t>(uid) : static_cast<uint32_t>(*pos + 1));
    }
  }
  co_await announce(mailbox_id, changed_modseq);
  if (!modified.empty()) {
    reply(imap::ok(cmd.tag, "Conditional " + verb + " failed", imap::code::modified(imap::format_sequence_set(modified))),
          "OK");
    co_return;
  }
  reply(imap::ok(cmd.tag, verb + " completed"), "OK");
}

}  // namespace mail::imapd::detail
