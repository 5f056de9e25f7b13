// SPDX-License-Identifier: Apache-2.0
// SEARCH and UID SEARCH (RFC 3501 §6.4.4) with ESEARCH return options
// (RFC 4731: MIN, MAX, ALL, COUNT), SEARCHRES (RFC 5182: SAVE and "$"),
// MODSEQ (RFC 7162 §3.1.5), OLDER/YOUNGER (RFC 5032); SORT and UID SORT
// (RFC 5256, with RFC 5957's DISPLAYFROM/DISPLAYTO).
//
// The view is walked kBatch messages at a time, each batch loaded only as
// far as its undecided messages need (search_match.h): flags and the rest
// of the index are in memory; sizes, dates and MODSEQs come in one meta
// query, the stored search fields (From, To, Cc, Bcc, Subject, Date) in
// one read_search_fields() call (computed from the header section, and
// saved, for a message stored before them), the header sections (other
// HEADER keys) in one read_headers() call, and a message is read whole
// only for BODY/TEXT when nothing cheaper decided it. A level no key
// needs is not loaded. SORT keeps one
// SortKeys per match, computed from its header and dropped with it.
// "$" in the program is the result saved before this command; SAVE
// replaces it afterwards (with MIN and/or MAX alone: just those, §2.4),
// and a SEARCH that fails with SAVE empties it (§2.1).
// Trusts: nothing from the client (the parser bounds the program).
// Diagnostics: NO [BADCHARSET (US-ASCII UTF-8)] for a charset we cannot
// convert from; NO [UNAVAILABLE] (logged) on a store failure.
#include <algorithm>
#include <chrono>

#include "imap_session.h"
#include "mail/common/log.h"
#include "mail/imap/response.h"
#include "mail/mime/search_text.h"
#include "search_match.h"

