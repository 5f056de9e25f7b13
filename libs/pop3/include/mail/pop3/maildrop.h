// SPDX-License-Identifier: Apache-2.0
// Maildrop: the POP3 TRANSACTION-state model of one locked maildrop
// (RFC 1939 §5): message numbers, deletion marks, STAT/LIST/UIDL answers.
// Pure and in memory; the session applies deleted() to the store at QUIT
// (UPDATE state). Trusts its caller for the uids and sizes; message numbers
// from the client are range-checked here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/pop3/error.h"

namespace mail::pop3 {

/// One message as the store lists it when the maildrop is opened.
struct MessageInfo {
  std::string uid;     ///< unique-id for UIDL (RFC 1939: 1..70 chars 0x21..0x7E)
  uint64_t size = 0;   ///< exact octets as RETR sends them (CRLF, before dot-stuffing)
};

struct Stat {
  size_t count = 0;    ///< messages not marked deleted
  uint64_t octets = 0; ///< their total size
  friend bool operator==(const Stat&, const Stat&) = default;
};

struct ListEntry {
  size_t number = 0;
  uint64_t size = 0;
  friend bool operator==(const ListEntry&, const ListEntry&) = default;
};

struct UidlEntry {
  size_t number = 0;
  std::string uid;
  friend bool operator==(const UidlEntry&, const UidlEntry&) = default;
};

/// True when uid is a valid RFC 1939 unique-id (1..70 octets in 0x21..0x7E).
bool is_valid_uid(std::string_view uid);

class Maildrop {
 public:
  explicit Maildrop(std::vector<MessageInfo> messages);

  /// Number of messages when the maildrop was opened, deleted ones included
  /// (message numbers are never reused in a session).
  size_t size() const { return messages_.size(); }

  Stat stat() const { return Stat{count_, octets_}; }

  /// LIST n. Error kNoSuchMessage when out of range or deleted.
  std::variant<ListEntry, Error> list(size_t number) const;
  /// LIST: every message not marked deleted, in order.
  std::vector<ListEntry> list() const;

  std::variant<UidlEntry, Error> uidl(size_t number) const;
  std::vector<UidlEntry> uidl() const;

  /// The message RETR n or TOP n would send; Error when out of range or deleted.
  std::variant<const MessageInfo*, Error> get(size_t number) const;

  /// DELE n: kNoSuchMessage when out of range, kAlreadyDeleted when marked.
  std::variant<std::monostate, Error> dele(size_t number);
  /// RSET: unmark every message.
  void rset();

  bool is_deleted(size_t number) const;
  /// Message numbers (1-based, ascending) marked deleted, for QUIT.
  std::vector<size_t> deleted() const;
  /// The same messages' uids, in the same order.
  std::vector<std::string> deleted_uids() const;

 private:
  std::variant<const MessageInfo*, Error> lookup(size_t number) const;

  std::vector<MessageInfo> messages_;
  std::vector<bool> deleted_;
  size_t count_ = 0;
  uint64_t octets_ = 0;
};

}  // namespace mail::pop3
