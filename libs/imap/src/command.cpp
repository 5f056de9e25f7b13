// SPDX-License-Identifier: Apache-2.0
// command.cpp: parse_command(): the frame pre-check, the tag, the verb
// table (with the UID prefix) and the verbs without arguments; the verbs
// with arguments are in parse_*.cpp. The frame is untrusted.
// Diagnostics: every Error carries the tag when one was read, and a text
// naming the verb and what was wrong.
#include <array>

#include "framing_check.h"
#include "mail/imap/command.h"
#include "mail/imap/framing.h"
#include "parsers.h"

namespace mail::imap {
namespace {

using detail::Body;
using detail::Lexer;

template <class T>
Body bare(Lexer& lx) {
  if (!lx.end()) return std::nullopt;
  return CommandBody{T{}};
}

struct VerbEntry {
  std::string_view name;
  Body (*parse)(Lexer&);
};

constexpr std::array<VerbEntry, 34> kVerbs = {{
    {"CAPABILITY", bare<Capability>},
    {"NOOP", bare<Noop>},
    {"LOGOUT", bare<Logout>},
    {"STARTTLS", bare<Starttls>},
    {"AUTHENTICATE", detail::parse_authenticate},
    {"LOGIN", detail::parse_login},
    {"SELECT", [](Lexer& lx) { return detail::parse_select(lx, false); }},
    {"EXAMINE", [](Lexer& lx) { return detail::parse_select(lx, true); }},
    {"CREATE", detail::parse_create},
    {"DELETE", detail::parse_delete},
    {"RENAME", detail::parse_rename},
    {"SUBSCRIBE", [](Lexer& lx) { return detail::parse_subscribe(lx, false); }},
    {"UNSUBSCRIBE", [](Lexer& lx) { return detail::parse_subscribe(lx, true); }},
    {"LIST", detail::parse_list},
    {"LSUB", detail::parse_lsub},
    {"STATUS", detail::parse_status},
    {"APPEND", detail::parse_append},
    {"CHECK", bare<Check>},
    {"CLOSE", bare<Close>},
    {"UNSELECT", bare<Unselect>},
    {"EXPUNGE", bare<Expunge>},
    {"SEARCH", [](Lexer& lx) { return detail::parse_search(lx, false); }},
    {"SORT", [](Lexer& lx) { return detail::parse_sort(lx, false); }},
    {"FETCH", [](Lexer& lx) { return detail::parse_fetch(lx, false); }},
    {"STORE", [](Lexer& lx) { return detail::parse_store(lx, false); }},
    {"COPY", [](Lexer& lx) { return detail::parse_copy(lx, false, false); }},
    {"MOVE", [](Lexer& lx) { return detail::parse_copy(lx, false, true); }},
    {"IDLE", bare<Idle>},
    {"NAMESPACE", bare<Namespace>},
    {"ID", detail::parse_id},
    {"ENABLE", detail::parse_enable},
    {"GETQUOTA", detail::parse_getquota},
    {"GETQUOTAROOT", detail::parse_getquotaroot},
    {"SETQUOTA", detail::parse_setquota},
}};

struct UidEntry {
  std::string_view name;
  Body (*parse)(Lexer&);
};

constexpr std::array<UidEntry, 7> kUidVerbs = {{
    {"COPY", [](Lexer& lx) { return detail::parse_copy(lx, true, false); }},
    {"MOVE", [](Lexer& lx) { return detail::parse_copy(lx, true, true); }},
    {"FETCH", [](Lexer& lx) { return detail::parse_fetch(lx, true); }},
    {"STORE", [](Lexer& lx) { return detail::parse_store(lx, true); }},
    {"SEARCH", [](Lexer& lx) { return detail::parse_search(lx, true); }},
    {"SORT", [](Lexer& lx) { return detail::parse_sort(lx, true); }},
    {"EXPUNGE", detail::parse_uid_expunge},
}};

Error with_tag(Error e, const std::optional<std::string>& tag) {
  e.tag = tag;
  return e;
}

Result from_lexer(const Lexer& lx, const std::string& tag) {
  Error e = lx.error() ? *lx.error() : Error{ErrorKind::kSyntax, "syntax error", std::nullopt};
  e.tag = tag;
  return e;
}

}  // namespace

Result parse_command(std::string_view frame, const Limits& limits) {
  std::optional<std::string> tag = tag_of(frame.substr(0, frame.find("\r\n")));
  if (auto e = detail::check_frame(frame, limits)) return with_tag(*e, tag);
  if (!tag) return Error{ErrorKind::kSyntax, frame.empty() ? "empty command" : "missing or invalid tag", std::nullopt};
  Lexer lx(frame.substr(tag->size()), limits);
  if (!lx.sp()) return Error{ErrorKind::kSyntax, "missing command", tag};
  std::optional<std::string_view> verb = lx.atom();
  if (!verb) return Error{ErrorKind::kSyntax, "missing command", tag};
  if (detail::iequal(*verb, "UID")) {
    if (!lx.sp()) return from_lexer(lx, *tag);
    std::optional<std::string_view> sub = lx.atom();
    if (!sub) return from_lexer(lx, *tag);
    for (const auto& v : kUidVerbs) {
      if (!detail::iequal(*sub, v.name)) continue;
      std::string context = "UID " + std::string(v.name);
      lx.set_context(context);
      Body body = v.parse(lx);
      if (body && lx.end()) return Command{*tag, std::move(*body)};
      return from_lexer(lx, *tag);
    }
    return Error{ErrorKind::kUnknownCommand, "unknown UID command", tag};
  }
  for (const auto& v : kVerbs) {
    if (!detail::iequal(*verb, v.name)) continue;
    lx.set_context(v.name);
    Body body = v.parse(lx);
    if (body && lx.end()) return Command{*tag, std::move(*body)};
    return from_lexer(lx, *tag);
  }
  return Error{ErrorKind::kUnknownCommand, "unknown command", tag};
}

std::string_view verb_name(const Command& command) {
  struct Visitor {
    std::string_view operator()(const Capability&) { return "CAPABILITY"; }
    std::string_view operator()(const Noop&) { return "NOOP"; }
    std::string_view operator()(const Logout&) { return "LOGOUT"; }
    std::string_view operator()(const Starttls&) { return "STARTTLS"; }
    std::string_view operator()(const Authenticate&) { return "AUTHENTICATE"; }
    std::string_view operator()(const Login&) { return "LOGIN"; }
    std::string_view operator()(const Select&) { return "SELECT"; }
    std::string_view operator()(const Examine&) { return "EXAMINE"; }
    std::string_view operator()(const Create&) { return "CREATE"; }
    std::string_view operator()(const Delete&) { return "DELETE"; }
    std::string_view operator()(const Rename&) { return "RENAME"; }
    std::string_view operator()(const Subscribe&) { return "SUBSCRIBE"; }
    std::string_view operator()(const Unsubscribe&) { return "UNSUBSCRIBE"; }
    std::string_view operator()(const List&) { return "LIST"; }
    std::string_view operator()(const Lsub&) { return "LSUB"; }
    std::string_view operator()(const Status&) { return "STATUS"; }
    std::string_view operator()(const Append&) { return "APPEND"; }
    std::string_view operator()(const Check&) { return "CHECK"; }
    std::string_view operator()(const Close&) { return "CLOSE"; }
    std::string_view operator()(const Unselect&) { return "UNSELECT"; }
    std::string_view operator()(const Expunge&) { return "EXPUNGE"; }
    std::string_view operator()(const UidExpunge&) { return "UID EXPUNGE"; }
    std::string_view operator()(const Search& c) { return c.uid ? "UID SEARCH" : "SEARCH"; }
    std::string_view operator()(const Sort& c) { return c.uid ? "UID SORT" : "SORT"; }
    std::string_view operator()(const Fetch& c) { return c.uid ? "UID FETCH" : "FETCH"; }
    std::string_view operator()(const Store& c) { return c.uid ? "UID STORE" : "STORE"; }
    std::string_view operator()(const Copy& c) { return c.uid ? "UID COPY" : "COPY"; }
    std::string_view operator()(const Move& c) { return c.uid ? "UID MOVE" : "MOVE"; }
    std::string_view operator()(const Idle&) { return "IDLE"; }
    std::string_view operator()(const Namespace&) { return "NAMESPACE"; }
    std::string_view operator()(const Id&) { return "ID"; }
    std::string_view operator()(const Enable&) { return "ENABLE"; }
    std::string_view operator()(const GetQuota&) { return "GETQUOTA"; }
    std::string_view operator()(const GetQuotaRoot&) { return "GETQUOTAROOT"; }
    std::string_view operator()(const SetQuota&) { return "SETQUOTA"; }
  };
  return std::visit(Visitor{}, command.body);
}

}  // namespace mail::imap
