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
// time (one meta query per batch), each message's octets are read only when
// an item needs them (just the header section when that is enough), parsed
// once (libs/mime) for all its items, answered, and dropped before the next
// one; the queued output is written whenever it passes the engine's
// flush_at. Octets go out as literals exactly as stored (CRLF).
// A non-PEEK BODY[...], RFC822 or RFC822.TEXT on a read-write selection
// sets \Seen through the store (one call per batch) and that message's
// response then carries FLAGS. A message the store no longer has (expunged
// by another session meanwhile) is skipped; the command still ends OK.
// Trusts: nothing from the client (items bounded by the parser); the
// message octets are untrusted mail, parsed under mime::Limits and always
// sent as literals. Diagnostics: NO [UNAVAILABLE] (logged) on a store failure.
#include <algorithm>
#include <cstdint>

#include "imap_session.h"
#include "mail/imap/response.h"
#include "mail/mime/envelope.h"
#include "mail/mime/section.h"
#include "mail/mime/structure.h"
#include "mail/net/offload.h"

namespace mail::imapd::detail {

namespace {

constexpr size_t kBatch = 256;  ///< messages per meta query / \Seen update

enum class Need { kNone, kHeader, kWhole };  ///< what of the octets the items need

struct FetchPlan {
  bool modseq = false;     ///< MODSEQ is asked for (or implied by CHANGEDSINCE)
  bool meta = false;       ///< sizes, dates or octets are asked for
  Need need = Need::kNone;
  bool sets_seen = false;  ///< a non-PEEK body item
};

bool header_only(const imap::Section& s) {
  return s.part.empty() && (s.text == imap::Section::kHeader || s.text == imap::Section::kHeaderFields ||
                            s.text == imap::Section::kHeaderFieldsNot);
}

void want(FetchPlan& p, Need n) {
  p.meta = true;
  p.need = std::max(p.need, n);
}

// The plan for the items, or the name of one we do not serve.
std::optional<std::string> plan_fetch(const std::vector<imap::FetchItem>& items, FetchPlan& p) {
  for (const auto& item : items) {
    if (std::holds_alternative<imap::FetchBinarySize>(item)) return "BINARY.SIZE";
    if (const auto* fs = std::get_if<imap::FetchSection>(&item)) {
      if (fs->binary) return "BINARY";
      want(p, header_only(fs->section) ? Need::kHeader : Need::kWhole);
      if (!fs->peek) p.sets_seen = true;
      continue;
    }
    switch (std::get<imap::FetchAttr>(item)) {
      case imap::FetchAttr::kFlags:
      case imap::FetchAttr::kUid: break;
      case imap::FetchAttr::kInternalDate:
      case imap::FetchAttr::kRfc822Size: p.meta = true; break;
      case imap::FetchAttr::kEnvelope:
      case imap::FetchAttr::kRfc822Header: want(p, Need::kHeader); break;
      case imap::FetchAttr::kBody:
      case imap::FetchAttr::kBodyStructure: want(p, Need::kWhole); break;
      case imap::FetchAttr::kRfc822:
      case imap::FetchAttr::kRfc822Text:
        want(p, Need::kWhole);
        p.sets_seen = true;
        break;
      case imap::FetchAttr::kModseq: p.modseq = true; break;
    }
  }
  return std::nullopt;
}

mime::Section to_mime(const imap::Section& s) {
  mime::Section out;
  out.part = s.part;
  out.fields = s.fields;
  switch (s.text) {
    case imap::Section::kNone: out.text = mime::SectionText::kNone; break;
    case imap::Section::kHeader: out.text = mime::SectionText::kHeader; break;
    case imap::Section::kHeaderFields: out.text = mime::SectionText::kHeaderFields; break;
    case imap::Section::kHeaderFieldsNot: out.text = mime::SectionText::kHeaderFieldsNot; break;
    case imap::Section::kText: out.text = mime::SectionText::kText; break;
    case imap::Section::kMime: out.text = mime::SectionText::kMime; break;
  }
  return out;
}

imap::Section text_section(imap::Section::Text t) {
  imap::Section s;
  s.text = t;
  return s;
}

// The items' values for one message into r. `octets` and `root` are set
// when the plan needs them.
void add_items(imap::FetchResponse& r, const std::vector<imap::FetchItem>& items, const store::MessageMeta* meta,
               std::string_view octets, const mime::Part* root, const std::vector<std::string>& flags,
               int64_t uid, int64_t modseq, bool& uid_sent, bool& flags_sent) {
  const mime::Part empty;
  const mime::Part& tree = root ? *root : empty;
  auto section = [&](const imap::Section& s) { return mime::fetch_section(octets, tree, to_mime(s)); };
  for (const auto& item : items) {
    if (const auto* fs = std::get_if<imap::FetchSection>(&item)) {
      const auto data = section(fs->section);
      std::string_view v = data.data();
      if (fs->partial) v = mime::partial(v, fs->partial->origin, fs->partial->length);
      r.content(item, v);
      continue;
    }
    switch (std::get<imap::FetchAttr>(item)) {
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
      case imap::FetchAttr::kEnvelope:
        r.raw("ENVELOPE", mime::imap_envelope(tree.envelope ? *tree.envelope : mime::parse_envelope(octets)));
        break;
      case imap::FetchAttr::kBody: r.raw("BODY", mime::imap_body_structure(tree, false)); break;
      case imap::FetchAttr::kBodyStructure: r.raw("BODYSTRUCTURE", mime::imap_body_structure(tree, true)); break;
      case imap::FetchAttr::kRfc822: r.content(item, octets); break;
      case imap::FetchAttr::kRfc822Header: r.content(item, section(text_section(imap::Section::kHeader)).data()); break;
      case imap::FetchAttr::kRfc822Text: r.content(item, section(text_section(imap::Section::kText)).data()); break;
      case imap::FetchAttr::kModseq: r.modseq(static_cast<uint64_t>(modseq)); break;
    }
  }
}

}  // namespace

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
  if (add_modseq) condstore_ = true;
  if (f.changed_since) {
    const auto since = static_cast<int64_t>(std::min<uint64_t>(*f.changed_since, INT64_MAX));
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
    imap::ResolvedSet changed;
    seqs->for_each([&](uint32_t seq) {
      if (selected_->index.modseqs[seq - 1] <= since) return;
      if (!changed.intervals.empty() && changed.intervals.back().hi + 1 == seq)
        changed.intervals.back().hi = seq;
      else
        changed.intervals.push_back({seq, seq});
    });
    seqs = std::move(changed);
  }
  const bool set_seen = plan.sets_seen && !read_only_;
  const int64_t mailbox_id = selected_->mailbox.id;

