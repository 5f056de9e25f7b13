// SPDX-License-Identifier: Apache-2.0
// The authenticated state's mailbox commands (RFC 3501 §6.3): CREATE (with
// RFC 6154 USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (basic, and
// the RFC 5258 selection and return options SUBSCRIBED, SPECIAL-USE,
// RECURSIVEMATCH with CHILDINFO,
// CHILDREN, RFC 5819 STATUS), LSUB, STATUS; and the one mapping of store
// refusals to tagged NO with their response codes (RFC 5530).
// Mailbox names arrive in modified UTF-7 (RFC 3501 §5.1.3) and are decoded
// here; the store checks them (store::normalize_mailbox_name).
// Trusts: nothing from the client; the store's answers.
#include <algorithm>
#include <set>

#include "imap_session.h"
#include "mail/common/log.h"
#include "mail/common/strings.h"
#include "mail/imap/mutf7.h"
#include "mail/imap/response.h"
#include "mail/net/offload.h"

namespace mail::imapd::detail {

namespace {

// LIST wildcard match (RFC 3501 §6.3.8): '*' matches any run, '%' any run
// without the delimiter. Dynamic programming over (pattern, name) with one
// row kept: O(|pattern| x |name|), both bounded (kMaxPattern, and the
// store's 512-byte names), whatever the pattern holds.
constexpr size_t kMaxPattern = 1024;

bool wildcard_match(std::string_view pat, std::string_view name) {
  // row[j]: pat[0, i) matches name[0, j).
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char pc : pat) {
    next.assign(name.size() + 1, 0);
    if (pc == '*' || pc == '%') {
      next[0] = row[0];
      for (size_t j = 1; j <= name.size(); ++j) {
        const bool may_extend = pc == '*' || name[j - 1] != store::kDelimiter;
        next[j] = row[j] || (may_extend && next[j - 1]);
      }
    } else {
      for (size_t j = 1; j <= name.size(); ++j) next[j] = row[j - 1] && name[j - 1] == pc;
    }
    row.swap(next);
  }
  return row[name.size()] != 0;
}

// INBOX is case-insensitive, also as the first level of a pattern.
std::string canonical_pattern(std::string pattern) {
  if (pattern.size() >= 5 && common::iequals(std::string_view(pattern).substr(0, 5), "INBOX") &&
      (pattern.size() == 5 || pattern[5] == store::kDelimiter))
    pattern.replace(0, 5, "INBOX");
  return pattern;
}

std::vector<std::pair<imap::StatusItem, uint64_t>> status_items(const store::MailboxInfo& m,
                                                                const std::vector<imap::StatusItem>& want) {
  std::vector<std::pair<imap::StatusItem, uint64_t>> out;
  for (auto item : want) {
    uint64_t v = 0;
    switch (item) {
      case imap::StatusItem::kMessages: v = m.messages; break;
      case imap::StatusItem::kRecent: v = m.recent; break;
      case imap::StatusItem::kUidNext: v = m.uid_next; break;
      case imap::StatusItem::kUidValidity: v = m.uidvalidity; break;
      case imap::StatusItem::kUnseen: v = m.unseen; break;
      case imap::StatusItem::kHighestModseq: v = m.highest_modseq; break;
      case imap::StatusItem::kSize: v = m.bytes; break;
    }
    out.emplace_back(item, v);
  }
  return out;
}

}  // namespace

std::optional<std::string> Session::mailbox_name(const std::string& wire) const {
  if (utf8_) return common::utf8_valid(wire) ? std::optional<std::string>(wire) : std::nullopt;
  return imap::mutf7_decode(wire);
}

bool Session::bad_name(const imap::Command& cmd, const std::optional<std::string>& name) {
  if (name) return false;
  reply(imap::no(cmd.tag, "Invalid mailbox name (modified UTF-7 expected)", imap::code::cannot()), "NO", true);
  return true;
}

void Session::store_refusal(const imap::Command& cmd, store::Error e, bool trycreate) {
  using store::Error;
  switch (e) {
    case Error::kNotFound:
      reply(imap::no(cmd.tag, "Mailbox does not exist", trycreate ? imap::code::trycreate() : imap::code::nonexistent()),
            "NO");
      return;
    case Error::kAlreadyExists:
      reply(imap::no(cmd.tag, "Mailbox already exists", imap::code::alreadyexists()), "NO");
      return;
    case Error::kHasChildren:
      reply(imap::no(cmd.tag, "Mailbox has children, delete them first", imap::code::cannot()), "NO");
      return;
    case Error::kInboxCannotBeDeleted:
      reply(imap::no(cmd.tag, "INBOX cannot be deleted", imap::code::cannot()), "NO");
      return;
    case Error::kOverQuota:
      reply(imap::no(cmd.tag, "Quota exceeded", imap::code::overquota()), "NO");
      return;
    case Error::kNameInvalid:
      reply(imap::no(cmd.tag, "Invalid mailbox name", imap::code::cannot()), "NO");
      return;
    case Error::kSpecialUseInUse:
      reply(imap::no(cmd.tag, "Another mailbox has that special use", imap::ResponseCode{"USEATTR"}), "NO");
      return;
  }
}