namespace mail::imapd::detail {

namespace {

constexpr size_t kBatch = 256;

// Pairs the messages of `from` with the rows of `rows` (both ascending
// UID), calling f(message, row) for each pair; returns those paired (a
// message without a row was expunged meanwhile: it matches nothing).
template <class Row, class F>
std::vector<SearchMessage*> attach(const std::vector<SearchMessage*>& from, const std::vector<Row>& rows, F&& f) {
  std::vector<SearchMessage*> present;
  size_t ri = 0;
  for (SearchMessage* m : from) {
    while (ri < rows.size() && rows[ri].uid < m->uid) ++ri;
    if (ri < rows.size() && rows[ri].uid == m->uid) {
      f(*m, rows[ri]);
      present.push_back(m);
    }
  }
  return present;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

net::awaitable<std::optional<std::vector<uint32_t>>> Session::search_view(
    const imap::Command& cmd, const imap::SearchKey& key, const std::optional<std::string>& charset,
    std::optional<uint64_t>& modseq) {
  using Out = std::optional<std::vector<uint32_t>>;
  auto compiled = SearchProgram::compile(
      key, charset, [&](const imap::SearchSet& s) { return view_set(s.set, s.uid); }, unix_now());
  if (std::holds_alternative<SearchError>(compiled)) {
    reply(imap::no(cmd.tag, std::string(imap::verb_name(cmd)) + ": Unsupported charset",
                   imap::code::badcharset(search_charsets())),
          "NO", true);
    co_return Out();
  }
  const SearchProgram& program = std::get<SearchProgram>(compiled);
  if (program.uses_modseq()) condstore_ = true;  // RFC 7162 §3.1: a CONDSTORE-enabling command
  const SearchLevel level = program.level();
  const store::MailboxIndex& ix = selected_->index;
  const int64_t mailbox_id = selected_->mailbox.id;
  std::vector<uint32_t> out;
  int64_t highest = 0;

  for (size_t start = 0; start < ix.size(); start += kBatch) {
    const size_t end = std::min(ix.size(), start + kBatch);
    std::vector<SearchMessage> batch(end - start);
    for (size_t pos = start; pos < end; ++pos) {
      SearchMessage& m = batch[pos - start];
      store::IndexEntry e = ix.entry(pos, selected_->keywords);
      m.seq = static_cast<uint32_t>(pos + 1);
      m.uid = e.uid;
      m.flags = e.flags;
      m.keywords = std::move(e.keywords);
      m.recent = selected_->recent_uids.contains(e.uid);
    }
    // Decides what `loaded` allows; returns the still undecided.
    std::vector<SearchMessage*> pending;
    auto decide = [&](const std::vector<SearchMessage*>& from, SearchLevel loaded) {
      std::vector<SearchMessage*> still;
      for (SearchMessage* m : from) {
        const Tri t = program.match(*m, loaded);
        if (t == Tri::kTrue) {
          out.push_back(m->seq);
          highest = std::max(highest, m->modseq);
        } else if (t == Tri::kUnknown) {
          still.push_back(m);
        }
      }
      return still;
    };
    for (auto& m : batch) pending.push_back(&m);
    // With MODSEQ every match needs its MODSEQ (the reply's highest): none
    // is decided before the meta.
    if (!program.uses_modseq()) pending = decide(pending, SearchLevel::kIndex);
    if (pending.empty()) continue;

    std::vector<int64_t> uids;
    auto pending_uids = [&] {  // into uids (GCC 12: no temporaries in a co_await statement)
      uids.clear();
      for (const SearchMessage* m : pending) uids.push_back(m->uid);
    };
    // Sizes, dates and MODSEQs, and the message ids a body read needs.
    std::vector<store::MessageMeta> metas;
    if (program.needs(SearchLevel::kMeta) || level == SearchLevel::kBody) {
      pending_uids();
      auto got = co_await ask_store(cmd, [&] { return d_.store->fetch_meta(account_id_, mailbox_id, uids, 0); });
      if (!got) co_return Out();
      metas = std::move(*got);
      pending = decide(attach(pending, metas, [](SearchMessage& m, const store::MessageMeta& meta) {
                         m.meta = &meta;
                         m.modseq = meta.modseq;
                       }),
                       SearchLevel::kMeta);
    }
    if (pending.empty() || level < SearchLevel::kFields) continue;

    // The stored search fields; for a message stored before them, its
    // header section, which they are computed from (and saved).
    // The rows the batch's views point into: they stay put until the batch ends.
    std::vector<store::MessageSearchFields> fields;
    std::vector<store::MessageHeader> headers, more;
    if (program.needs(SearchLevel::kFields)) {
      pending_uids();
      auto got = co_await ask_store(cmd, [&] { return d_.store->read_search_fields(account_id_, mailbox_id, uids); });
      if (!got) co_return Out();
      fields = std::move(*got);
      std::vector<int64_t> missing;
      pending = attach(pending, fields, [&](SearchMessage& m, const store::MessageSearchFields& f) {
        if (f.fields) m.search_fields = *f.fields;
        else missing.push_back(m.uid);
      });
      if (!missing.empty()) {
        auto hs = co_await ask_store(cmd, [&] { return d_.store->read_headers(account_id_, mailbox_id, missing); });
        if (!hs) co_return Out();
        headers = std::move(*hs);
        std::vector<std::pair<int64_t, std::string>> computed;
        size_t fi = 0;
        std::vector<SearchMessage*> lacking;
        for (SearchMessage* m : pending)
          if (!m->search_fields) lacking.push_back(m);
        attach(lacking, headers, [&](SearchMessage& m, const store::MessageHeader& h) {
          m.header = h.header;
          m.computed_fields = mime::search_fields(h.header);
          while (fi < fields.size() && fields[fi].uid < m.uid) ++fi;
          if (fi < fields.size() && fields[fi].uid == m.uid) computed.emplace_back(fields[fi].message_id, *m.computed_fields);
        });
        // Those whose header went meanwhile are expunged: they match nothing.
        std::erase_if(pending, [](const SearchMessage* m) { return !m->search_fields && !m->header; });
        if (!computed.empty()) {
          auto saved = co_await net::offload(
              *d_.blocking, [&] { return d_.store->save_search_fields(account_id_, computed); });
          if (!saved.ok())
            log::warn("cannot store search fields", {{"session", id_}, {"error", saved.error().message}});
        }
      }
      pending = decide(pending, SearchLevel::kFields);
    }
    if (pending.empty() || level < SearchLevel::kHeader) continue;

    std::vector<SearchMessage*> headless;
    for (SearchMessage* m : pending)
      if (!m->header) headless.push_back(m);
    if (!headless.empty()) {
      uids.clear();
      for (const SearchMessage* m : headless) uids.push_back(m->uid);
      auto hs = co_await ask_store(cmd, [&] { return d_.store->read_headers(account_id_, mailbox_id, uids); });
      if (!hs) co_return Out();
      more = std::move(*hs);
      attach(headless, more, [](SearchMessage& m, const store::MessageHeader& h) { m.header = h.header; });
      std::erase_if(pending, [](const SearchMessage* m) { return !m->header; });  // expunged meanwhile
    }
    pending = decide(pending, SearchLevel::kHeader);

    for (SearchMessage* m : pending) {  // BODY and TEXT: one message at a time
      const int64_t message_id = m->meta->message_id;
      auto rd = co_await net::offload(*d_.blocking,
                                      [&] { return d_.store->read_message(account_id_, message_id, SIZE_MAX); });
      if (!rd.ok()) {
        unavailable(cmd, rd.error());
        co_return Out();
      }
      if (!rd->ok()) continue;  // expunged meanwhile
      const std::string message = std::move(rd->value());
      m->message = message;
      decide({m}, SearchLevel::kBody);
      m->message.reset();
      m->folded_body.reset();
    }
  }
  std::sort(out.begin(), out.end());
  if (program.uses_modseq() && !out.empty()) modseq = static_cast<uint64_t>(highest);
  co_return Out(std::move(out));
}

net::awaitable<void> Session::on_search(const imap::Command& cmd) {
  const auto& s = std::get<imap::Search>(cmd.body);
  const std::string verb(imap::verb_name(cmd));
  const bool save = s.ret && s.ret->save;
  std::optional<uint64_t> modseq;
  auto found = co_await search_view(cmd, s.key, s.charset, modseq);
  if (!found) {
    if (save) saved_uids_.clear();
    co_return;
  }
  const auto& ix = selected_->index;
  auto number = [&](uint32_t seq) { return s.uid ? static_cast<uint32_t>(ix.uids[seq - 1]) : seq; };
  std::vector<uint32_t> numbers;
  numbers.reserve(found->size());
  for (uint32_t seq : *found) numbers.push_back(number(seq));

  if (!s.ret) {
    send(imap::search_response(numbers, modseq));
    reply(imap::ok(cmd.tag, verb + " completed"), "OK");
    co_return;
  }
  imap::SearchReturn r = *s.ret;
  const bool only_save = r.save && !r.min && !r.max && !r.all && !r.count;
  if (!r.min && !r.max && !r.count && !r.save) r.all = true;  // RETURN () is ALL
  if (r.save) {
    // §2.4: with MIN and/or MAX but neither ALL nor COUNT, just those.
    std::vector<uint32_t> keep;
    if (!r.all && !r.count && (r.min || r.max) && !found->empty()) {
      if (r.min) keep.push_back(found->front());
      if (r.max && (keep.empty() || found->back() != keep.front())) keep.push_back(found->back());
    } else {
      keep = *found;
    }
    saved_uids_.clear();
    for (uint32_t seq : keep) saved_uids_.push_back(ix.uids[seq - 1]);
  }
  if (!only_save) {
    imap::EsearchResult e;
    if (!numbers.empty()) {
      if (r.min) e.min = numbers.front();
      if (r.max) e.max = numbers.back();
      if (r.all) e.all = numbers;
    }
    if (r.count) e.count = numbers.size();
    e.modseq = modseq;
    send(imap::esearch(cmd.tag, s.uid, e));
  }
  reply(imap::ok(cmd.tag, verb + " completed"), "OK");
}

net::awaitable<void> Session::on_sort(const imap::Command& cmd) {
  const auto& s = std::get<imap::Sort>(cmd.body);
  const std::string verb(imap::verb_name(cmd));
  std::optional<uint64_t> modseq;
  auto found = co_await search_view(cmd, s.key, s.charset, modseq);
  if (!found) co_return;
  const int64_t mailbox_id = selected_->mailbox.id;
  const bool need_header = sort_needs_header(s.criteria);
  struct Entry {
    uint32_t seq;
    SortKeys keys;
  };
  std::vector<Entry> entries;
  entries.reserve(found->size());
  for (size_t start = 0; start < found->size(); start += kBatch) {
    const size_t end = std::min(found->size(), start + kBatch);
    std::vector<int64_t> uids;
    for (size_t i = start; i < end; ++i) uids.push_back(selected_->index.uids[(*found)[i] - 1]);
    auto metas = co_await ask_store(cmd, [&] { return d_.store->fetch_meta(account_id_, mailbox_id, uids, 0); });
    if (!metas) co_return;
    std::vector<store::MessageHeader> headers;
    if (need_header) {
      auto h = co_await ask_store(cmd, [&] { return d_.store->read_headers(account_id_, mailbox_id, uids); });
      if (!h) co_return;
      headers = std::move(*h);
    }
    size_t hi = 0;
    for (const auto& meta : *metas) {  // ascending UID, as `found` is ascending
      while (hi < headers.size() && headers[hi].uid < meta.uid) ++hi;
      const std::string_view header = hi < headers.size() && headers[hi].uid == meta.uid
                                          ? std::string_view(headers[hi].header)
                                          : std::string_view();
      const auto pos = view_position(meta.uid);
      if (pos) entries.push_back({static_cast<uint32_t>(*pos + 1), sort_keys(meta, header)});
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    return sort_before(s.criteria, a.keys, a.seq, b.keys, b.seq);
  });
  std::vector<uint32_t> numbers;
  numbers.reserve(entries.size());
  for (const auto& e : entries)
    numbers.push_back(s.uid ? static_cast<uint32_t>(selected_->index.uids[e.seq - 1]) : e.seq);
  send(imap::sort_response(numbers));
  reply(imap::ok(cmd.tag, verb + " completed"), "OK");
}

}  // namespace mail::imapd::detail