  // Walk the intervals kBatch messages at a time.
  size_t interval = 0;
  uint64_t next = seqs->intervals.empty() ? 0 : seqs->intervals[0].lo;
  std::vector<uint32_t> batch;
  std::vector<int64_t> uids;
  while (true) {
    batch.clear();
    while (batch.size() < kBatch && interval < seqs->intervals.size()) {
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
      auto m = co_await ask_store(cmd, [&] { return d_.store->fetch_meta(account_id_, mailbox_id, uids); });
      if (!m) co_return;
      metas = std::move(*m);
    }

    // \Seen for the unseen messages of the batch that still exist, in one call.
    std::vector<int64_t> seen_now;
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
        }
        if (!s->changed.empty()) co_await announce(mailbox_id, s->modseq);
      }
    }

    size_t mi = 0;  // metas and batch are both in ascending UID order
    for (uint32_t seq : batch) {
      const size_t pos = seq - 1;
      const int64_t uid = selected_->index.uids[pos];
      const store::MessageMeta* meta = nullptr;
      if (plan.meta) {
        while (mi < metas.size() && metas[mi].uid < uid) ++mi;
        if (mi == metas.size() || metas[mi].uid != uid) continue;  // vanished meanwhile
        meta = &metas[mi];
      }
      std::string octets;
      std::optional<mime::Part> root;
      if (plan.need != Need::kNone) {
        const size_t max = plan.need == Need::kHeader && meta->header_size > 0 ? meta->header_size : SIZE_MAX;
        const int64_t message_id = meta->message_id;
        auto rd = co_await net::offload(*d_.blocking,
                                        [&] { return d_.store->read_message(account_id_, message_id, max); });
        if (!rd.ok()) {
          unavailable(cmd, rd.error());
          co_return;
        }
        if (!rd->ok()) continue;  // gone since the meta query
        octets = std::move(rd->value());
        root = mime::parse_structure(octets);
      }
      imap::FetchResponse r(seq);
      bool uid_sent = false, flags_sent = false;
      if (f.uid) {
        r.uid(static_cast<uint32_t>(uid));
        uid_sent = true;
      }
      const auto flags = view_flags(pos);
      const int64_t modseq = selected_->index.modseqs[pos];
      add_items(r, f.items, meta, octets, root ? &*root : nullptr, flags, uid, modseq, uid_sent, flags_sent);
      if (!flags_sent && std::binary_search(seen_now.begin(), seen_now.end(), uid)) r.flags(flags);
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
