// SPDX-License-Identifier: Apache-2.0
// The session's view of the selected mailbox, shared by every command of
// the selected state: the index SELECT returned (store::MailboxIndex: UID
// runs and a byte of flags a message, sequence number = position + 1), sequence
// sets resolved against it, the FLAGS of a message as the session reports
// them (\Recent for the UIDs this session took at SELECT), and the view's
// flags kept current after STORE.
//
// Resolving (RFC 3501 §6.4.8, §9 seq-number): "*" is the highest number in
// use, ranges are taken in either order; a sequence number beyond EXISTS is
// BAD "Invalid message sequence number" (as Dovecot answers); UIDs not in
// the view are ignored; "$" (RFC 5182) is the saved SEARCH result (the
// messages of it still in the view; empty until a SEARCH saves one).
// The result stays a list of intervals, so "1:*" over a big mailbox costs
// one interval, not one entry per message.
// Trusts: nothing from the client; the index from the store.
#include <algorithm>

#include "imap_session.h"
#include "mail/common/strings.h"
#include "mail/imap/response.h"

namespace mail::imapd::detail {

// The bit of a system flag, 0 for \Recent, -1 for one RFC 3501 does not define.
int system_flag_bit(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kFlags[] = {{"\\Answered", store::kAnswered},
                                                                {"\\Flagged", store::kFlagged},
                                                                {"\\Deleted", store::kDeleted},
                                                                {"\\Seen", store::kSeen},
                                                                {"\\Draft", store::kDraft},
                                                                {"\\Recent", 0}};
  for (const auto& [n, bit] : kFlags)
    if (common::iequals(n, name)) return bit;
  return -1;
}


namespace {

// Appends [lo, hi] to an ascending list of intervals, merging neighbours.
void add_interval(imap::ResolvedSet& out, uint32_t lo, uint32_t hi) {
  if (!out.intervals.empty() && out.intervals.back().hi + 1 >= lo) {
    out.intervals.back().hi = std::max(out.intervals.back().hi, hi);
    return;
  }
  out.intervals.push_back({lo, hi});
}

}  // namespace

std::vector<uint32_t> missing_uids(const imap::ResolvedSet& known, const std::vector<int64_t>& present) {
  std::vector<uint32_t> out;
  auto it = present.begin();
  known.for_each([&](uint32_t n) {
    it = std::lower_bound(it, present.end(), static_cast<int64_t>(n));
    if (it == present.end() || *it != n) out.push_back(n);
  });
  return out;
}

imap::ResolvedSet Session::view_set(const imap::SequenceSet& set, bool uid) const {
  const store::MailboxIndex& ix = selected_->index;
  imap::ResolvedSet out;
  if (set.saved) {
    // RFC 5182: the messages of the saved result still in the view.
    for (int64_t u : saved_uids_)
      if (const auto pos = view_position(u)) add_interval(out, static_cast<uint32_t>(*pos) + 1, static_cast<uint32_t>(*pos) + 1);
    return out;
  }
  if (!uid) return imap::resolve(set, static_cast<uint32_t>(ix.size()));
  if (ix.size() == 0) return out;
  // UID intervals (clipped to the highest UID, "*" being it) to the
  // positions of the UIDs present: each UID interval is one run of
  // positions in the ascending uids vector.
  const auto max_uid = static_cast<uint32_t>(ix.uids.back());
  for (const auto& iv : imap::resolve(set, max_uid).intervals) {
    const size_t lo = ix.uids.lower_bound(iv.lo);
    const size_t hi = ix.uids.lower_bound(static_cast<int64_t>(iv.hi) + 1);
    if (lo == hi) continue;
    add_interval(out, static_cast<uint32_t>(lo) + 1, static_cast<uint32_t>(hi));
  }
  return out;
}

std::optional<imap::ResolvedSet> Session::resolve_view(const imap::Command& cmd, const imap::SequenceSet& set,
                                                       bool uid) {
  if (!uid && !set.saved && !imap::within(set, static_cast<uint32_t>(selected_->index.size()))) {
    reply(imap::bad(cmd.tag, std::string(imap::verb_name(cmd)) + ": Invalid message sequence number"), "BAD", true);
    return std::nullopt;
  }
  return view_set(set, uid);
}

std::optional<size_t> Session::view_position(int64_t uid) const {
  return selected_->index.uids.find(uid);
}

std::vector<std::string> Session::view_flags(size_t pos) const {
  static constexpr std::pair<int, const char*> kSystem[] = {{store::kAnswered, "\\Answered"},
                                                            {store::kFlagged, "\\Flagged"},
                                                            {store::kDeleted, "\\Deleted"},
                                                            {store::kSeen, "\\Seen"},
                                                            {store::kDraft, "\\Draft"}};
  const store::Selected& s = *selected_;
  std::vector<std::string> out;
  const int bits = s.index.flags[pos];
  for (const auto& [bit, name] : kSystem)
    if (bits & bit) out.emplace_back(name);
  if (s.recent_uids.contains(s.index.uids[pos])) out.emplace_back("\\Recent");
  const auto& kw = s.index.keywords;
  auto it = std::lower_bound(kw.begin(), kw.end(), pos, [](const auto& k, size_t p) { return k.first < p; });
  if (it != kw.end() && it->first == pos)
    for (uint32_t i : it->second)
      if (i < s.keywords.size()) out.push_back(s.keywords[i]);
  return out;
}

std::string Session::flags_update(size_t pos, int64_t modseq, bool uid) const {
  imap::FetchResponse r(static_cast<uint32_t>(pos + 1));
  if (uid || qresync_) r.uid(static_cast<uint32_t>(selected_->index.uids[pos]));
  r.flags(view_flags(pos));
  if (condstore_) r.modseq(static_cast<uint64_t>(modseq));
  return r.str();
}

void Session::view_update(size_t pos, const store::IndexEntry& e) {
  store::Selected& s = *selected_;
  s.index.flags[pos] = static_cast<uint8_t>(e.flags);
  std::vector<uint32_t> indexes;
  bool new_keyword = false;
  for (const auto& name : e.keywords) {
    auto k = std::find_if(s.keywords.begin(), s.keywords.end(),
                          [&](const std::string& n) { return common::iequals(n, name); });
    if (k == s.keywords.end()) {
      s.keywords.push_back(name);
      k = s.keywords.end() - 1;
      new_keyword = true;
    }
    indexes.push_back(static_cast<uint32_t>(k - s.keywords.begin()));
  }
  auto& kw = s.index.keywords;
  auto it = std::lower_bound(kw.begin(), kw.end(), pos, [](const auto& k, size_t p) { return k.first < p; });
  const bool present = it != kw.end() && it->first == pos;
  if (indexes.empty()) {
    if (present) kw.erase(it);
  } else if (present) {
    it->second = std::move(indexes);
  } else {
    kw.insert(it, {static_cast<uint32_t>(pos), std::move(indexes)});
  }
  if (new_keyword) {
    // RFC 3501 §7.2.6: the client learns the mailbox's new flag list.
    std::vector<std::string> flags = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"};
    flags.insert(flags.end(), s.keywords.begin(), s.keywords.end());
    send(imap::flags_line(flags));
  }
}

bool Session::view_refresh(size_t pos, const store::MessageMeta& meta) {
  store::IndexEntry now{meta.uid, meta.modseq, meta.flags, meta.keywords};
  store::IndexEntry was = selected_->entry(pos);
  std::sort(now.keywords.begin(), now.keywords.end());
  std::sort(was.keywords.begin(), was.keywords.end());
  if ((was.flags & 0xff) == (now.flags & 0xff) && was.keywords == now.keywords) return false;
  view_update(pos, now);
  return true;
}

}  // namespace mail::imapd::detail
