// SPDX-License-Identifier: Apache-2.0
// Maildrop: deletion marks and the listings derived from them. Client message
// numbers are range-checked; the store's uids and sizes are trusted.
#include "mail/pop3/maildrop.h"

namespace mail::pop3 {
namespace {

Error no_such_message() { return Error{ErrorKind::kNoSuchMessage, "no such message"}; }

}  // namespace

bool is_valid_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 70) return false;
  for (char c : uid)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

Maildrop::Maildrop(std::vector<MessageInfo> messages)
    : messages_(std::move(messages)), deleted_(messages_.size(), false) {
  rset();
}

std::variant<const MessageInfo*, Error> Maildrop::lookup(size_t number) const {
  if (number == 0 || number > messages_.size() || deleted_[number - 1]) return no_such_message();
  return &messages_[number - 1];
}

std::variant<const MessageInfo*, Error> Maildrop::get(size_t number) const { return lookup(number); }

std::variant<ListEntry, Error> Maildrop::list(size_t number) const {
  auto m = lookup(number);
  if (auto* e = std::get_if<Error>(&m)) return *e;
  return ListEntry{number, std::get<const MessageInfo*>(m)->size};
}

std::vector<ListEntry> Maildrop::list() const {
  std::vector<ListEntry> out;
  out.reserve(count_);
  for (size_t i = 0; i < messages_.size(); ++i)
    if (!deleted_[i]) out.push_back(ListEntry{i + 1, messages_[i].size});
  return out;
}

std::variant<UidlEntry, Error> Maildrop::uidl(size_t number) const {
  auto m = lookup(number);
  if (auto* e = std::get_if<Error>(&m)) return *e;
  return UidlEntry{number, std::get<const MessageInfo*>(m)->uid};
}

std::vector<UidlEntry> Maildrop::uidl() const {
  std::vector<UidlEntry> out;
  out.reserve(count_);
  for (size_t i = 0; i < messages_.size(); ++i)
    if (!deleted_[i]) out.push_back(UidlEntry{i + 1, messages_[i].uid});
  return out;
}

std::variant<std::monostate, Error> Maildrop::dele(size_t number) {
  if (number == 0 || number > messages_.size()) return no_such_message();
  if (deleted_[number - 1])
    return Error{ErrorKind::kAlreadyDeleted, "message " + std::to_string(number) + " already deleted"};
  deleted_[number - 1] = true;
  --count_;
  octets_ -= messages_[number - 1].size;
  return std::monostate{};
}

void Maildrop::rset() {
  deleted_.assign(messages_.size(), false);
  count_ = messages_.size();
  octets_ = 0;
  for (const auto& m : messages_) octets_ += m.size;
}

bool Maildrop::is_deleted(size_t number) const {
  return number >= 1 && number <= messages_.size() && deleted_[number - 1];
}

std::vector<size_t> Maildrop::deleted() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < messages_.size(); ++i)
    if (deleted_[i]) out.push_back(i + 1);
  return out;
}

std::vector<std::string> Maildrop::deleted_uids() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < messages_.size(); ++i)
    if (deleted_[i]) out.push_back(messages_[i].uid);
  return out;
}

}  // namespace mail::pop3
