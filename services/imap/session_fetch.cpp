// SPDX-License-Identifier: Apache-2.0
// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8, §7.4.2): FLAGS (with
// \Recent), INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE,
// BODY[section]<partial> and BODY.PEEK (HEADER, HEADER.FIELDS[.NOT], TEXT,
// MIME, part numbers), RFC822, RFC822.HEADER, RFC822.TEXT, UID (always sent
// by UID FETCH, first); the parser expands ALL/FAST/FULL. RFC 7162: MODSEQ,
// and the CHANGEDSINCE modifier (only messages whose MODSEQ is above it,
// each with its MODSEQ) with VANISHED for UID FETCH under QRESYNC (the
// UIDs of the set expunged since, first). BINARY[...] and BINARY.SIZE
// answer BAD (not announced).
//
// Memory stays bounded whatever the set: the messages are taken kBatch at a
// time (one meta query per batch, and one lookup of their stored MIME trees
// when an item wants them), each message's octets are read only as far as
// its items need them (fetch_octets.h: none for ENVELOPE, BODY and
// BODYSTRUCTURE, the ranges of the parts asked for, the header section, or
// the whole message for BODY[] and RFC822), answered, and dropped before
// the next one; the queued output is written whenever it passes the
// engine's flush_at. Octets go out as literals exactly as stored (CRLF).
// A message stored before its tree was kept (migration 004), or whose
// stored tree does not decode, is parsed whole the first time an item
// needs its tree, and the tree is written back for the next FETCH.
// A non-PEEK BODY[...], RFC822 or RFC822.TEXT on a read-write selection
// sets \Seen through the store (one call per batch) and that message's
// response then carries FLAGS. A message the store no longer has (expunged
// by another session meanwhile) is skipped; the command still ends OK.
// Trusts: nothing from the client (items bounded by the parser); the
// message octets are untrusted mail, parsed under mime::Limits and always
// sent as literals; a stored tree only once it decodes (bounded, checked)
// and covers exactly RFC822.SIZE octets. Diagnostics: NO [UNAVAILABLE]
// (logged) on a store failure; a tree that does not decode, or cannot be
// written back, is logged and the answer computed from the message.
#include <algorithm>
#include <cstdint>

#include <map>

#include "imap_session.h"
#include "mail/common/log.h"
#include "mail/imap/response.h"
#include "mail/mime/envelope.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/mime/structure_codec.h"
#include "mail/net/offload.h"