void Session::unavailable(const imap::Command& cmd, const common::Error& e) {
  log::warn("mailbox store failed", {{"session", id_}, {"account", account_id_}, {"error", e.message}});
  reply(imap::no(cmd.tag, "Temporary failure, try again later", imap::code::unavailable()), "NO");
}

net::awaitable<void> Session::on_create(const imap::Command& cmd) {
  const auto& c = std::get<imap::Create>(cmd.body);
  auto name = mailbox_name(c.mailbox);
  if (bad_name(cmd, name)) co_return;
  // RFC 3501: a trailing delimiter says "will have children"; it is not part of the name.
  if (name->size() > 1 && name->back() == store::kDelimiter) name->pop_back();
  store::SpecialUse use = store::SpecialUse::kNone;
  if (c.use.size() > 1) {
    reply(imap::no(cmd.tag, "One special use per mailbox", imap::ResponseCode{"USEATTR"}), "NO", true);
    co_return;
  }
  if (!c.use.empty()) {
    auto parsed = store::parse_special_use(c.use[0]);
    if (!parsed) {
      reply(imap::no(cmd.tag, "Unknown special use " + c.use[0], imap::ResponseCode{"USEATTR"}), "NO", true);
      co_return;
    }
    use = *parsed;
  }
  const auto r = co_await ask_store(cmd, [&] { return d_.store->create(account_id_, *name, use); });
  if (!r) co_return;
  reply(imap::ok(cmd.tag, "CREATE completed"), "OK");
}

net::awaitable<void> Session::on_delete(const imap::Command& cmd) {
  auto name = mailbox_name(std::get<imap::Delete>(cmd.body).mailbox);
  if (bad_name(cmd, name)) co_return;
  const auto r = co_await ask_store(cmd, [&] { return d_.store->remove(account_id_, *name); });
  if (!r) co_return;
  if (selected_ && selected_->mailbox.name == store::normalize_mailbox_name(*name).value_or("")) deselect();
  reply(imap::ok(cmd.tag, "DELETE completed"), "OK");
}

net::awaitable<void> Session::on_rename(const imap::Command& cmd) {
  const auto& c = std::get<imap::Rename>(cmd.body);
  auto from = mailbox_name(c.from);
  auto to = mailbox_name(c.to);
  if (bad_name(cmd, from) || bad_name(cmd, to)) co_return;
  const auto r = co_await ask_store(cmd, [&] { return d_.store->rename(account_id_, *from, *to); });
  if (!r) co_return;
  reply(imap::ok(cmd.tag, "RENAME completed"), "OK");
}

