// SPDX-License-Identifier: Apache-2.0
// response_fetch.cpp: the FETCH response builder, ESEARCH, LIST / LSUB /
// STATUS / NAMESPACE / ID lines (see response.h). Mailbox names and
// message content are untrusted bytes and always go through the string
// encoders; item names come from the parsed request.
#include "mail/imap/response.h"

namespace mail::imap {
namespace {

std::string entry_line(std::string_view word, const ListEntry& e, const WriteOptions& opts) {
  std::string out = "* ";
  out += word;
  out += " (";
  for (size_t i = 0; i < e.attributes.size(); ++i) {
    if (i) out += ' ';
    out += e.attributes[i];
  }
  out += ") ";
  if (e.delimiter == '\0') {
    out += "NIL";
  } else {
    out += quoted_or_literal(std::string_view(&e.delimiter, 1), opts);
  }
  out += ' ';
  out += mailbox_name(e.mailbox, opts);
  return out + "\r\n";
}

std::string_view status_name(StatusItem item) {
  switch (item) {
    case StatusItem::kMessages: return "MESSAGES";
    case StatusItem::kRecent: return "RECENT";
    case StatusItem::kUidNext: return "UIDNEXT";
    case StatusItem::kUidValidity: return "UIDVALIDITY";
    case StatusItem::kUnseen: return "UNSEEN";
    case StatusItem::kHighestModseq: return "HIGHESTMODSEQ";
    case StatusItem::kSize: return "SIZE";
  }
  return "MESSAGES";
}

}  // namespace

std::string list_line(const ListEntry& entry, const WriteOptions& opts) { return entry_line("LIST", entry, opts); }
std::string lsub_line(const ListEntry& entry, const WriteOptions& opts) { return entry_line("LSUB", entry, opts); }

std::string status_line(std::string_view mailbox, const std::vector<std::pair<StatusItem, uint64_t>>& items,
                        const WriteOptions& opts) {
  std::string out = "* STATUS " + mailbox_name(mailbox, opts) + " (";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += status_name(items[i].first);
    out += ' ';
    out += std::to_string(items[i].second);
  }
  return out + ")\r\n";
}

std::string namespace_line(std::string_view personal_prefix, char delimiter) {
  return "* NAMESPACE ((" + quoted_or_literal(personal_prefix) + " " +
         quoted_or_literal(std::string_view(&delimiter, 1)) + ")) NIL NIL\r\n";
}

std::string quotaroot_line(std::string_view mailbox, const std::vector<std::string>& roots, const WriteOptions& opts) {
  std::string out = "* QUOTAROOT " + mailbox_name(mailbox, opts);
  for (const auto& r : roots) out += " " + astring(r, opts);
  return out + "\r\n";
}

std::string quota_line(std::string_view root, const std::vector<QuotaResource>& resources) {
  std::string out = "* QUOTA " + astring(root) + " (";
  for (size_t i = 0; i < resources.size(); ++i) {
    if (i) out += ' ';
    out += resources[i].name + " " + std::to_string(resources[i].usage) + " " + std::to_string(resources[i].limit);
  }
  return out + ")\r\n";
}

std::string id_line(const std::vector<std::pair<std::string, std::string>>& params) {
  if (params.empty()) return "* ID NIL\r\n";
  std::string out = "* ID (";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out += ' ';
    out += quoted_or_literal(params[i].first) + " " + quoted_or_literal(params[i].second);
  }
  return out + ")\r\n";
}

std::string esearch(std::string_view tag, bool uid, const EsearchResult& r) {
  std::string out = "* ESEARCH";
  if (!tag.empty()) out += " (TAG " + quoted_or_literal(tag) + ")";
  if (uid) out += " UID";
  if (r.min) out += " MIN " + std::to_string(*r.min);
  if (r.max) out += " MAX " + std::to_string(*r.max);
  if (r.all && !r.all->empty()) out += " ALL " + format_sequence_set(*r.all);
  if (r.count) out += " COUNT " + std::to_string(*r.count);
  if (r.modseq) out += " MODSEQ " + std::to_string(*r.modseq);
  return out + "\r\n";
}

FetchResponse::FetchResponse(uint32_t seq, WriteOptions opts)
    : out_("* " + std::to_string(seq) + " FETCH ("), opts_(opts) {}

void FetchResponse::begin_item(std::string_view name) {
  if (items_++) out_ += ' ';
  out_.append(name);
  out_ += ' ';
}

FetchResponse& FetchResponse::uid(uint32_t uid) {
  begin_item("UID");
  out_ += std::to_string(uid);
  return *this;
}
FetchResponse& FetchResponse::flags(const std::vector<std::string>& flags) {
  begin_item("FLAGS");
  out_ += flag_list(flags);
  return *this;
}
FetchResponse& FetchResponse::internaldate(const DateTime& dt) {
  begin_item("INTERNALDATE");
  out_ += format_date_time(dt);
  return *this;
}
FetchResponse& FetchResponse::rfc822_size(uint64_t size) {
  begin_item("RFC822.SIZE");
  out_ += std::to_string(size);
  return *this;
}
FetchResponse& FetchResponse::modseq(uint64_t modseq) {
  begin_item("MODSEQ");
  out_ += "(" + std::to_string(modseq) + ")";
  return *this;
}
FetchResponse& FetchResponse::raw(std::string_view name, std::string_view value) {
  begin_item(name);
  out_.append(value);
  return *this;
}
FetchResponse& FetchResponse::content(const FetchItem& item, std::optional<std::string_view> octets) {
  begin_item(response_name(item));
  if (!octets) {
    out_ += "NIL";
    return *this;
  }
  const auto* fs = std::get_if<FetchSection>(&item);
  bool lit8 = fs && fs->binary && octets->find('\0') != std::string_view::npos;
  out_ += literal(*octets, lit8);
  return *this;
}
FetchResponse& FetchResponse::binary_size(const FetchBinarySize& item, uint64_t size) {
  begin_item(response_name(FetchItem{item}));
  out_ += std::to_string(size);
  return *this;
}

std::string FetchResponse::str() const { return out_ + ")\r\n"; }

}  // namespace mail::imap
