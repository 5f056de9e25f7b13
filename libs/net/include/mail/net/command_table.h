// SPDX-License-Identifier: Apache-2.0
// command_table.h: the dispatch table of a protocol session. One row per
// verb: the verb, the session states in which it is allowed, and its handler
// (a member function of the session). The pure parser (libs/smtp, libs/pop3,
// libs/imap) turns a frame into a command with its verb; the session looks
// the verb up here, refuses it in the wrong state with the protocol's own
// error, and calls the handler. So a reader finds any command's parser (by
// verb, in the protocol library) and its handler (in the row) in one hop.
//
// Trusts: nothing; a verb missing from the table is a bug in the table and
// find() says so with nullptr.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace mail::net {

/// A set of session states, as a bit mask over a protocol's state enum.
template <class State>
constexpr uint32_t states(std::initializer_list<State> list) {
  uint32_t mask = 0;
  for (State s : list) mask |= 1u << static_cast<unsigned>(s);
  return mask;
}

template <class Verb, class Handler>
struct CommandRow {
  Verb verb;
  uint32_t allowed;  ///< states() in which the verb may be used
  Handler handler;

  template <class State>
  bool allowed_in(State s) const {
    return (allowed >> static_cast<unsigned>(s)) & 1u;
  }
};

template <class Verb, class Handler, size_t N>
using CommandTable = std::array<CommandRow<Verb, Handler>, N>;

/// The row of `verb`, or nullptr.
template <class Verb, class Handler, size_t N>
const CommandRow<Verb, Handler>* find_command(const CommandTable<Verb, Handler, N>& table, Verb verb) {
  for (const auto& row : table)
    if (row.verb == verb) return &row;
  return nullptr;
}

}  // namespace mail::net