net::awaitable<void> Session::on_subscribe(const imap::Command& cmd) {
  const bool on = std::holds_alternative<imap::Subscribe>(cmd.body);
  const std::string& wire =
      on ? std::get<imap::Subscribe>(cmd.body).mailbox : std::get<imap::Unsubscribe>(cmd.body).mailbox;
  auto name = mailbox_name(wire);
  if (bad_name(cmd, name)) co_return;
  const auto r = co_await ask_store(cmd, [&] { return d_.store->subscribe(account_id_, *name, on); });
  if (!r) co_return;
  reply(imap::ok(cmd.tag, on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed"), "OK");
}

net::awaitable<void> Session::on_list(const imap::Command& cmd) {
  const bool lsub = std::holds_alternative<imap::Lsub>(cmd.body);
  imap::List l;
  if (lsub) {
    const auto& s = std::get<imap::Lsub>(cmd.body);
    l.reference = s.reference;
    l.patterns = {s.pattern};
    l.subscribed = true;
  } else {
    l = std::get<imap::List>(cmd.body);
  }
  const imap::WriteOptions wopts{.utf8 = utf8_};
  // LIST "" "": the hierarchy delimiter and the root (RFC 3501 §6.3.8).
  if (!lsub && l.patterns.size() == 1 && l.patterns[0].empty()) {
    send(imap::list_line({{"\\Noselect"}, store::kDelimiter, ""}, wopts));
    reply(imap::ok(cmd.tag, "LIST completed"), "OK");
    co_return;
  }
  auto r = co_await net::offload(*d_.blocking, [&] { return d_.store->list(account_id_); });
  if (!r.ok()) {
    unavailable(cmd, r.error());
    co_return;
  }
  const Listing& listing = *r;
  auto ref = mailbox_name(l.reference);
  std::vector<std::string> patterns;
  for (const auto& p : l.patterns) {
    auto decoded = mailbox_name(p);
    if (!ref || !decoded) {
      reply(imap::bad(cmd.tag, "Invalid mailbox pattern (modified UTF-7 expected)"), "BAD", true);
      co_return;
    }
    if (ref->size() + decoded->size() > kMaxPattern) {
      reply(imap::bad(cmd.tag, "Mailbox pattern too long"), "BAD", true);
      co_return;
    }
    patterns.push_back(canonical_pattern(*ref + *decoded));
  }
  auto matches = [&](const std::string& name) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return wildcard_match(p, name); });
  };
  // A set of our own: the store's order is the database's collation, not
  // byte order.
  const std::set<std::string> subscribed_names(listing.subscriptions.begin(), listing.subscriptions.end());
  auto subscribed = [&](const std::string& name) { return subscribed_names.contains(name); };
  const bool show_subscribed = l.return_subscribed || (l.subscribed && !lsub);
  // RFC 5258 §3.5, RECURSIVEMATCH with SUBSCRIBED: a name that matches gets
  // ("CHILDINFO" ("SUBSCRIBED")) when a subscribed descendant does not
  // match (the client would not learn of it otherwise), and is listed for
  // that even when it is not subscribed itself.
  const bool recursive = !lsub && l.recursive_match && l.subscribed;
  auto childinfo = [&](const std::string& name) {
    if (!recursive) return false;
    const std::string prefix = name + store::kDelimiter;
    for (auto it = subscribed_names.lower_bound(prefix); it != subscribed_names.end() && it->starts_with(prefix); ++it)
      if (!matches(*it)) return true;
    return false;
  };
  auto send_entry = [&](const imap::ListEntry& e, bool with_childinfo) {
    std::string line = lsub ? imap::lsub_line(e, wopts) : imap::list_line(e, wopts);
    if (with_childinfo) line.insert(line.size() - 2, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    send(line);
  };
  for (const auto& m : listing.mailboxes) {
    if (!matches(m.name)) continue;
    const bool info = childinfo(m.name);
    if (l.subscribed && !subscribed(m.name) && !info) continue;
    if (l.special_use && m.special_use == store::SpecialUse::kNone) continue;
    imap::ListEntry e{{}, store::kDelimiter, m.name};
    if (!lsub) e.attributes.emplace_back(m.has_children ? "\\HasChildren" : "\\HasNoChildren");
    if (show_subscribed && subscribed(m.name)) e.attributes.emplace_back("\\Subscribed");
    if (!lsub && m.special_use != store::SpecialUse::kNone)
      e.attributes.emplace_back(store::special_use_name(m.special_use));
    send_entry(e, info);
    if (!l.return_status.empty()) send(imap::status_line(m.name, status_items(m, l.return_status), wopts));
  }
  // Subscribed names that no longer exist (RFC 5258 §3.1: \NonExistent).
  if (l.subscribed && !l.special_use) {
    std::set<std::string> existing;
    for (const auto& m : listing.mailboxes) existing.insert(m.name);
    for (const auto& name : listing.subscriptions) {
      if (existing.contains(name) || !matches(name)) continue;
      imap::ListEntry e{{}, store::kDelimiter, name};
      e.attributes = lsub ? std::vector<std::string>{"\\Noselect"}
                          : std::vector<std::string>{"\\NonExistent", "\\Subscribed"};
      send_entry(e, childinfo(name));
    }
    // Parents that neither exist nor are subscribed, of subscribed names.
    std::set<std::string> parents;
    for (const auto& name : listing.subscriptions)
      for (size_t cut = name.find(store::kDelimiter); cut != std::string::npos;
           cut = name.find(store::kDelimiter, cut + 1))
        parents.insert(name.substr(0, cut));
    for (const auto& name : parents) {
      if (existing.contains(name) || subscribed(name) || !matches(name) || !childinfo(name)) continue;
      send_entry({{"\\NonExistent"}, store::kDelimiter, name}, true);
    }
  }
  reply(imap::ok(cmd.tag, lsub ? "LSUB completed" : "LIST completed"), "OK");
}

net::awaitable<void> Session::on_status(const imap::Command& cmd) {
  const auto& s = std::get<imap::Status>(cmd.body);
  auto name = mailbox_name(s.mailbox);
  if (bad_name(cmd, name)) co_return;
  const auto r = co_await ask_store(cmd, [&] { return d_.store->status(account_id_, *name); });
  if (!r) co_return;
  send(imap::status_line(r->name, status_items(*r, s.items), imap::WriteOptions{.utf8 = utf8_}));
  reply(imap::ok(cmd.tag, "STATUS completed"), "OK");
}

}  // namespace mail::imapd::detail