namespace mail::imapd::detail {

namespace {

/// Header sections read in one call (at least one message's, however long).
constexpr size_t kHeaderBytes = 512 * 1024;
constexpr size_t kBatch = 256;  ///< messages per meta query / \Seen update
/// Messages per batch when their stored trees are looked up too: a tree is
/// small, but one with Limits::max_parts parts is not.
constexpr size_t kTreeBatch = 32;

// The items' values for one message into r, from what was read of it.
void add_items(imap::FetchResponse& r, const std::vector<imap::FetchItem>& items, const store::MessageMeta* meta,
               const MessageOctets& m, const std::vector<std::string>& flags, int64_t uid, int64_t modseq,
               bool& uid_sent, bool& flags_sent) {
  const uint64_t size = meta ? meta->size : 0;
  std::string scratch;
  for (const auto& item : items) {
    if (const auto* fs = std::get_if<imap::FetchSection>(&item)) {
      r.content(item, item_octets(m, *fs, size, scratch));
      continue;
    }
    const auto attr = std::get<imap::FetchAttr>(item);
    switch (attr) {
      case imap::FetchAttr::kFlags:
        r.flags(flags);
        flags_sent = true;
        break;
      case imap::FetchAttr::kUid:
        if (!uid_sent) r.uid(static_cast<uint32_t>(uid));
        uid_sent = true;
        break;
      case imap::FetchAttr::kInternalDate: r.internaldate(imap::date_time_from_unix(meta->internal_date)); break;
      case imap::FetchAttr::kRfc822Size: r.rfc822_size(meta->size); break;
      case imap::FetchAttr::kEnvelope: r.raw("ENVELOPE", mime::imap_envelope(envelope_of(m))); break;
      case imap::FetchAttr::kBody: r.raw("BODY", mime::imap_body_structure(m.tree ? *m.tree : mime::Part{}, false)); break;
      case imap::FetchAttr::kBodyStructure:
        r.raw("BODYSTRUCTURE", mime::imap_body_structure(m.tree ? *m.tree : mime::Part{}, true));
        break;
      case imap::FetchAttr::kRfc822: r.content(item, m.whole ? std::string_view(*m.whole) : std::string_view()); break;
      case imap::FetchAttr::kRfc822Header:
      case imap::FetchAttr::kRfc822Text: r.content(item, item_octets(m, rfc822_section(attr), size, scratch)); break;
      case imap::FetchAttr::kModseq: r.modseq(static_cast<uint64_t>(modseq)); break;
    }
  }
}

// A stored tree FETCH may use: it decodes within the limits and describes
// a message of exactly `size` octets with an envelope at the top.
std::optional<mime::Part> usable_tree(const std::string& stored, uint64_t size) {
  auto d = mime::decode_structure(stored);
  auto* root = std::get_if<mime::Part>(&d);
  if (!root || root->header_offset != 0 || root->body_offset + root->body_size != size || !root->envelope)
    return std::nullopt;
  return std::move(*root);
}

}  // namespace

net::awaitable<Session::FetchRead> Session::read_octets(const imap::Command& cmd, int64_t message_id,
                                                        uint64_t offset, uint64_t length, bool range,
                                                        std::string& out) {
  auto read = [&] {
    if (range) return d_.store->read_message_range(account_id_, message_id, offset, length);
    return d_.store->read_message(account_id_, message_id, static_cast<size_t>(length));
  };
  auto rd = co_await net::offload(*d_.blocking, read);
  if (!rd.ok()) {
    unavailable(cmd, rd.error());
    co_return FetchRead::kFailed;
  }
  if (!rd->ok()) co_return FetchRead::kGone;
  out = std::move(rd->value());
  co_return FetchRead::kDone;
}

net::awaitable<Session::FetchRead> Session::read_for_fetch(const imap::Command& cmd, const FetchPlan& plan,
                                                           const std::vector<imap::FetchItem>& items,
                                                           const store::MessageMeta& meta,
                                                           const std::optional<std::string>* stored,
                                                           std::string* header, MessageOctets& m) {
  const int64_t message_id = meta.message_id;
  FetchRead st = FetchRead::kDone;
  if (plan.whole) {
    st = co_await read_octets(cmd, message_id, 0, SIZE_MAX, false, m.whole.emplace());
    if (st != FetchRead::kDone) co_return st;
  }
  std::optional<std::string> unusable;  // a stored tree that would not do
  if (plan.wants_tree() && stored && *stored) {
    m.tree = usable_tree(**stored, meta.size);
    if (!m.tree) {
      unusable = **stored;
      log::warn("stored MIME tree unusable, parsing the message",
                {{"session", id_}, {"account", account_id_}, {"message", message_id}});
    }
  }
  if (plan.structure && !m.tree) {
    // No tree yet (stored before 004, or unusable): parse the message once
    // and keep the tree for the next FETCH.
    if (!m.whole) {
      st = co_await read_octets(cmd, message_id, 0, SIZE_MAX, false, m.whole.emplace());
      if (st != FetchRead::kDone) co_return st;
    }
    m.tree = mime::parse_structure(*m.whole);
    const std::string encoded = mime::encode_structure(*m.tree);
    auto saved = co_await net::offload(
        *d_.blocking, [&] { return d_.store->save_structure(account_id_, message_id, encoded, unusable); });
    if (!saved.ok())
      log::warn("cannot store a MIME tree", {{"session", id_}, {"message", message_id}, {"error", saved.error().message}});
  }
  // The header section: for header items, and for ENVELOPE without a tree.
  const bool need_header = plan.header || (plan.envelope && !m.tree);
  if (need_header && !m.whole) {
    if (meta.header_size == 0) {
      st = co_await read_octets(cmd, message_id, 0, SIZE_MAX, false, m.whole.emplace());
      if (st != FetchRead::kDone) co_return st;
    } else if (header) {
      m.header = std::move(*header);
      m.header_tree = mime::parse_structure(*m.header);
    } else {
      st = co_await read_octets(cmd, message_id, 0, meta.header_size, false, m.header.emplace());
      if (st != FetchRead::kDone) co_return st;
      m.header_tree = mime::parse_structure(*m.header);
    }
  }
  if (m.whole) {
    // Everything else comes from the whole message, parsed when an item
    // needs its tree and none is stored.
    if (!m.tree && (plan.header || plan.envelope)) m.tree = mime::parse_structure(*m.whole);
    co_return FetchRead::kDone;
  }
  if (plan.ranges) {
    static const mime::Part kNoTree;  // BODY[]<partial> alone: the whole message is its extent
    const mime::Part& tree = m.tree ? *m.tree : kNoTree;
    const std::vector<ByteRange> wanted = ranges_needed(items, tree, meta.size, store::kChunkSize);
    for (const auto& want : wanted) {
      auto& piece = m.pieces.emplace_back();
      piece.offset = want.offset;
      st = co_await read_octets(cmd, message_id, want.offset, want.length, true, piece.bytes);
      if (st != FetchRead::kDone) co_return st;
    }
  }
  co_return FetchRead::kDone;
}

net::awaitable<void> Session::on_fetch(const imap::Command& cmd) {
  const auto& f = std::get<imap::Fetch>(cmd.body);
  const std::string verb(imap::verb_name(cmd));
  FetchPlan plan;
  if (auto no_such = plan_fetch(f.items, plan)) {
    reply(imap::bad(cmd.tag, verb + ": " + *no_such + " is not served"), "BAD", true);
    co_return;
  }
  if (f.vanished && !qresync_) {
    reply(imap::bad(cmd.tag, verb + ": VANISHED needs ENABLE QRESYNC first"), "BAD", true);
    co_return;
  }
  auto seqs = resolve_view(cmd, f.set, f.uid);
  if (!seqs) co_return;
  const bool add_modseq = plan.modseq || f.changed_since.has_value();
  if (add_modseq) {
    condstore_ = true;
    // A MODSEQ goes with the flags of that state: both come from the store
    // (the view keeps no MODSEQs), and the view takes the flags.
    plan.meta = true;
  }
  int64_t since = 0;
  if (f.changed_since) {
    since = static_cast<int64_t>(std::min<uint64_t>(*f.changed_since, INT64_MAX));
    if (f.vanished) {
      // The set's UIDs expunged since `since`, before the FETCH data.
      const int64_t box = selected_->mailbox.id;
      auto ch = co_await ask_store(cmd, [&] { return d_.store->changes(account_id_, box, since); });
      if (!ch) co_return;
      const auto top = static_cast<uint32_t>(std::max<int64_t>(selected_->mailbox.uid_next - 1, 1));
      const imap::ResolvedSet asked = imap::resolve(f.set, top);
      std::vector<uint32_t> gone;
      if (ch->present) {
        gone = missing_uids(asked, *ch->present);  // older than the store's expunge records
      } else {
        for (int64_t u : ch->expunged)
          if (asked.contains(static_cast<uint32_t>(u))) gone.push_back(static_cast<uint32_t>(u));
      }
      if (!gone.empty()) send(imap::vanished(gone, true));
    }
    // The store's meta query leaves out what did not change since.
  }
  const bool set_seen = plan.sets_seen && !read_only_;
  const int64_t mailbox_id = selected_->mailbox.id;
  const size_t batch_size = plan.wants_tree() ? kTreeBatch : kBatch;

  // Walk the intervals batch_size messages at a time.
  size_t interval = 0;
  uint64_t next = seqs->intervals.empty() ? 0 : seqs->intervals[0].lo;
  std::vector<uint32_t> batch;
  std::vector<int64_t> uids;
  while (true) {
    batch.clear();
    while (batch.size() < batch_size && interval < seqs->intervals.size()) {
      batch.push_back(static_cast<uint32_t>(next));
      if (next == seqs->intervals[interval].hi) {
        ++interval;
        if (interval < seqs->intervals.size()) next = seqs->intervals[interval].lo;
      } else {
        ++next;
      }
    }
    if (batch.empty()) break;
    uids.clear();
    for (uint32_t seq : batch) uids.push_back(selected_->index.uids[seq - 1]);

    std::vector<store::MessageMeta> metas;
    if (plan.meta) {
      auto m = co_await ask_store(cmd, [&] { return d_.store->fetch_meta(account_id_, mailbox_id, uids, since); });
      if (!m) co_return;
      metas = std::move(*m);
    }
    // The stored trees of the batch, when an item can use them.
    std::map<int64_t, std::optional<std::string>> trees;
    if (plan.wants_tree() && !metas.empty()) {
      std::vector<int64_t> ids;
      for (const auto& meta : metas) ids.push_back(meta.message_id);
      auto t = co_await ask_store(cmd, [&] { return d_.store->fetch_structures(account_id_, ids); });
      if (!t) co_return;
      for (auto& s : *t) trees.emplace(s.message_id, std::move(s.structure));
    }

    // \Seen for the unseen messages of the batch that still exist, in one call.
    std::vector<int64_t> seen_now;  // ascending UIDs
    std::vector<int64_t> seen_modseq;  // their MODSEQs after
    if (set_seen) {
      store::StoreRequest req;
      req.op = store::StoreOp::kAdd;
      req.flags = store::kSeen;
      for (const auto& meta : metas) {
        const auto pos = view_position(meta.uid);
        if (pos && (selected_->index.flags[*pos] & store::kSeen) == 0) req.uids.push_back(meta.uid);
      }
      if (!req.uids.empty()) {
        const auto s = co_await ask_store(cmd, [&] { return d_.store->store_flags(account_id_, mailbox_id, req); });
        if (!s) co_return;
        for (const auto& e : s->changed) {
          const auto pos = view_position(e.uid);
          if (!pos) continue;
          view_update(*pos, e);
          seen_now.push_back(e.uid);
          seen_modseq.push_back(e.modseq);
        }
        if (!s->changed.empty()) co_await announce(mailbox_id, s->modseq);
      }
    }

    // Header items without the whole message (a client's message list):
    // the header sections of the next messages in one read_headers() call
    // of at most kHeaderBytes (at least one message), not a call each.
    const bool list_headers = plan.header && !plan.whole;
    std::vector<store::MessageHeader> heads;
    size_t head = 0, heads_end = 0;
    size_t mi = 0;  // metas, heads and batch are all in ascending UID order
    for (uint32_t seq : batch) {
      const size_t pos = seq - 1;
      const int64_t uid = selected_->index.uids[pos];
      const store::MessageMeta* meta = nullptr;
      if (plan.meta) {
        while (mi < metas.size() && metas[mi].uid < uid) ++mi;
        if (mi == metas.size() || metas[mi].uid != uid) continue;  // vanished meanwhile
        meta = &metas[mi];
      }
      MessageOctets octets;
      if (meta) {
        const auto t = trees.find(meta->message_id);
        const std::optional<std::string>* stored = t == trees.end() ? nullptr : &t->second;
        std::string* header = nullptr;
        if (list_headers && meta->header_size > 0) {
          if (mi >= heads_end) {
            std::vector<int64_t> want;
            size_t bytes = 0;
            for (heads_end = mi; heads_end < metas.size(); ++heads_end) {
              const auto& next = metas[heads_end];
              if (next.header_size == 0) continue;  // read whole on its own
              if (!want.empty() && bytes + next.header_size > kHeaderBytes) break;
              bytes += next.header_size;
              want.push_back(next.uid);
            }
            auto rh = co_await ask_store(cmd, [&] { return d_.store->read_headers(account_id_, mailbox_id, want); });
            if (!rh) co_return;
            heads = std::move(*rh);
            head = 0;
          }
          while (head < heads.size() && heads[head].uid < uid) ++head;
          if (head == heads.size() || heads[head].uid != uid) continue;  // gone since the meta query
          header = &heads[head].header;
        }
        const FetchRead st = co_await read_for_fetch(cmd, plan, f.items, *meta, stored, header, octets);
        if (st == FetchRead::kFailed) co_return;
        if (st == FetchRead::kGone) continue;  // gone since the meta query
      }
      imap::FetchResponse r(seq);
      bool uid_sent = false, flags_sent = false;
      if (f.uid) {
        r.uid(static_cast<uint32_t>(uid));
        uid_sent = true;
      }
      // The flags this FETCH changed (\Seen), or that the store has newer
      // than the view: sent whether asked for or not.
      bool new_flags = false;
      int64_t modseq = meta ? meta->modseq : 0;
      if (auto seen = std::lower_bound(seen_now.begin(), seen_now.end(), uid);
          seen != seen_now.end() && *seen == uid) {
        new_flags = true;
        modseq = seen_modseq[static_cast<size_t>(seen - seen_now.begin())];
      } else if (add_modseq && meta) {
        new_flags = view_refresh(pos, *meta);
      }
      const auto flags = view_flags(pos);
      add_items(r, f.items, meta, octets, flags, uid, modseq, uid_sent, flags_sent);
      if (!flags_sent && new_flags) r.flags(flags);
      if (f.changed_since && !plan.modseq) r.modseq(static_cast<uint64_t>(modseq));
      if (!r.empty()) send(r.str());
      if (queued() >= options().flush_at) {
        const bool written = co_await flush();
        if (!written) co_return;
      }
    }
  }
  reply(imap::ok(cmd.tag, verb + " completed"), "OK");
}

}  // namespace mail::imapd::detail
